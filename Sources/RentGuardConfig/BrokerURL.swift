/// An MQTT broker address: `mqtt://HOST:PORT` (plain TCP, default port 1883) or
/// `mqtts://HOST:PORT` (TLS, default port 8883). IPv6 literals go in brackets:
/// `mqtt://[::1]:1883`.
///
/// Used for `broker.url` and `registry.mqtt.url` in the configuration and for the
/// daemon's `--broker` override. Credentials never go in the URL (use `username` and
/// `password_file`), and there is no path.
public struct BrokerURL: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Host name or IP address, without brackets for IPv6 (as libmosquitto wants it).
    public var host: String
    public var port: Int
    /// `mqtts://`: connect with TLS.
    public var tls: Bool

    public static let defaultPort = 1883
    public static let defaultTLSPort = 8883

    public init(host: String, port: Int, tls: Bool) {
        self.host = host
        self.port = port
        self.tls = tls
    }

    /// Parses `mqtt://HOST[:PORT]` or `mqtts://HOST[:PORT]`.
    public init(parsing text: String) throws(BrokerURLError) {
        func fail(_ reason: String) -> BrokerURLError { BrokerURLError(input: text, reason: reason) }

        let s = text.trimmingWhitespace()
        guard !s.isEmpty else { throw fail("it is empty; expected mqtt://HOST:PORT or mqtts://HOST:PORT") }
        guard let sep = s.firstRange(of: "://") else {
            throw fail("expected mqtt://HOST:PORT or mqtts://HOST:PORT")
        }
        let scheme = s[..<sep.lowerBound].lowercased()
        switch scheme {
        case "mqtt": tls = false
        case "mqtts": tls = true
        default:
            throw fail("unsupported scheme '\(scheme)://'; use mqtt:// (plain) or mqtts:// (TLS)")
        }
        var rest = Substring(s[sep.upperBound...])
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if rest.contains("@") {
            throw fail("credentials do not belong in the URL; use 'username' and 'password_file'")
        }
        if rest.contains("/") || rest.contains("?") || rest.contains("#") {
            throw fail("a broker URL has no path, query or fragment; expected \(scheme)://HOST:PORT")
        }
        guard !rest.isEmpty else { throw fail("the host is missing") }

        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw fail("unclosed '[' around an IPv6 address") }
            let literal = rest[rest.index(after: rest.startIndex)..<close]
            guard BrokerURL.isIPv6Literal(literal) else {
                throw fail("'\(literal)' is not an IPv6 address")
            }
            host = String(literal)
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("expected ':PORT' after ']'") }
                portText = after.dropFirst()
            }
        } else {
            let colons = rest.filter { $0 == ":" }.count
            if colons > 1 { throw fail("IPv6 addresses must be written in brackets, e.g. mqtt://[::1]:1883") }
            if colons == 1 {
                let colon = rest.firstIndex(of: ":")!
                host = String(rest[..<colon])
                portText = rest[rest.index(after: colon)...]
            } else {
                host = String(rest)
            }
            guard !host.isEmpty else { throw fail("the host is missing") }
            guard BrokerURL.isHostName(host) else {
                throw fail("'\(host)' is not a valid host name or IPv4 address")
            }
        }

        if let portText {
            guard !portText.isEmpty else { throw fail("the port is empty after ':'") }
            guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int(portText), (1...65535).contains(p) else {
                throw fail("port '\(portText)' is not a number from 1 to 65535")
            }
            port = p
        } else {
            port = tls ? BrokerURL.defaultTLSPort : BrokerURL.defaultPort
        }
    }

    /// `mqtt://host:port`, with IPv6 hosts in brackets; parses back to the same value.
    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(tls ? "mqtts" : "mqtt")://\(h):\(port)"
    }

    static func isHostName(_ s: String) -> Bool {
        guard s.utf8.count <= 253 else { return false }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63, !label.hasPrefix("-"), !label.hasSuffix("-") else { return false }
            guard label.unicodeScalars.allSatisfy({ $0.isASCIIAlphanumeric || $0 == "-" || $0 == "_" }) else { return false }
        }
        return true
    }

    static func isIPv6Literal(_ s: Substring) -> Bool {
        // An optional zone id after '%' (fe80::1%eth0).
        var address = s
        if let pct = s.firstIndex(of: "%") {
            let zone = s[s.index(after: pct)...]
            guard !zone.isEmpty, zone.unicodeScalars.allSatisfy({ $0.isASCIIAlphanumeric || "._-".unicodeScalars.contains($0) }) else { return false }
            address = s[..<pct]
        }
        guard address.contains(":"), address.count >= 2 else { return false }
        return address.unicodeScalars.allSatisfy { $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." }
    }
}

/// Why a broker URL did not parse.
public struct BrokerURLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text as given.
    public var input: String
    /// What is wrong with it.
    public var reason: String

    public init(input: String, reason: String) {
        self.input = input
        self.reason = reason
    }

    /// `invalid broker URL "http://x": unsupported scheme 'http://'; use mqtt:// (plain) or mqtts:// (TLS)`
    public var description: String { "invalid broker URL \"\(input)\": \(reason)" }
}

extension Unicode.Scalar {
    var isASCIIAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> Substring {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return s
    }
}
