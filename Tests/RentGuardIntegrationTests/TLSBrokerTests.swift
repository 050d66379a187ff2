import Foundation
import RentGuardTesting
import Testing

/// A CA, a second (unrelated) CA and a server certificate for `localhost`, made with openssl,
/// and a mosquitto with a TLS listener on a free loopback port.
final class TLSBroker: @unchecked Sendable {
    let directory: TemporaryDirectory
    let port: Int
    var process: ChildProcess?
    var ca: String { directory.file("ca.crt") }
    var otherCA: String { directory.file("other-ca.crt") }

    init() async throws {
        directory = try TemporaryDirectory(prefix: "tls-broker")
        let d = directory
        try await Self.openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d.file("ca.key"), "-out", d.file("ca.crt"), "-days", "2", "-subj", "/CN=RentGuard Test CA"], in: d)
        try await Self.openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d.file("other-ca.key"), "-out", d.file("other-ca.crt"), "-days", "2", "-subj", "/CN=Other CA"], in: d)
        try await Self.openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", d.file("server.key"), "-out", d.file("server.csr"), "-subj", "/CN=localhost"], in: d)
        try "subjectAltName=DNS:localhost\n".write(toFile: d.file("ext.cnf"), atomically: true, encoding: .utf8)
        try await Self.openssl(["x509", "-req", "-in", d.file("server.csr"), "-CA", d.file("ca.crt"), "-CAkey", d.file("ca.key"), "-CAcreateserial", "-out", d.file("server.crt"), "-days", "2", "-extfile", d.file("ext.cnf")], in: d)
        port = try freeLoopbackPort()
        // configs/mosquitto.conf (without persistence), then the TLS listener.
        var conf = try MosquittoBroker.recommendedConfig(persistence: false) + "persistence false\n"
        conf += """
            listener \(port) 127.0.0.1
            allow_anonymous true
            cafile \(d.file("ca.crt"))
            certfile \(d.file("server.crt"))
            keyfile \(d.file("server.key"))

            """
        if geteuid() == 0 { conf += "user root\n" }
        try conf.write(toFile: d.file("mosquitto.conf"), atomically: true, encoding: .utf8)
        let p = try ChildProcess(executable: MosquittoBroker.executable, arguments: ["-c", d.file("mosquitto.conf")], outputFile: d.file("mosquitto.log"))
        process = p
        _ = await HardeningTests.waitUntil(timeout: .seconds(5)) { isListening(port: port) }
        guard isListening(port: port) else { throw TestingError("TLS mosquitto did not start: \((try? String(contentsOfFile: d.file("mosquitto.log"), encoding: .utf8)) ?? "")") }
    }

    static func openssl(_ args: [String], in d: TemporaryDirectory) async throws {
        let p = try ChildProcess(executable: "/usr/bin/openssl", arguments: args, outputFile: d.file("openssl.log"))
        guard await p.wait(timeout: .seconds(60)) == 0 else { throw TestingError("openssl \(args.first ?? ""): \((try? String(contentsOfFile: d.file("openssl.log"), encoding: .utf8)) ?? "")") }
    }

    func shutdown() {
        process?.signal(SIGTERM)
        _ = process?.waitBlocking(timeout: 5)
        directory.remove()
    }
}

/// TLS to the building broker: `--check-config` checks the files; a missing one is named at
/// start; a failed handshake names the broker and the cause.
@Suite(.serialized)
struct TLSBrokerTests {
    static func config(url: String, caFile: String, stateDir: String) -> String {
        """
        gateway: {id: gw-test, building: testb}
        broker:
          url: "\(url)"
          connect_timeout_s: 2
          reconnect_min_s: 0.2
          reconnect_max_s: 1
          tls: {ca_file: "\(caFile)"}
        storage: {state_dir: "\(stateDir)"}
        units:
          - {id: "101", floor: 1, area_m2: 40, registered_occupants: 2}
        devices:
          - {id: SD-1, kind: smoke_detector, unit: "101"}
        """
    }

    static func checkConfig(_ path: String, in d: TemporaryDirectory) async throws -> (status: Int32?, output: String) {
        let out = d.file("check-\(UUID().uuidString.prefix(6)).txt")
        let p = try ChildProcess(executable: DaemonProcess.executable("rentguardd"), arguments: ["--check-config", path], outputFile: out)
        let status = await p.wait(timeout: .seconds(20))
        return (status, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    @Test func checkConfigChecksThatTheTLSFilesExistAndArePEM() async throws {
        let d = try TemporaryDirectory(prefix: "tls-check")
        defer { d.remove() }
        let tls = try await TLSBroker()
        defer { tls.shutdown() }
        let state = d.file("state")
        let missing = d.file("no-such-ca.pem")
        try Self.config(url: "mqtts://localhost:\(tls.port)", caFile: missing, stateDir: state).write(toFile: d.file("missing.yaml"), atomically: true, encoding: .utf8)
        let r1 = try await Self.checkConfig(d.file("missing.yaml"), in: d)
        #expect(r1.status == 2, "\(r1.output)")
        #expect(r1.output.contains("broker.tls.ca_file") && r1.output.contains("'\(missing)' does not exist"), "\(r1.output)")

        try "not a certificate\n".write(toFile: d.file("junk.pem"), atomically: true, encoding: .utf8)
        try Self.config(url: "mqtts://localhost:\(tls.port)", caFile: d.file("junk.pem"), stateDir: state).write(toFile: d.file("junk.yaml"), atomically: true, encoding: .utf8)
        let r2 = try await Self.checkConfig(d.file("junk.yaml"), in: d)
        #expect(r2.status == 2)
        #expect(r2.output.contains("is not a PEM certificate"), "\(r2.output)")

        try Self.config(url: "mqtts://localhost:\(tls.port)", caFile: tls.ca, stateDir: state).write(toFile: d.file("good.yaml"), atomically: true, encoding: .utf8)
        let r3 = try await Self.checkConfig(d.file("good.yaml"), in: d)
        #expect(r3.status == 0, "\(r3.output)")

        // Started anyway with the missing file: exit 1, naming the broker and the file
        // (it used to say only "libmosquitto error 3: Invalid function arguments provided.").
        let daemon = try DaemonProcess(arguments: ["--config", d.file("missing.yaml"), "--http-listen", "127.0.0.1:0"], logFile: d.file("missing.log"))
        #expect(await daemon.waitForExit(timeout: .seconds(20)) == 1)
        #expect(daemon.log.contains("TLS for broker localhost:\(tls.port): ca_file '\(missing)' does not exist"), "\(daemon.log)")
    }

    /// Each failure used to log only "A TLS error occurred.".
    @Test(arguments: ["untrusted", "hostname", "plain"])
    func tlsConnectionFailuresNameTheBrokerAndTheCause(failure: String) async throws {
        let d = try TemporaryDirectory(prefix: "tls-fail")
        defer { d.remove() }
        let tls = try await TLSBroker()
        defer { tls.shutdown() }
        let plain = try MosquittoBroker(persistence: false)
        defer { plain.shutdown() }
        let (host, port, ca, expected): (String, Int, String, String) =
            switch failure {
            case "untrusted": ("localhost", tls.port, tls.otherCA, "is not trusted: it is not signed by a CA in ca_file '\(tls.otherCA)' (unknown CA)")
            case "hostname": ("127.0.0.1", tls.port, tls.ca, "host name mismatch: the certificate of 127.0.0.1:\(tls.port) does not name '127.0.0.1'")
            default: ("localhost", plain.port, tls.ca, "localhost:\(plain.port) did not answer with TLS")
            }
        try Self.config(url: "mqtts://\(host):\(port)", caFile: ca, stateDir: d.file("state")).write(toFile: d.file("c.yaml"), atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--config", d.file("c.yaml"), "--http-listen", "127.0.0.1:0"], logFile: d.file("d.log"))
        defer { Task { await daemon.stop() } }
        let found = await daemon.waitForLog(expected, timeout: .seconds(20))
        #expect(found, "log:\n\(daemon.log)")
        let line = daemon.log.split(separator: "\n").first { $0.contains(expected) } ?? ""
        #expect(line.contains("mqtt.broker=\(host):\(port)"), "the line must name the broker: \(line)")
        print("[tls \(failure)] \(line)")
    }

    @Test func aGoodCertificateConnects() async throws {
        let d = try TemporaryDirectory(prefix: "tls-ok")
        defer { d.remove() }
        let tls = try await TLSBroker()
        defer { tls.shutdown() }
        try Self.config(url: "mqtts://localhost:\(tls.port)", caFile: tls.ca, stateDir: d.file("state")).write(toFile: d.file("c.yaml"), atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--config", d.file("c.yaml"), "--http-listen", "127.0.0.1:0"], logFile: d.file("d.log"))
        defer { Task { await daemon.stop() } }
        #expect(await daemon.waitForLog("MQTT connected component=mqtt.building", timeout: .seconds(20)), "\(daemon.log)")
    }
}
