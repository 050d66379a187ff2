import AsyncHTTPClient
import Foundation
import NIOSSL

extension HTTPClient {
    /// An HTTP client that trusts the system's CAs, or only `caFile` when given (a registry
    /// with a private CA: URLSession on Linux cannot be told to trust one).
    public static func forwarding(caFile: String?) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile { tls.trustRoots = .file(caFile) }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(15))
        configuration.connectionPool = .init(idleTimeout: .seconds(60))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

/// Reads a secret from a file (trailing newline removed). Secrets never come from the
/// configuration file itself, the command line or the environment.
public func readSecret(_ path: String) throws -> [UInt8] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let trimmed = text.trimmingCharacters(in: .newlines)
    guard !trimmed.isEmpty else { throw SecretError(path: path) }
    return Array(trimmed.utf8)
}

public struct SecretError: Error, CustomStringConvertible {
    public var path: String
    public var description: String { "the secret file \(path) is empty" }
}
