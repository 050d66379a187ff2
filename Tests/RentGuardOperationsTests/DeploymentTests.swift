import Foundation
import RentGuardTesting
import Testing

/// The repository's root, from this file's path.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// Runs a command to completion; returns its exit status and combined output.
func runCommand(_ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(120)) async throws -> (
    status: Int32, output: String
) {
    let dir = try TemporaryDirectory(prefix: "rg-cmd")
    defer { dir.remove() }
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    let p = try ChildProcess(executable: executable, arguments: arguments, outputFile: dir.file("out"), environment: env)
    guard let status = await p.wait(timeout: timeout) else {
        p.signal(SIGKILL)
        throw TestingError("\(executable) \(arguments) did not finish in \(timeout)")
    }
    return (status, (try? String(contentsOfFile: dir.file("out"), encoding: .utf8)) ?? "")
}

func which(_ name: String) -> String? {
    for dir in ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
        return "\(dir)/\(name)"
    }
    return nil
}

let systemdAnalyze = which("systemd-analyze")

@Suite struct SystemdUnitTests {
    /// The shipped unit with ExecStart (and ExecStartPre) pointing at a binary that exists
    /// here, for `systemd-analyze verify`, which checks that executables exist.
    func unitForVerification(in dir: TemporaryDirectory, extra: String = "") throws -> String {
        let unit = try String(contentsOfFile: "\(repositoryRoot)/systemd/rentguardd.service", encoding: .utf8)
        let built = DaemonProcess.executable("rentguardd")
        let binary = FileManager.default.isExecutableFile(atPath: built) ? built : "/bin/true"
        var text = unit.replacingOccurrences(of: "/usr/bin/rentguardd", with: binary)
        if !extra.isEmpty { text = text.replacingOccurrences(of: "[Service]\n", with: "[Service]\n\(extra)\n") }
        let path = dir.file("rentguardd.service")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(.enabled(if: systemdAnalyze != nil, "systemd-analyze is not installed: the unit is not verified"))
    func unitVerifiesWithoutAnyOutput() async throws {
        let dir = try TemporaryDirectory(prefix: "rg-unit")
        defer { dir.remove() }
        let path = try unitForVerification(in: dir)
        let r = try await runCommand(systemdAnalyze!, ["verify", path])
        // Unknown keys and bad values only print "…, ignoring" and still exit 0: any output fails.
        #expect(r.status == 0)
        #expect(r.output.isEmpty, "systemd-analyze verify printed:\n\(r.output)")
    }

    @Test(.enabled(if: systemdAnalyze != nil, "systemd-analyze is not installed"))
    func theVerificationCatchesUnknownKeysAndBadValues() async throws {
        // A check that cannot fail proves nothing: an unknown key and a bad value must print.
        let dir = try TemporaryDirectory(prefix: "rg-unit")
        defer { dir.remove() }
        let path = try unitForVerification(in: dir, extra: "WatchdogSecs=30\nRestart=sometimes")
        let r = try await runCommand(systemdAnalyze!, ["verify", path])
        #expect(r.output.contains("WatchdogSecs"))
        #expect(r.output.contains("sometimes"))
    }

    @Test(.enabled(if: systemdAnalyze != nil, "systemd-analyze is not installed"))
    func securityExposureIsAtMostTwo() async throws {
        let dir = try TemporaryDirectory(prefix: "rg-unit")
        defer { dir.remove() }
        let path = try unitForVerification(in: dir)
        let r = try await runCommand(systemdAnalyze!, ["security", "--offline=yes", "--no-pager", path])
        let line = try #require(r.output.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(r.output)")
        let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }, "\(line)")
        #expect(score <= 2.0, "\(line)")
        // docs/operations.md reports the same score.
        let docs = try String(contentsOfFile: "\(repositoryRoot)/docs/operations.md", encoding: .utf8)
        #expect(docs.contains("exposure level \(String(format: "%.1f", score)) OK"), "docs/operations.md must report \(line)")
    }

    @Test func unitHasTheRequiredSettings() throws {
        let unit = try String(contentsOfFile: "\(repositoryRoot)/systemd/rentguardd.service", encoding: .utf8)
        let settings = Set(unit.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.hasPrefix("#") })
        for s in [
            "Type=notify", "NotifyAccess=main", "WatchdogSec=30", "Restart=on-failure", "StartLimitIntervalSec=600", "StartLimitBurst=5",
            "ExecStart=/usr/bin/rentguardd --config /etc/rentguard/rentguard.yaml", "ExecReload=/bin/kill -HUP $MAINPID",
            "StateDirectory=rentguard", "ConfigurationDirectory=rentguard", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
            "NoNewPrivileges=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "SystemCallFilter=@system-service",
            "CapabilityBoundingSet=", "MemoryDenyWriteExecute=yes", "MemoryMax=128M", "UMask=0077",
            "LoadCredential=rentguard:/etc/rentguard/credentials",
        ] {
            #expect(settings.contains(s), "\(s)")
        }
    }
}

/// `MemoryDenyWriteExecute=yes` in the unit: the Swift runtime, SwiftNIO, the HTTP server and
/// client must never need writable-and-executable memory. The kernel's own MDWE
/// (`prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN)`, Linux 6.3+, inherited by exec) stands in
/// for systemd's seccomp filter: the built rentguardctl runs under it against a live server.
@Suite struct MemoryDenyWriteExecuteTests {
    static let wrapper = """
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(65, 1, 0, 0, 0) != 0:
            sys.exit(99)  # PR_SET_MDWE unsupported: the kernel is older than 6.3
        os.execv(sys.argv[1], sys.argv[1:])
        """

    @Test(.enabled(if: which("python3") != nil, "python3 is needed to set PR_SET_MDWE before exec"))
    func swiftBinariesRunWithoutWritableExecutableMemory() async throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        let python = which("python3")!
        let probe = try await runCommand(python, ["-c", Self.wrapper, "/bin/true"])
        guard probe.status != 99 else {
            print("MemoryDenyWriteExecute check skipped: this kernel has no PR_SET_MDWE")
            return
        }
        try await withServer(api: seeded.api()) { port in
            let ctl = DaemonProcess.executable("rentguardctl")
            let r = try await runCommand(python, ["-c", Self.wrapper, ctl, "alarms", "--url", "http://127.0.0.1:\(port)"])
            #expect(r.status == 0, "\(r.output)")
            #expect(r.output.contains(SeededStore.smokeID))
        }
        let daemon = DaemonProcess.executable("rentguardd")
        if FileManager.default.isExecutableFile(atPath: daemon) {
            let r = try await runCommand(python, ["-c", Self.wrapper, daemon, "--check-config", "\(repositoryRoot)/configs/demo.yaml"])
            #expect(r.status == 0, "\(r.output)")
        }
    }
}

@Suite struct InstallScriptTests {
    /// A folder with stand-ins for the release binaries (the script only copies them).
    func fakeBinaries() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(prefix: "rg-bin")
        for name in ["rentguardd", "rentguardctl"] {
            try "#!/bin/sh\necho \(name)\n".write(toFile: dir.file(name), atomically: true, encoding: .utf8)
            chmod(dir.file(name), 0o755)
        }
        return dir
    }

    func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? NSNumber)?.intValue ?? -1
    }

    func files(under root: String) -> [String] {
        (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).sorted()
    }

    @Test func stagesAnFHSTreeIdempotentlyAndUninstalls() async throws {
        let bins = try fakeBinaries()
        defer { bins.remove() }
        let root = try TemporaryDirectory(prefix: "rg-destdir")
        defer { root.remove() }
        let script = "\(repositoryRoot)/scripts/install.sh"
        var r = try await runCommand(script, ["--destdir", root.path, "--bin-dir", bins.path])
        #expect(r.status == 0, "\(r.output)")
        let p = root.path
        for f in ["/usr/bin/rentguardd", "/usr/bin/rentguardctl"] {
            #expect(FileManager.default.isExecutableFile(atPath: p + f), "\(f)")
            #expect(mode(p + f) == 0o755)
        }
        let unit = try String(contentsOfFile: p + "/lib/systemd/system/rentguardd.service", encoding: .utf8)
        #expect(unit == (try String(contentsOfFile: "\(repositoryRoot)/systemd/rentguardd.service", encoding: .utf8)))
        #expect(FileManager.default.fileExists(atPath: p + "/etc/rentguard/rentguard.yaml.example"))
        #expect(!FileManager.default.fileExists(atPath: p + "/etc/rentguard/rentguard.yaml"))
        #expect(mode(p + "/etc/rentguard/credentials") == 0o700)
        #expect(mode(p + "/var/lib/rentguard") == 0o700)
        #expect(FileManager.default.fileExists(atPath: p + "/usr/share/doc/rentguard/operations.md"))
        #expect(FileManager.default.fileExists(atPath: p + "/usr/share/doc/rentguard/examples/demo.yaml"))
        #expect(FileManager.default.fileExists(atPath: p + "/usr/share/doc/rentguard/examples/mosquitto.conf"))
        let first = files(under: p)

        // An installer's configuration and secrets survive a second run (an upgrade)…
        try "gateway: {id: gw-1}\n".write(toFile: p + "/etc/rentguard/rentguard.yaml", atomically: true, encoding: .utf8)
        try "pw\n".write(toFile: p + "/etc/rentguard/credentials/broker.password", atomically: true, encoding: .utf8)
        r = try await runCommand(script, ["--destdir", root.path, "--bin-dir", bins.path])
        #expect(r.status == 0, "\(r.output)")
        #expect(files(under: p) == (first + ["etc/rentguard/credentials/broker.password", "etc/rentguard/rentguard.yaml"]).sorted())
        #expect(try String(contentsOfFile: p + "/etc/rentguard/rentguard.yaml", encoding: .utf8) == "gateway: {id: gw-1}\n")

        // …and an uninstall, which removes the rest.
        r = try await runCommand(script, ["--uninstall", "--destdir", root.path])
        #expect(r.status == 0, "\(r.output)")
        #expect(!FileManager.default.fileExists(atPath: p + "/usr/bin/rentguardd"))
        #expect(!FileManager.default.fileExists(atPath: p + "/lib/systemd/system/rentguardd.service"))
        #expect(!FileManager.default.fileExists(atPath: p + "/usr/share/doc/rentguard"))
        #expect(FileManager.default.fileExists(atPath: p + "/etc/rentguard/rentguard.yaml"))
        #expect(FileManager.default.fileExists(atPath: p + "/etc/rentguard/credentials/broker.password"))
        r = try await runCommand(script, ["--uninstall", "--purge", "--destdir", root.path])
        #expect(r.status == 0, "\(r.output)")
        #expect(!FileManager.default.fileExists(atPath: p + "/etc/rentguard"))
        #expect(!FileManager.default.fileExists(atPath: p + "/var/lib/rentguard"))
    }

    @Test func anotherPrefixPutsTheUnitInEtcAndPointsItThere() async throws {
        let bins = try fakeBinaries()
        defer { bins.remove() }
        let root = try TemporaryDirectory(prefix: "rg-destdir")
        defer { root.remove() }
        let r = try await runCommand(
            "\(repositoryRoot)/scripts/install.sh", ["--prefix", "/usr/local", "--bin-dir", bins.path], environment: ["DESTDIR": root.path])
        #expect(r.status == 0, "\(r.output)")
        #expect(FileManager.default.isExecutableFile(atPath: root.path + "/usr/local/bin/rentguardd"))
        let unit = try String(contentsOfFile: root.path + "/etc/systemd/system/rentguardd.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/rentguardd --config /etc/rentguard/rentguard.yaml"))
        #expect(!unit.contains("/usr/bin/rentguardd"))
    }

    @Test func missingBinariesAreAClearError() async throws {
        let root = try TemporaryDirectory(prefix: "rg-destdir")
        defer { root.remove() }
        let r = try await runCommand("\(repositoryRoot)/scripts/install.sh", ["--destdir", root.path, "--bin-dir", root.file("nothing")])
        #expect(r.status != 0)
        #expect(r.output.contains("rentguardd not found: build it first"))
    }

    @Test(.enabled(if: which("dpkg") != nil, "dpkg is not installed"))
    func debianPackageStaging() async throws {
        let bins = try fakeBinaries()
        defer { bins.remove() }
        let stage = try TemporaryDirectory(prefix: "rg-deb")
        defer { stage.remove() }
        let r = try await runCommand(
            "\(repositoryRoot)/scripts/build-deb.sh", ["--skip-build", "--bin-dir", bins.path, "--stage-only", stage.path, "--version", "9.8.7"])
        #expect(r.status == 0, "\(r.output)")
        let control = try String(contentsOfFile: stage.file("DEBIAN/control"), encoding: .utf8)
        #expect(control.contains("Package: rentguard\n"))
        #expect(control.contains("Version: 9.8.7\n"))
        let depends = try #require(control.split(separator: "\n").first { $0.hasPrefix("Depends: ") })
        for d in ["libmosquitto1", "libsqlite3-0", "libssl3", "adduser"] { #expect(depends.contains(d), "\(depends)") }
        #expect(try String(contentsOfFile: stage.file("DEBIAN/conffiles"), encoding: .utf8) == "/etc/rentguard/rentguard.yaml.example\n")
        for script in ["postinst", "prerm", "postrm"] {
            #expect(mode(stage.file("DEBIAN/\(script)")) == 0o755)
            let check = try await runCommand("/bin/sh", ["-n", stage.file("DEBIAN/\(script)")])
            #expect(check.status == 0, "\(script): \(check.output)")
        }
        let postinst = try String(contentsOfFile: stage.file("DEBIAN/postinst"), encoding: .utf8)
        #expect(postinst.contains("adduser --system --group"))
        #expect(FileManager.default.isExecutableFile(atPath: stage.file("usr/bin/rentguardd")))
        #expect(FileManager.default.fileExists(atPath: stage.file("lib/systemd/system/rentguardd.service")))
        #expect(!FileManager.default.fileExists(atPath: stage.file("var")))
    }
}
