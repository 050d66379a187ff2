import Foundation
import RentGuardCore
import RentGuardConfig
import Testing
@testable import RentGuardSimulator

/// Every shipped scenario, emitted in each device format and decoded through the daemon's
/// profiles (`IngestDecoder`), gives the same readings as its protocol v1 traffic through
/// the v1 decoder, less exactly what the format cannot carry (`DeviceFormat.projected`:
/// zigbee2mqtt has no analog obscuration, Tasmota and Shelly no earth leakage, Tasmota
/// whole seconds). No broker: the fast check of the profiles against the simulator.
@Suite struct FormatRoundTripTests {
    static let formats: [DeviceFormat] = [.zigbee2mqtt, .tasmota, .shelly]

    @Test(arguments: try Fixtures.scenarioPaths(), formats)
    func sameReadingsThroughTheProfiles(path: String, format: DeviceFormat) throws {
        var sc = try Scenario.load(path: path)
        format.prepare(&sc)
        let g = TrafficGenerator(scenario: sc).generate()
        let v1 = ProtocolDecoder(config: sc.building, futureCheck: true)
        let profiled = IngestDecoder(config: format.building(sc.building), futureCheck: true)
        #expect(profiled.problems.isEmpty)
        var emitter = FormatEmitter(format: format, building: sc.building)
        var translated = 0
        var failures: [String] = []
        for m in g.messages {
            let wire = emitter.emit(m)
            let expected: [Reading]
            switch v1.decode(topic: m.topic, payload: m.payloadBytes, receivedAt: m.tMs) {
            case let .success(r):
                let kind = sc.building.device(r.device)?.kind ?? .smokeDetector
                let isTranslated = sc.building.device(r.device).map(format.translates) ?? false
                expected = isTranslated ? format.projected(r, kind: kind).map { [$0] } ?? [] : [r]
                if isTranslated { translated += 1 }
            case .failure:
                expected = []  // unregistered devices: refused either way (checked below)
            }
            var got: [Reading] = []
            for w in wire {
                switch profiled.decode(topic: w.topic, payload: w.payload, receivedAt: w.tMs) {
                case let .success(rs): got += rs
                case let .failure(r):
                    if r.reason != .unknownDevice { failures.append("\(w.topic) \(w.text): \(r)") }
                }
            }
            if got.map(Self.normalized) != expected.map(Self.normalized) {
                failures.append("\(m.topic) \(m.payload.serialized())\n  v1 → \(expected)\n  \(format.rawValue) (\(wire.map { "\($0.topic) \($0.text)" })) → \(got)")
            }
            if failures.count > 5 { break }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        let hasKind = sc.building.devices.contains(where: format.translates)
        #expect(!hasKind || translated > 0)
    }

    /// Doubles to 1e-6 (Shelly's Wh ÷ 1000 and the like), so that equality is about values.
    static func normalized(_ r: Reading) -> Reading {
        func n(_ x: Double?) -> Double? { x.map { ($0 * 1e6).rounded() / 1e6 } }
        var r = r
        switch r.observation {
        case let .telemetry(.smoke(t)):
            r.observation = .telemetry(.smoke(SmokeTelemetry(obscurationPctPerM: n(t.obscurationPctPerM), temperatureC: n(t.temperatureC), coPpm: n(t.coPpm), batteryPct: n(t.batteryPct), alarm: t.alarm)))
        case let .telemetry(.power(t)):
            r.observation = .telemetry(.power(PowerTelemetry(powerW: n(t.powerW), voltageV: n(t.voltageV), currentA: n(t.currentA), energyKWh: n(t.energyKWh), residualCurrentMA: n(t.residualCurrentMA))))
        default: break
        }
        return r
    }

    @Test func formatsLoseOnlyWhatTheyCannotCarry() throws {
        var sc = try Fixtures.scenario("leakage")
        DeviceFormat.tasmota.prepare(&sc)
        let g = TrafficGenerator(scenario: sc).generate()
        var e = FormatEmitter(format: .tasmota, building: sc.building)
        let wire = e.emit(g.messages)
        #expect(wire.contains { $0.topic.hasPrefix("tele/") && $0.topic.hasSuffix("/SENSOR") })
        #expect(!wire.contains { $0.text.contains("residual") })
        // Protocol v1 messages of devices Tasmota does not translate are unchanged.
        #expect(wire.filter { $0.topic.hasPrefix("rg/") }.count == g.messages.filter { m in
            !sc.building.devices.contains { $0.kind == .powerMeter && m.topic.contains("/\($0.id)/") }
        }.count)
    }

    @Test func buildingYAMLNamesTheProfiles() throws {
        let sc = try Fixtures.scenario("overload")
        let yaml = try DeviceFormat.shelly.buildingYAML(path: sc.buildingPath, building: sc.building)
        let path = NSTemporaryDirectory() + "rg-format-\(UUID().uuidString).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try ConfigLoader.load(path: path)
        let meters = loaded.devices.filter { $0.kind == .powerMeter }
        #expect(!meters.isEmpty)
        #expect(meters.allSatisfy { $0.source.profile == "shelly_gen2" && $0.source.topic?.hasPrefix("shellypro1pm-") == true })
        #expect(loaded.devices.filter { $0.kind != .powerMeter }.allSatisfy { $0.source.isProtocolV1 })
    }
}
