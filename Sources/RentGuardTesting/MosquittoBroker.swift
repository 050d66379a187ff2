import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real mosquitto broker for tests, on a free loopback port, with its own config and
/// persistence folder. Start it, use `port`, and `stop()` it: tests stop what they start.
///
/// `restart()` keeps the port and the persistence file, like a broker restart in the field.
public final class MosquittoBroker: @unchecked Sendable {
    public let port: Int
    public let directory: TemporaryDirectory
    public let persistence: Bool
    /// More mosquitto.conf lines (an `acl_file`, limits).
    public let extraConfig: String
    private let lock = NSLock()
    private var process: ChildProcess?

    public var url: String { "mqtt://127.0.0.1:\(port)" }
    public var logFile: String { directory.file("mosquitto.log") }

    /// Where the mosquitto binary is: `$MOSQUITTO` or the Debian package's path.
    public static var executable: String {
        if let env = ProcessInfo.processInfo.environment["MOSQUITTO"], !env.isEmpty { return env }
        for p in ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"] where FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        return "/usr/sbin/mosquitto"
    }

    /// Starts a broker. With `persistence`, sessions and queued QoS 1 messages survive `restart()`.
    public init(persistence: Bool = true, port: Int? = nil, extraConfig: String = "") throws {
        self.port = try port ?? freeLoopbackPort()
        self.directory = try TemporaryDirectory(prefix: "mosquitto")
        self.persistence = persistence
        self.extraConfig = extraConfig
        try writeConfig()
        try start()
    }

    /// The repository's `configs/mosquitto.conf`: the broker configuration docs/operations.md
    /// recommends, shared by the demo, the scripts, the suite runner, the benches and the tests.
    public static var recommendedConfigPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("configs/mosquitto.conf").path
    }

    /// The settings of `configs/mosquitto.conf` (comments dropped); without `persistence`, its
    /// persistence and autosave lines are left out too (a broker that keeps nothing on disk).
    public static func recommendedConfig(persistence: Bool) throws -> String {
        let text: String
        do {
            text = try String(contentsOfFile: recommendedConfigPath, encoding: .utf8)
        } catch {
            throw TestingError("cannot read the recommended broker configuration \(recommendedConfigPath): \(error)")
        }
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            .filter { persistence || !($0.hasPrefix("persistence") || $0.hasPrefix("autosave")) }
            .joined(separator: "\n") + "\n"
    }

    private func writeConfig() throws {
        // configs/mosquitto.conf, then what is this broker's own: where it listens, keeps its
        // store and logs.
        var conf = try Self.recommendedConfig(persistence: persistence)
        conf += """
            listener \(port) 127.0.0.1
            allow_anonymous true
            log_dest file \(logFile)
            log_type error
            log_type warning
            log_type notice
            log_type information
            connection_messages true

            """
        conf += persistence ? "persistence_location \(directory.path)/\n" : "persistence false\n"
        // Started as root, mosquitto drops to the `mosquitto` user, which cannot write this
        // folder; tests run it as root instead (it listens on loopback only).
        if geteuid() == 0 { conf += "user root\n" }
        conf += extraConfig
        try conf.write(toFile: directory.file("mosquitto.conf"), atomically: true, encoding: .utf8)
    }

    public func start() throws {
        lock.lock()
        defer { lock.unlock() }
        guard process == nil else { return }
        let p = try ChildProcess(
            executable: Self.executable, arguments: ["-c", directory.file("mosquitto.conf")],
            outputFile: directory.file("mosquitto.out"))
        process = p
        let deadline = Date().addingTimeInterval(10)
        while !isListening(port: port) {
            if let status = p.exitStatus {
                let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
                let out = (try? String(contentsOfFile: directory.file("mosquitto.out"), encoding: .utf8)) ?? ""
                process = nil
                throw TestingError("mosquitto exited at start (status \(status)); log:\n\(log)\n\(out)")
            }
            if Date() > deadline { throw TestingError("mosquitto did not listen on port \(port) within 10 s") }
            usleep(10_000)
        }
    }

    /// Stops the broker (SIGTERM, so it saves its persistence file) and waits for it to exit.
    public func stop() {
        lock.lock()
        let p = process
        process = nil
        lock.unlock()
        guard let p, p.isRunning else { return }
        p.signal(SIGTERM)
        if p.waitBlocking(timeout: 10) == nil {
            p.signal(SIGKILL)
            p.waitBlocking(timeout: 5)
        }
    }

    /// Sends `sig` to the broker (SIGSTOP freezes it, SIGCONT lets it go on: a broker that
    /// reads nothing and acknowledges nothing meanwhile).
    public func signal(_ sig: Int32) {
        lock.lock()
        let p = process
        lock.unlock()
        p?.signal(sig)
    }

    /// Kills the broker with SIGKILL (a power cut, as far as its store is concerned: what it
    /// has not written is lost) and waits for it to exit.
    public func kill() {
        lock.lock()
        let p = process
        process = nil
        lock.unlock()
        guard let p, p.isRunning else { return }
        p.signal(SIGKILL)
        p.waitBlocking(timeout: 10)
    }

    public func restart() throws {
        stop()
        try start()
    }

    public var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return process?.isRunning ?? false
    }

    /// Stops the broker and removes its folder.
    public func shutdown() {
        stop()
        directory.remove()
    }

    deinit {
        process?.signal(SIGTERM)
    }
}
