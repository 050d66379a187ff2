import Foundation
import RentGuardConfig
import RentGuardCore
import RentGuardMQTT

extension BrokerConfig {
    /// The MQTT client options for this broker. The password is read from `password_file`
    /// (so that it never appears in the configuration, on a command line or in a log).
    func clientOptions(clientID: String, will: MQTTWill?, inboundBatchLimit: Int = 1_000) throws -> MQTTClientOptions {
        let url = try parsedURL()
        var password: String?
        if let file = passwordFile {
            do {
                password = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw DaemonError.startup("cannot read the broker password file \(file): \(error.localizedDescription)")
            }
        }
        var tlsOptions: MQTTTLSOptions?
        if let tls {
            tlsOptions = MQTTTLSOptions(caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile, insecureSkipHostnameCheck: tls.insecureSkipHostnameCheck)
        } else if url.tls {
            throw DaemonError.startup("\(self.url) uses TLS (mqtts://) but no tls.ca_file is configured")
        }
        let version: MQTTProtocolVersion
        switch protocolVersion {
        case .auto: version = .auto
        case .v5: version = .v5
        case .v311: version = .v311
        }
        return MQTTClientOptions(
            host: url.host, port: url.port, clientID: self.clientID ?? clientID, username: username, password: password,
            keepaliveSeconds: keepaliveSeconds, cleanStart: false, protocolVersion: version,
            connectTimeout: .milliseconds(Int64(connectTimeoutSeconds * 1000)), tls: tlsOptions, will: will,
            reconnectMin: .milliseconds(Int64(reconnectMinSeconds * 1000)), reconnectMax: .milliseconds(Int64(reconnectMaxSeconds * 1000)),
            inboundBatchLimit: inboundBatchLimit)
    }
}

public enum DaemonError: Error, CustomStringConvertible {
    case startup(String)
    /// A bounded queue is full: the caller should try again.
    case busy(String)

    public var description: String {
        switch self {
        case let .startup(s): return s
        case let .busy(s): return s
        }
    }
}
