import CMosquitto
import Foundation
import Synchronization

/// Why a TLS connection failed, in words an installer can act on.
///
/// libmosquitto reports every TLS failure as `MOSQ_ERR_TLS` ("A TLS error occurred."); the
/// reason is only in the lines it logs through its log callback (OpenSSL's error queue,
/// which it drains and prints as `OpenSSL Error[0]: error:0A000086:SSL routines::certificate
/// verify failed`, and its own `Error: host name verification failed.`). The client keeps
/// the last few such lines and turns them into a cause when the network loop reports a
/// failure (`describeFailure`).
public enum TLSFailureCause: String, Sendable, Equatable, CaseIterable {
    /// The broker's certificate does not chain to a CA in `ca_file` (or has expired).
    case untrustedCertificate = "untrusted_certificate"
    /// The certificate is trusted but names another host.
    case hostNameMismatch = "host_name_mismatch"
    /// The other end does not speak TLS (a plain `mqtt://` port, or not a broker).
    case notTLS = "not_tls"
    /// Anything else OpenSSL said.
    case other

    /// Classifies the TLS lines libmosquitto logged for one failed connection (oldest first).
    public static func classify(_ lines: [String]) -> TLSFailureCause? {
        guard !lines.isEmpty else { return nil }
        let text = lines.joined(separator: "\n").lowercased()
        if text.contains("host name verification failed") || text.contains("hostname mismatch") { return .hostNameMismatch }
        if text.contains("certificate verify failed") { return .untrustedCertificate }
        let plain = ["wrong version number", "unexpected eof", "packet length too long", "record layer failure", "http request", "unknown protocol", "record too long"]
        if plain.contains(where: text.contains) { return .notTLS }
        return .other
    }

    /// One sentence naming the cause, for the broker at `host:port` checked against `caFile`.
    public func explanation(host: String, port: Int, caFile: String) -> String {
        switch self {
        case .untrustedCertificate:
            return "the certificate of \(host):\(port) is not trusted: it is not signed by a CA in ca_file '\(caFile)' (unknown CA), or it has expired"
        case .hostNameMismatch:
            return "host name mismatch: the certificate of \(host):\(port) does not name '\(host)' (connect with the name in its certificate)"
        case .notTLS:
            return "\(host):\(port) did not answer with TLS: is it a plain mqtt:// port?"
        case .other:
            return "TLS handshake with \(host):\(port) failed"
        }
    }
}

/// The last TLS-related lines libmosquitto logged, written on the network thread.
final class TLSDiagnostics: Sendable {
    private let lines = Mutex<[String]>([])
    static let keep = 8

    /// Whether a libmosquitto log line is about TLS.
    static func isTLSLine(_ s: String) -> Bool {
        s.hasPrefix("OpenSSL Error") || s.contains("host name verification") || s.contains("TLS") || s.contains("SSL")
            || s.contains("certificate")
    }

    func record(_ line: String) {
        lines.withLock { l in
            l.append(line)
            if l.count > Self.keep { l.removeFirst(l.count - Self.keep) }
        }
    }

    /// The lines recorded since the last call, oldest first.
    func take() -> [String] {
        lines.withLock { l in
            defer { l.removeAll() }
            return l
        }
    }
}

extension MQTTClient {
    /// With TLS on, collects libmosquitto's TLS error lines (OpenSSL's reasons) for `describeFailure`.
    func installTLSDiagnostics(_ mosq: OpaquePointer) {
        mosquitto_log_callback_set(mosq) { _, userdata, level, message in
            guard let userdata, let message else { return }
            guard level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING) != 0 else { return }
            let text = String(cString: message)
            guard TLSDiagnostics.isTLSLine(text) else { return }
            Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue().tlsDiagnostics.record(text)
        }
    }

    /// The reason for a failed connect or loop call, for the retry log line: libmosquitto's
    /// text for `rc`, the system error for `MOSQ_ERR_ERRNO`, and, after a TLS failure, its
    /// cause and OpenSSL's own words, e.g. `A TLS error occurred.: the certificate of
    /// broker:8883 is not trusted: … (unknown CA) [OpenSSL: certificate verify failed]`.
    ///
    /// - Parameter errno: pass `errno` as it was right after the failed call.
    func describeFailure(_ rc: Int32, errno savedErrno: Int32) -> String {
        var s = String(cString: mosquitto_strerror(rc))
        if rc == MOSQ_ERR_ERRNO.rawValue { s += " (\(String(cString: strerror(savedErrno))))" }
        let lines = tlsDiagnostics.take()
        guard let tls = options.tls, rc == MOSQ_ERR_TLS.rawValue || !lines.isEmpty else { return s }
        guard let cause = TLSFailureCause.classify(lines) else { return s }
        s += ": " + cause.explanation(host: options.host, port: options.port, caFile: tls.caFile)
        let openssl = lines.compactMap(Self.openSSLReason).joined(separator: "; ")
        if !openssl.isEmpty { s += " [OpenSSL: \(openssl)]" }
        return s
    }

    /// `OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed` → `certificate verify failed`.
    static func openSSLReason(_ line: String) -> String? {
        guard line.hasPrefix("OpenSSL Error") else { return nil }
        if let r = line.range(of: "::") { return String(line[r.upperBound...]) }
        return line.split(separator: ":").last.map { String($0).trimmingCharacters(in: .whitespaces) }
    }

    /// A readable error for a failed `mosquitto_tls_set`: which file is missing or
    /// unreadable, for the broker this client is for. libmosquitto only says "Invalid
    /// function arguments provided." (`--check-config` also checks that the files are PEM.)
    static func tlsSetupError(_ tls: MQTTTLSOptions, host: String, port: Int, rc: Int32) -> MQTTError {
        let files: [(String, String?)] = [("ca_file", tls.caFile), ("cert_file", tls.certFile), ("key_file", tls.keyFile)]
        let fm = FileManager.default
        for case let (name, path?) in files {
            var isDir: ObjCBool = false
            let problem: String? =
                !fm.fileExists(atPath: path, isDirectory: &isDir) ? "'\(path)' does not exist"
                : isDir.boolValue ? "'\(path)' is a directory, not a file"
                : !fm.isReadableFile(atPath: path) ? "'\(path)' is not readable (permission denied)" : nil
            if let problem { return .invalidArgument("TLS for broker \(host):\(port): \(name) \(problem)") }
        }
        return .invalidArgument("TLS for broker \(host):\(port): libmosquitto refused the TLS settings: \(String(cString: mosquitto_strerror(rc))) (ca_file '\(tls.caFile)')")
    }
}
