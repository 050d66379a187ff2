import RentGuardConfig
import Testing

@Suite("Broker URLs")
struct BrokerURLTests {
    @Test("valid URLs", arguments: [
        ("mqtt://127.0.0.1:1883", BrokerURL(host: "127.0.0.1", port: 1883, tls: false)),
        ("mqtt://localhost", BrokerURL(host: "localhost", port: 1883, tls: false)),
        ("mqtts://broker.example.com", BrokerURL(host: "broker.example.com", port: 8883, tls: true)),
        ("mqtts://broker.example.com:9883", BrokerURL(host: "broker.example.com", port: 9883, tls: true)),
        ("MQTT://Host-1:1", BrokerURL(host: "Host-1", port: 1, tls: false)),
        ("mqtt://[::1]:1884", BrokerURL(host: "::1", port: 1884, tls: false)),
        ("mqtts://[fe80::1%eth0]", BrokerURL(host: "fe80::1%eth0", port: 8883, tls: true)),
        ("mqtt://[2001:db8::10]", BrokerURL(host: "2001:db8::10", port: 1883, tls: false)),
        ("mqtt://host:65535/", BrokerURL(host: "host", port: 65535, tls: false)),
        ("  mqtt://host:1883  ", BrokerURL(host: "host", port: 1883, tls: false)),
    ])
    func valid(text: String, expected: BrokerURL) throws {
        let url = try BrokerURL(parsing: text)
        #expect(url == expected)
        #expect(try BrokerURL(parsing: url.description) == url)
    }

    @Test("descriptions", arguments: [
        (BrokerURL(host: "::1", port: 1883, tls: false), "mqtt://[::1]:1883"),
        (BrokerURL(host: "h", port: 8883, tls: true), "mqtts://h:8883"),
    ])
    func descriptions(url: BrokerURL, text: String) {
        #expect(url.description == text)
    }

    @Test("invalid URLs say why", arguments: [
        ("", "it is empty"),
        ("127.0.0.1:1883", "expected mqtt://HOST:PORT or mqtts://HOST:PORT"),
        ("tcp://host:1883", "unsupported scheme 'tcp://'"),
        ("http://host", "unsupported scheme 'http://'"),
        ("mqtt://", "the host is missing"),
        ("mqtt://:1883", "the host is missing"),
        ("mqtt://host:", "the port is empty"),
        ("mqtt://host:0", "port '0' is not a number from 1 to 65535"),
        ("mqtt://host:65536", "port '65536' is not a number"),
        ("mqtt://host:http", "port 'http' is not a number"),
        ("mqtt://host:+80", "port '+80' is not a number"),
        ("mqtt://user:pw@host", "credentials do not belong in the URL"),
        ("mqtt://host/topic", "no path"),
        ("mqtt://::1", "IPv6 addresses must be written in brackets"),
        ("mqtt://[::1", "unclosed '['"),
        ("mqtt://[zz]:1883", "'zz' is not an IPv6 address"),
        ("mqtt://[::1]1883", "expected ':PORT' after ']'"),
        ("mqtt://bad host", "'bad host' is not a valid host name"),
        ("mqtt://-host", "is not a valid host name"),
        ("mqtt://a..b", "is not a valid host name"),
    ])
    func invalid(text: String, reason: String) {
        do {
            let url = try BrokerURL(parsing: text)
            Issue.record("parsed \(text) as \(url)")
        } catch {
            #expect(error.input == text)
            #expect(error.reason.contains(reason), "\(error.reason)")
            #expect(error.description.hasPrefix("invalid broker URL \"\(text)\": "))
        }
    }
}
