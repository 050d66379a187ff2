import Testing
import RentGuardCore

@Suite struct RuleChargerTests {
    let t0 = T.t0

    @Test func overcurrentIgnoresInrushAndCutsCriticalPorts() {
        let cfg = T.config(devices: [T.charger()])
        // Inrush: 9 A for 1 s, then normal.
        let (_, inrush) = T.run(cfg, [T.chargerReading("CH-1", t0, [T.port(1, a: 9)]), T.chargerReading("CH-1", t0 + 1000, [T.port(1, a: 3)]), .tick(t0 + 60_000)])
        #expect(T.raised(inrush, .chargerOvercurrent).isEmpty)
        // Sustained 6 A (> 5.5 A rating): major after the persistence, stamped at the deadline.
        let (_, major) = T.run(cfg, [T.chargerReading("CH-1", t0, [T.port(1, a: 6)]), .tick(t0 + 60_000)])
        #expect(T.raised(major, .chargerOvercurrent).first?.startedAt == t0 + 5000)
        #expect(T.commands(major).isEmpty)
        // Sustained 9 A: critical with port_off.
        let (_, crit) = T.run(cfg, [T.chargerReading("CH-1", t0, [T.port(2, a: 9)]), T.chargerReading("CH-1", t0 + 10_000, [T.port(2, a: 9)])])
        #expect(T.raised(crit, .chargerOvercurrent).first?.severity == .critical)
        #expect(T.commands(crit).first.map { ($0.command, $0.port) } ?? ("", nil) == ("port_off", 2))
    }

    @Test func plugOverheatAndRise() {
        let cfg = T.config(devices: [T.charger()])
        let (_, hot) = T.run(cfg, [T.chargerReading("CH-1", t0, [T.port(1, temp: 66)])])
        #expect(T.raised(hot, .chargerOverheat).first?.severity == .critical)
        #expect(T.commands(hot).count == 1)
        var rise: [CoreInput] = []
        for m in 0...6 { rise.append(T.chargerReading("CH-1", t0 + Int64(m) * 60_000, [T.port(1, temp: 30 + 3 * Double(m))])) }
        let (_, r) = T.run(cfg, rise)
        #expect(T.raised(r, .chargerOverheat).first?.evidence["trigger"] == "rate_of_rise")
        // Near miss: a healthy plug warming 0.5 °C/min to 40 °C.
        let (_, ok) = T.run(cfg, (0...20).map { T.chargerReading("CH-1", t0 + Int64($0) * 60_000, [T.port(1, temp: 30 + 0.5 * Double($0))]) })
        #expect(T.raised(ok, .chargerOverheat).isEmpty)
    }

    @Test func thermalRunawaySignatureAndPrecursor() {
        let cfg = T.config(devices: [T.charger()])
        // GB 38031 signature at 1 s sampling: +2 °C/s for 4 s with voltage collapse.
        var sig: [CoreInput] = []
        for s in 0...4 { sig.append(T.chargerReading("CH-1", t0 + Int64(s) * 1000, [T.port(1, v: s < 3 ? 52 : 30, temp: 40 + 2 * Double(s))])) }
        let (_, a) = T.run(cfg, sig)
        let r = T.raised(a, .chargerThermalRunaway)
        #expect(r.first?.severity == .critical)
        #expect(T.commands(a).first?.command == "port_off")
        // Precursor: 6 °C/min from 45 °C while charging, at 60 s reporting.
        let (_, b) = T.run(cfg, (0...3).map { T.chargerReading("CH-1", t0 + Int64($0) * 60_000, [T.port(1, temp: 42 + 6 * Double($0))]) })
        #expect(T.raised(b, .chargerThermalRunaway).first?.evidence["trigger"] == "precursor_temperature_rise")
        // Nuisance: sun on the cabinet, idle port warming 1 °C/min.
        let (_, c) = T.run(cfg, (0...30).map { T.chargerReading("CH-1", t0 + Int64($0) * 60_000, [T.port(1, .idle, a: 0, temp: 30 + Double($0))]) })
        #expect(T.raised(c, .chargerThermalRunaway).isEmpty)
    }

    @Test func overtimeWarnsThenCuts() {
        let cfg = T.config(devices: [T.charger()])
        var inputs: [CoreInput] = [T.event("CH-1", t0, .sessionStart, port: 1)]
        for h in stride(from: 1.0, through: 12.5, by: 0.5) { inputs.append(T.chargerReading("CH-1", t0 + Int64(h * 3_600_000), [T.port(1)])) }
        let (_, out) = T.run(cfg, inputs)
        let tr = T.transitions(out).filter { $0.key.type == .chargerOvertime }
        #expect(tr.map(\.state) == [.raised, .escalated])
        #expect(tr.first?.startedAt == t0 + 8 * 3_600_000)
        #expect(T.commands(out).first?.command == "port_off")
        // Near miss: a 7.5 h session.
        let (_, ok) = T.run(cfg, [T.event("CH-1", t0, .sessionStart, port: 1), T.chargerReading("CH-1", t0 + 27_000_000, [T.port(1)]), T.event("CH-1", t0 + 27_100_000, .sessionEnd, port: 1)])
        #expect(T.raised(ok, .chargerOvertime).isEmpty)
    }

    @Test func noCutoffAfterFull() {
        let cfg = T.config(devices: [T.charger()])
        let (_, bad) = T.run(cfg, (0...50).map { T.chargerReading("CH-1", t0 + Int64($0) * 60_000, [T.port(1, .full, a: 2)]) })
        #expect(T.raised(bad, .chargerNoCutoff).count == 1)
        // Normal float: 20 W for 100 min, then cut.
        let good = (0...100).map { T.chargerReading("CH-1", t0 + Int64($0) * 60_000, [T.port(1, .full, a: 0.4, w: 20)]) }
            + [T.chargerReading("CH-1", t0 + 101 * 60_000, [T.port(1, .full, a: 0, w: 0)])]
        let (_, ok) = T.run(cfg, good)
        #expect(T.raised(ok, .chargerNoCutoff).isEmpty)
    }

    @Test func stationOverloadAndAmbient() {
        let cfg = T.config(devices: [T.charger(cap: 1000)])
        let (_, out) = T.run(cfg, [T.chargerReading("CH-1", t0, (1...4).map { T.port($0, a: 5, w: 300) }, ambient: 62)])
        #expect(T.raised(out, .stationOverload).first?.severity == .major)
        #expect(T.raised(out, .chargerOverheat).contains { $0.key.port == nil && $0.severity == .major })
        let (_, ok) = T.run(cfg, [T.chargerReading("CH-1", t0, (1...2).map { T.port($0, a: 3, w: 156) }, ambient: 30)])
        #expect(T.raised(ok, .stationOverload).isEmpty)
    }

    @Test func chargerHazardWithNearDetectorEscalatesToFire() {
        let cfg = T.config(devices: [T.charger(near: ["SD-S"]), T.detector("SD-S", unit: nil, zone: .station)])
        let (_, out) = T.run(cfg, [T.chargerReading("CH-1", t0, [T.port(3, temp: 70)]), T.smoke("SD-S", t0 + 2000, obs: 6)])
        let f = T.raised(out, .fire)
        #expect(f.first?.key.device == "CH-1" && f.first?.severity == .critical)
        // Near miss: smoke near a healthy charger is not a charger fire.
        let (_, ok) = T.run(cfg, [T.chargerReading("CH-1", t0, [T.port(3, temp: 35)]), T.smoke("SD-S", t0 + 2000, obs: 6)])
        #expect(!T.raised(ok, .fire).contains { $0.key.device == "CH-1" })
    }
}

/// A command's outcome is recorded in the alarm's actions: the device's `relay_off`
/// confirmation, or `timed_out` when it stays silent.
@Suite struct CommandOutcomeTests {
    let t0 = T.t0

    @Test func relayOffConfirmsThePortOff() {
        let cfg = T.config(devices: [T.charger()])
        let (engine, out) = T.run(cfg, [
            T.chargerReading("CH-1", t0, [T.port(2, temp: 66)]),
            T.event("CH-1", t0 + 2_000, .relayOff, port: 2),
        ])
        #expect(T.commands(out).map(\.command) == ["port_off"])
        let alarm = engine.activeAlarms.first { $0.key.type == .chargerOverheat }
        #expect(alarm?.actions.map(\.result) == [.acknowledged])
        #expect(alarm?.actions.first?.resultAt == t0 + 2_000)
    }

    @Test func silenceIsRecordedAsTimedOut() {
        let cfg = T.config(devices: [T.charger()])
        let (engine, _) = T.run(cfg, [
            T.chargerReading("CH-1", t0, [T.port(2, temp: 66)]),
            .tick(t0 + DetectionEngine.commandConfirmationMs + 1),
        ])
        let alarm = engine.activeAlarms.first { $0.key.type == .chargerOverheat }
        #expect(alarm?.actions.map(\.result) == [.timedOut])
    }

    @Test func aConfirmationForAnotherPortDoesNotCount() {
        let cfg = T.config(devices: [T.charger()])
        let (engine, _) = T.run(cfg, [
            T.chargerReading("CH-1", t0, [T.port(2, temp: 66)]),
            T.event("CH-1", t0 + 1_000, .relayOff, port: 5),
        ])
        #expect(engine.activeAlarms.first { $0.key.type == .chargerOverheat }?.actions.map(\.result) == [.sent])
    }
}
