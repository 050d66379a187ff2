import Testing
import RentGuardCore

@Suite struct RuleSupervisionTests {
    let t0 = T.t0

    @Test func offlineAfterThreeMissedReportsStampedAtTheDeadline() {
        let cfg = T.config(devices: [T.detector("SD-1")])
        let (_, out) = T.run(cfg, [T.smoke("SD-1", t0), .tick(t0 + 100_000), .tick(t0 + 500_000)])
        let off = T.raised(out, .deviceOffline)
        #expect(off.count == 1 && off[0].startedAt == t0 + 180_000)
        // Near miss: reports every 2.5 intervals keep it online.
        let (_, ok) = T.run(cfg, (0..<10).map { T.smoke("SD-1", t0 + Int64($0) * 150_000) })
        #expect(T.raised(ok, .deviceOffline).isEmpty)
        // Last Will: offline at once, back online clears.
        let (_, lw) = T.run(cfg, [T.smoke("SD-1", t0), T.status("SD-1", t0 + 1000, online: false), T.status("SD-1", t0 + 5000, online: true), .tick(t0 + 10_000)])
        #expect(T.transitions(lw).filter { $0.key.type == .deviceOffline }.map(\.state) == [.raised, .cleared])
    }

    @Test func tamperFaultAndBattery() {
        let cfg = T.config(devices: [T.detector("SD-1")])
        let (_, out) = T.run(cfg, [T.event("SD-1", t0, .tamper), T.event("SD-1", t0 + 1, .fault), T.event("SD-1", t0 + 2, .batteryLow)])
        #expect(T.raised(out, .tamper).count == 1)
        #expect(T.raised(out, .deviceFault).first?.severity == .major)
        #expect(T.raised(out, .batteryLow).count == 1)
        let (_, pct) = T.run(cfg, [T.smoke("SD-1", t0, battery: 15), T.smoke("SD-1", t0 + 60_000, battery: 25), T.smoke("SD-1", t0 + 120_000, battery: 95)])
        #expect(T.transitions(pct).filter { $0.key.type == .batteryLow }.map(\.state) == [.raised, .cleared])
        // Near miss: 21 %.
        let (_, miss) = T.run(cfg, [T.smoke("SD-1", t0, battery: 21)])
        #expect(T.raised(miss, .batteryLow).isEmpty)
    }
}
