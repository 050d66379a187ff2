import Foundation
import RentGuardCore
import RentGuardTesting
import Testing

/// The status page in a real browser: Debian's headless Chromium and chromedriver driven by
/// selenium (Tests/Browser/status_page_test.py; selenium comes from PyPI through
/// scripts/browser-venv.sh), against the real daemon on the demo building, fed by the
/// simulator's demo fire (simulator/scenarios/demo_smoke_alarm.yaml).
@Suite(.serialized)
struct StatusPageBrowserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test func statusPageInChromium() async throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing: run scripts/install-deps.sh")
        }
        let dir = try TemporaryDirectory(prefix: "browser")
        defer { dir.remove() }
        // selenium, installed from PyPI on first use.
        let venvOut = dir.file("venv.txt")
        let venv = try ChildProcess(executable: "/bin/bash", arguments: ["\(Self.root)/scripts/browser-venv.sh"], outputFile: venvOut)
        let venvStatus = await venv.wait(timeout: .seconds(300))
        let venvText = (try? String(contentsOfFile: venvOut, encoding: .utf8)) ?? ""
        try #require(venvStatus == 0, "scripts/browser-venv.sh failed:\n\(venvText)")
        let python = try #require(venvText.split(separator: "\n").last.map(String.init))

        let broker = try MosquittoBroker(persistence: false)
        defer { broker.shutdown() }
        let httpPort = try freeLoopbackPort()
        let daemon = try DaemonProcess(
            arguments: [
                "--config", "\(Self.root)/configs/demo.yaml", "--broker", broker.url, "--registry-broker", broker.url,
                "--state-dir", dir.file("state"), "--event-clock", "--http-listen", "127.0.0.1:\(httpPort)",
            ],
            logFile: dir.file("rentguardd.log"))
        guard await daemon.waitForLog("MQTT subscriptions acknowledged component=mqtt.building", timeout: .seconds(20)) else {
            await daemon.stop()
            throw TestingError("daemon did not start:\n\(daemon.log)")
        }
        guard await daemon.waitForLog("operations endpoint listening", timeout: .seconds(20)) else {
            await daemon.stop()
            throw TestingError("the operations endpoint did not listen:\n\(daemon.log)")
        }
        let shots = ProcessInfo.processInfo.environment["RENTGUARD_SCREENSHOTS"]
        let out = dir.file("browser.txt")
        let browser = try ChildProcess(
            executable: python,
            arguments: [
                "\(Self.root)/Tests/Browser/status_page_test.py", "--url", "http://127.0.0.1:\(httpPort)",
                "--sim", DaemonProcess.executable("rentguard-sim"), "--scenario", "\(Self.root)/simulator/scenarios/demo_smoke_alarm.yaml",
                "--broker", broker.url, "--unit", "101",
            ] + (shots.map { ["--screenshots", $0] } ?? []),
            outputFile: out)
        let status = await browser.wait(timeout: .seconds(240))
        if status == nil { browser.signal(SIGKILL) }
        await daemon.stop()
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        print("status page browser test:\n\(text)")
        #expect(status == 0, "browser test failed:\n\(text)\ndaemon log tail:\n\(daemon.log.suffix(3000))")
        #expect(text.contains("browser console is empty") && !text.contains("FAIL "))
    }
}
