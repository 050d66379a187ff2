import AsyncHTTPClient
import Foundation
import RentGuardCore

/// rentguardctl's exit statuses (also in `rentguardctl --help` and docs/operations.md).
enum Exit {
    static let ok: Int32 = 0
    /// An unexpected answer or a server error.
    static let failure: Int32 = 1
    /// rentguardd is not running, or not reachable at the URL.
    static let notRunning: Int32 = 2
    /// 401/403: the token is missing or wrong.
    static let accessDenied: Int32 = 3
    /// 404: no such alarm (or endpoint).
    static let notFound: Int32 = 4
    /// 409: the alarm is already acknowledged or cleared.
    static let conflict: Int32 = 5
    /// Bad command line (ArgumentParser's EX_USAGE).
    static let usage: Int32 = 64
}

/// An error for the operator: one sentence and an exit status.
struct CtlError: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32
    var description: String { message }
}

/// The daemon's answer: status and body.
struct APIResponse {
    var status: Int
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> JSONValue {
        do {
            return try JSONParser.parse(body, maxDepth: 64)
        } catch {
            throw CtlError(message: "rentguardd answered with something that is not JSON: \(error)", exitCode: Exit.failure)
        }
    }

    /// The `error` member of a JSON error body, or the body itself.
    var errorMessage: String {
        if let v = try? JSONParser.parse(body, maxDepth: 8), let e = v["error"]?.stringValue { return e }
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? "HTTP \(status)" : t
    }
}

/// A tiny client of the operations endpoint.
struct APIClient {
    let baseURL: String
    let token: String?
    let hostPort: String

    init(url: String, token: String?) throws {
        var u = url.trimmingCharacters(in: .whitespaces)
        while u.hasSuffix("/") { u.removeLast() }
        guard let parsed = URL(string: u), let scheme = parsed.scheme, scheme == "http" || scheme == "https", let host = parsed.host,
            !host.isEmpty
        else {
            throw CtlError(message: "invalid --url \(url): expected http://HOST:PORT (e.g. http://127.0.0.1:9464)", exitCode: Exit.usage)
        }
        baseURL = u
        self.token = token
        let port = parsed.port ?? (scheme == "https" ? 443 : 80)
        hostPort = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Reads a token file: the whole file, surrounding whitespace removed.
    static func readToken(file: String) throws -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            let reason = FileManager.default.fileExists(atPath: file) ? "permission denied (run as a user who may read it, e.g. with sudo)" : "no such file"
            throw CtlError(message: "cannot read the token file \(file): \(reason)", exitCode: Exit.failure)
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw CtlError(message: "the token file \(file) is empty", exitCode: Exit.failure) }
        return token
    }

    func get(_ path: String) async throws -> APIResponse {
        try await send("GET", path, body: nil)
    }

    func post(_ path: String, json: JSONValue) async throws -> APIResponse {
        try await send("POST", path, body: Array(json.serialized().utf8))
    }

    func send(_ method: String, _ path: String, body: [UInt8]?) async throws -> APIResponse {
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: .seconds(3), read: .seconds(15))
        // A refused connection is an answer ("not running"), not something to retry for seconds.
        config.connectionPool.retryConnectionEstablishment = false
        config.redirectConfiguration = .disallow
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .RAW(value: method)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "rentguardctl")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        let req = request
        do {
            return try await HTTPClient.withHTTPClient(configuration: config) { client in
                let response = try await client.execute(req, timeout: .seconds(20))
                let buffer = try await response.body.collect(upTo: 16 * 1024 * 1024)
                return APIResponse(status: Int(response.status.code), body: Array(buffer.readableBytesView))
            }
        } catch let e as CtlError {
            throw e
        } catch {
            throw connectionError(error)
        }
    }

    /// Turns a transport error into a sentence for the operator.
    func connectionError(_ error: any Error) -> CtlError {
        let text = String(describing: error)
        let lower = text.lowercased()
        if lower.contains("refused") {
            return CtlError(message: "rentguardd is not running (nothing listening on \(hostPort))", exitCode: Exit.notRunning)
        }
        if lower.contains("timeout") || lower.contains("timed out") || lower.contains("deadline") {
            return CtlError(message: "rentguardd is not answering on \(hostPort) (timed out)", exitCode: Exit.notRunning)
        }
        if lower.contains("lookup") || lower.contains("resolve") || lower.contains("dns") {
            return CtlError(message: "cannot resolve the host of \(baseURL): \(text)", exitCode: Exit.notRunning)
        }
        return CtlError(message: "cannot reach rentguardd at \(baseURL): \(text)", exitCode: Exit.notRunning)
    }

    /// Throws the operator's error for a non-2xx answer.
    func check(_ r: APIResponse) throws {
        switch r.status {
        case 200..<300:
            return
        case 401, 403:
            let hint = token == nil ? "access denied: pass --token-file (or set RENTGUARD_TOKEN_FILE)" : "access denied: the token was refused (\(r.errorMessage))"
            throw CtlError(message: hint, exitCode: Exit.accessDenied)
        case 404:
            throw CtlError(message: r.errorMessage, exitCode: Exit.notFound)
        case 409:
            throw CtlError(message: r.errorMessage, exitCode: Exit.conflict)
        case 503:
            throw CtlError(message: "rentguardd is not ready: \(r.errorMessage)", exitCode: Exit.failure)
        default:
            throw CtlError(message: "rentguardd answered HTTP \(r.status): \(r.errorMessage)", exitCode: Exit.failure)
        }
    }
}
