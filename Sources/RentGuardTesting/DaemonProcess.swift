import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The real `rentguardd` binary run as a child process, with its stderr kept in a file.
/// Tests can kill it (SIGKILL included) and start it again on the same state folder.
public final class DaemonProcess: @unchecked Sendable {
    public let arguments: [String]
    public let logFile: String
    /// Where this run's lines start in the log file.
    let logStart: Int
    private let process: ChildProcess

    /// The folder where SwiftPM put the binaries: `$RENTGUARD_BIN_DIR`, or next to the test bundle.
    public static var binDirectory: String {
        if let d = ProcessInfo.processInfo.environment["RENTGUARD_BIN_DIR"], !d.isEmpty { return d }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }

    public static func executable(_ name: String) -> String { "\(binDirectory)/\(name)" }

    public init(executable: String = DaemonProcess.executable("rentguardd"), arguments: [String], logFile: String, environment: [String: String] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestingError("\(executable) not found: build it first (swift build)")
        }
        self.arguments = arguments
        self.logFile = logFile
        logStart = ((try? FileManager.default.attributesOfItem(atPath: logFile)[.size]) as? NSNumber)?.intValue ?? 0
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process = try ChildProcess(executable: executable, arguments: arguments, outputFile: logFile, environment: env)
    }

    public var pid: Int32 { process.pid }
    public var isRunning: Bool { process.isRunning }
    public var exitStatus: Int32? { process.exitStatus }

    public func signal(_ sig: Int32) { process.signal(sig) }

    /// Waits for the process to exit; returns its status, or nil on timeout.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(15)) async -> Int32? {
        await process.wait(timeout: timeout)
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    public func stop(grace: Duration = .seconds(10)) async {
        guard process.isRunning else { return }
        signal(SIGTERM)
        if await waitForExit(timeout: grace) == nil {
            signal(SIGKILL)
            await waitForExit()
        }
    }

    /// What the daemon has logged so far.
    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// What this process has logged (the log file may hold earlier runs' lines before it).
    public var logSinceStart: String {
        guard let data = FileManager.default.contents(atPath: logFile), data.count >= logStart else { return log }
        return String(decoding: data[logStart...], as: UTF8.self)
    }

    /// Waits until the log contains `text`.
    public func waitForLog(_ text: String, timeout: Duration = .seconds(15)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if logSinceStart.contains(text) { return true }
            if !process.isRunning { return logSinceStart.contains(text) }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return false
    }

    deinit {
        process.signal(SIGKILL)
    }
}
