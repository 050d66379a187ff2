import Testing
import RentGuardCore

@Suite struct LifecycleTests {
    let t0 = T.t0
    let cfg = T.config(devices: [T.detector("SD-1")])

    @Test func raisedAcknowledgedClearedWithHold() {
        var e = DetectionEngine(config: cfg)
        var out: [CoreOutput] = []
        e.handle(T.smoke("SD-1", t0, temp: 60), into: &out)
        let id = T.raised(out, .heat)[0].id
        e.handle(.acknowledge(alarmID: id, by: "op", note: "checked", at: t0 + 1000), into: &out)
        #expect(e.book.alarm(id: id)?.state == .acknowledged)
        e.handle(T.smoke("SD-1", t0 + 60_000, temp: 22), into: &out)
        e.handle(T.smoke("SD-1", t0 + 120_000, temp: 22), into: &out)
        #expect(e.book.alarm(id: id) != nil)  // still inside the hold
        e.handle(.tick(t0 + 300_000), into: &out)
        let cleared = T.transitions(out).filter { $0.id == id && $0.state == .cleared }
        #expect(cleared.count == 1 && cleared[0].updatedAt == t0 + 60_000 + 120_000)
        #expect(cleared[0].evidence["acknowledgement"] != nil)
    }

    @Test func oneActiveAlarmPerKeyAndEscalation() {
        let (e, out) = T.run(T.config(devices: [T.detector("SD-K", zone: .kitchen)]),
                             [T.smoke("SD-K", t0, obs: 3.5), T.smoke("SD-K", t0 + 5000, obs: 3.6), T.smoke("SD-K", t0 + 10_000, alarm: true)])
        #expect(T.transitions(out).filter { $0.key.type == .smoke }.map(\.state) == [.raised, .escalated])
        #expect(e.activeAlarms.filter { $0.key.type == .smoke }.count == 1)
    }

    @Test func chatteringLatches() {
        // Heat flapping around 57 °C every 3 minutes: cycles raise/clear until latched.
        var inputs: [CoreInput] = []
        for k in 0..<12 {
            let base = t0 + Int64(k) * 360_000
            inputs.append(T.smoke("SD-1", base, temp: 58))
            inputs.append(T.smoke("SD-1", base + 60_000, temp: 22))
            inputs.append(.tick(base + 300_000))
        }
        let (e, out) = T.run(cfg, inputs)
        let raises = T.raised(out, .heat)
        #expect(raises.count == 6)  // 5 cycles, then the 6th is latched
        #expect(raises.last?.evidence["chattering"] == .bool(true))
        #expect(e.activeAlarms.contains { $0.key.type == .heat })
        // Restored from the store, the latch survives.
        let e2 = DetectionEngine(config: cfg, restoring: e.activeAlarms)
        #expect(e2.book.isLatched(raises.last!.key))
    }

    @Test func restoredAlarmClearsOnNormalReadings() {
        let (e, _) = T.run(cfg, [T.smoke("SD-1", t0, temp: 60)])
        var e2 = DetectionEngine(config: cfg, restoring: e.activeAlarms)
        var out: [CoreOutput] = []
        e2.handle(T.smoke("SD-1", t0 + 60_000, temp: 22), into: &out)
        e2.handle(.tick(t0 + 600_000), into: &out)
        #expect(T.transitions(out).filter { $0.key.type == .heat }.map(\.state) == [.cleared])
    }

    @Test func commandResultRecordedInActions() {
        var e = DetectionEngine(config: T.config(devices: [T.charger()]))
        var out: [CoreOutput] = []
        e.handle(T.chargerReading("CH-1", t0, [T.port(4, temp: 70)]), into: &out)
        let cmd = T.commands(out)[0]
        e.handle(.commandResult(alarmID: cmd.alarmID!, device: "CH-1", port: 4, acknowledged: true, at: t0 + 2000), into: &out)
        #expect(e.book.alarm(id: cmd.alarmID!)?.actions.first?.result == .acknowledged)
    }

    @Test func outOfOrderReadingsWithinTheBound() {
        // The same rising series delivered out of order gives the same heat alarm.
        let series = [(0, 25.0), (20_000, 28.5), (40_000, 32.0), (60_000, 35.5)]
        let inOrder = series.map { T.smoke("SD-1", t0 + Int64($0.0), temp: $0.1) }
        let shuffled = [inOrder[0], inOrder[2], inOrder[1], inOrder[3]]
        let a = T.raised(T.run(cfg, inOrder).out, .heat)
        let b = T.raised(T.run(cfg, shuffled).out, .heat)
        // The shuffled delivery raises once the late sample has arrived, from the sorted window.
        #expect(a.count == 1 && b.count == 1)
        #expect((b.first?.evidence["rise_c_per_min"]?.doubleValue ?? 0) >= 9)
        // Beyond the bound: rejected as late.
        let (_, late) = T.run(cfg, [T.smoke("SD-1", t0 + 100_000), T.smoke("SD-1", t0)])
        #expect(late.contains { if case .rejected = $0 { return true } else { return false } })
    }
}
