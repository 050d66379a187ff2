import Foundation
import RentGuardCore
import RentGuardHTTP
import RentGuardTesting
import Testing

/// The output and exit status of one run of the built rentguardctl.
struct CtlRun {
    var status: Int32
    var output: String
}

func rentguardctl(_ arguments: [String], environment: [String: String] = [:]) async throws -> CtlRun {
    let executable = DaemonProcess.executable("rentguardctl")
    guard FileManager.default.isExecutableFile(atPath: executable) else {
        throw TestingError("\(executable) not found: build it first (swift build --build-tests builds it)")
    }
    let dir = try TemporaryDirectory(prefix: "rg-ctl")
    defer { dir.remove() }
    var env = ProcessInfo.processInfo.environment
    env["RENTGUARD_URL"] = nil
    env["RENTGUARD_TOKEN_FILE"] = nil
    env["COLUMNS"] = "200"
    for (k, v) in environment { env[k] = v }
    let process = try ChildProcess(executable: executable, arguments: arguments, outputFile: dir.file("out"), environment: env)
    guard let status = await process.wait(timeout: .seconds(30)) else {
        process.signal(SIGKILL)
        throw TestingError("rentguardctl \(arguments) did not finish")
    }
    return CtlRun(status: status, output: (try? String(contentsOfFile: dir.file("out"), encoding: .utf8)) ?? "")
}

@Suite(.serialized) struct RentGuardCtlTests {
    @Test func againstNothingItSaysTheDaemonIsNotRunning() async throws {
        let port = try freeLoopbackPort()
        let started = ContinuousClock.now
        let run = try await rentguardctl(["status", "--url", "http://127.0.0.1:\(port)"])
        #expect(run.status == 2)
        #expect(run.output == "rentguardctl: rentguardd is not running (nothing listening on 127.0.0.1:\(port))\n")
        #expect(ContinuousClock.now - started < .seconds(10))
        // The environment variable works the same.
        let viaEnv = try await rentguardctl(["alarms", "--active"], environment: ["RENTGUARD_URL": "http://127.0.0.1:\(port)"])
        #expect(viaEnv.status == 2)
        #expect(viaEnv.output.contains("nothing listening on 127.0.0.1:\(port)"))
    }

    @Test func helpTeachesWithExamples() async throws {
        let run = try await rentguardctl(["--help"])
        #expect(run.status == 0)
        for text in ["EXAMPLES", "rentguardctl alarms --active", "rentguardctl ack", "--token-file", "EXIT STATUS", "RENTGUARD_URL"] {
            #expect(run.output.contains(text), "\(text)")
        }
        let bad = try await rentguardctl(["alarms", "--limit", "0"])
        #expect(bad.status == 64)
        let unknown = try await rentguardctl(["reboot"])
        #expect(unknown.status == 64)
    }

    @Test func commandsAgainstARunningServer() async throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        try await withServer(api: seeded.api()) { port in
            let url = ["--url", "http://127.0.0.1:\(port)"]

            var run = try await rentguardctl(["status"] + url)
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("gw-test (building demo)"))
            #expect(run.output.contains("state:"))
            #expect(run.output.contains("ready"))
            #expect(run.output.contains("broker building:"))

            // A readable, aligned table; the id in the last column.
            run = try await rentguardctl(url + ["alarms", "--active"])
            #expect(run.status == 0, "\(run.output)")
            let lines = run.output.split(separator: "\n").map(String.init)
            #expect(lines.count == 3)
            #expect(lines[0].hasPrefix("SEVERITY"))
            #expect(lines.contains { $0.hasPrefix("MAJOR") && $0.contains("smoke") && $0.hasSuffix(SeededStore.smokeID) })
            #expect(lines.contains { $0.hasPrefix("CRITICAL") && $0.contains("102室 厨房") && $0.hasSuffix(SeededStore.chineseLocationID) })
            #expect(!run.output.contains(SeededStore.clearedID))
            // Columns line up (CJK characters count double): the id column starts at the same place.
            let idColumn = lines.map { Self.displayColumn(of: $0.contains("demo:") ? "demo:" : "ALARM ID", in: $0) }
            #expect(Set(idColumn).count == 1, "\(run.output)")

            run = try await rentguardctl(["alarms", "--json"] + url)
            #expect(run.status == 0)
            let json = try JSONParser.parse(run.output.trimmingCharacters(in: .whitespacesAndNewlines), maxDepth: 64)
            #expect(json["alarms"]?.arrayValue?.count == 3)

            // Acknowledge, then again (conflict), then an unknown alarm.
            run = try await rentguardctl(["ack", SeededStore.smokeID, "--by", "Li Wei", "--note", "kitchen smoke"] + url)
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("acknowledged \(SeededStore.smokeID) by Li Wei"))
            #expect(try seeded.store.alarm(id: SeededStore.smokeID)?.state == .acknowledged)
            run = try await rentguardctl(["ack", SeededStore.smokeID] + url)
            #expect(run.status == 5)
            #expect(run.output.contains("already acknowledged"))
            run = try await rentguardctl(["ack", "demo:smoke:nope:1"] + url)
            #expect(run.status == 4)
            #expect(run.output.contains("no alarm demo:smoke:nope:1"))
            // --by defaults to the login name.
            run = try await rentguardctl(["ack", SeededStore.chineseLocationID] + url, environment: ["USER": "duty-officer", "SUDO_USER": ""])
            #expect(run.status == 0)
            #expect(run.output.contains("by duty-officer"))

            run = try await rentguardctl(["devices", "--offline"] + url)
            #expect(run.status == 0)
            #expect(run.output.contains("SD-102-1"))
            #expect(run.output.contains("NEVER SEEN"))
            #expect(!run.output.contains("SD-101-1"))

            run = try await rentguardctl(["occupancy"] + url)
            #expect(run.status == 0)
            #expect(run.output.contains("SUSPECTED"))
            #expect(run.output.contains("6-9"))

            run = try await rentguardctl(["outbox"] + url)
            #expect(run.status == 0)
            #expect(run.output.contains("registry-mqtt"))
            #expect(run.output.split(separator: "\n").count == 2)
        }
    }

    @Test func tokenFromAFileOrTheEnvironment() async throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        let dir = try TemporaryDirectory(prefix: "rg-token")
        defer { dir.remove() }
        try "  t0ken-for-ctl\n".write(toFile: dir.file("api-token"), atomically: true, encoding: .utf8)
        try "wrong".write(toFile: dir.file("wrong-token"), atomically: true, encoding: .utf8)
        try await withServer(token: "t0ken-for-ctl", api: seeded.api()) { port in
            let url = ["--url", "http://127.0.0.1:\(port)"]
            var run = try await rentguardctl(["status"] + url)
            #expect(run.status == 3)
            #expect(run.output.contains("access denied: pass --token-file"))
            run = try await rentguardctl(["--token-file", dir.file("wrong-token"), "status"] + url)
            #expect(run.status == 3)
            #expect(run.output.contains("the token was refused"))
            run = try await rentguardctl(["--token-file", dir.file("api-token"), "status"] + url)
            #expect(run.status == 0, "\(run.output)")
            run = try await rentguardctl(["outbox"] + url, environment: ["RENTGUARD_TOKEN_FILE": dir.file("api-token")])
            #expect(run.status == 0, "\(run.output)")
            run = try await rentguardctl(["status", "--token-file", dir.file("missing")] + url)
            #expect(run.status == 1)
            #expect(run.output.contains("cannot read the token file"))
        }
    }

    /// The display column (CJK characters count two) where `text` starts in `line`.
    static func displayColumn(of text: String, in line: String) -> Int {
        guard let r = line.range(of: text) else { return -1 }
        return line[..<r.lowerBound].unicodeScalars.reduce(0) { w, s in
            w + ((0x2E80...0xA4CF).contains(s.value) || (0xFF00...0xFF60).contains(s.value) ? 2 : 1)
        }
    }
}
