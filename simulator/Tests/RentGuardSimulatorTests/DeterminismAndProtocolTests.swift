import Foundation
import RentGuardCore
import Testing
@testable import RentGuardSimulator

@Suite struct DeterminismTests {
    @Test func sameSeedGivesTheSameTrace() throws {
        let a = Trace.serialize(try Fixtures.generate("flaming_fire").messages)
        let b = Trace.serialize(try Fixtures.generate("flaming_fire").messages)
        #expect(!a.isEmpty)
        #expect(a == b)
    }

    @Test func sameSeedGivesTheSameTruth() throws {
        let a = try Fixtures.generate("charger_thermal_runaway").truth.serialized()
        let b = try Fixtures.generate("charger_thermal_runaway").truth.serialized()
        #expect(a == b)
    }

    @Test func differentSeedGivesADifferentTrace() throws {
        let a = Trace.serialize(try Fixtures.generate("cooking_nuisance", seed: 1).messages)
        let b = Trace.serialize(try Fixtures.generate("cooking_nuisance", seed: 2).messages)
        #expect(a != b)
    }

    @Test func randomStreamsAreStableAndIndependent() {
        var a = SimRandom(seed: 42, label: "x")
        var b = SimRandom(seed: 42, label: "x")
        var c = SimRandom(seed: 42, label: "y")
        let xs = (0..<5).map { _ in a.next() }
        #expect(xs == (0..<5).map { _ in b.next() })
        #expect(xs != (0..<5).map { _ in c.next() })
        var u = SimRandom(seed: 7)
        for _ in 0..<1000 {
            let x = u.unit()
            #expect(x >= 0 && x < 1)
        }
    }

    @Test func messagesAreOrderedByTime() throws {
        let g = try Fixtures.generate("charger_overcurrent")
        #expect(zip(g.messages, g.messages.dropFirst()).allSatisfy { $0.tMs <= $1.tMs })
        #expect(g.messages.allSatisfy { $0.payload["ts"]?.doubleValue == Double($0.tMs) })
    }
}

@Suite struct ProtocolTests {
    /// Every payload of every shipped scenario decodes with the daemon's own decoder; only
    /// the deliberately unregistered devices are refused, as unknown devices.
    @Test(arguments: try Fixtures.scenarioPaths())
    func everyPayloadDecodes(path: String) throws {
        let sc = try Scenario.load(path: path)
        let g = TrafficGenerator(scenario: sc).generate()
        let decoder = ProtocolDecoder(config: sc.building, futureCheck: true)
        let unregistered = Set(sc.events.filter { $0.type == .unregisteredDevice }.compactMap(\.device))
        #expect(!g.messages.isEmpty)
        var failures: [String] = []
        for m in g.messages {
            let result = decoder.decode(topic: m.topic, payload: m.payloadBytes, receivedAt: m.tMs)
            switch result {
            case let .success(reading):
                if reading.ts != m.tMs || !reading.timestampFromDevice { failures.append("\(m.topic): ts \(reading.ts) != \(m.tMs)") }
            case let .failure(r):
                if r.reason == .unknownDevice, let d = r.device, unregistered.contains(d) { continue }
                failures.append("\(m.topic) \(m.payload.serialized()): \(r)")
            }
            if failures.count > 5 { break }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func everyDeviceAnnouncesItselfOnline() throws {
        let g = try Fixtures.generate("quiet_day")
        let sc = try Fixtures.scenario("quiet_day")
        for d in sc.building.devices {
            let first = g.messages.first { $0.topic.contains("/\(d.id)/") }
            #expect(first?.channel == "status")
            #expect(first?.payload["online"] == .bool(true))
            #expect(first?.retain == true)
        }
    }

    @Test func loadPayloadsDecode() throws {
        let gen = LoadGenerator(building: "load", devices: LoadGenerator.syntheticDevices(12), ratePerSecond: 100, durationS: 1)
        let decoder = ProtocolDecoder(
            options: .init(building: "load", futureToleranceMs: nil),
            registry: Dictionary(uniqueKeysWithValues: gen.devices.map { ($0.id, $0.kind) }))
        #expect(gen.messageCount == 100)
        for seq in 0..<gen.messageCount {
            let m = gen.message(seq, sentAtMs: 1_772_380_800_000 + Int64(seq))
            guard case .success = decoder.decode(topic: m.topic, payload: m.payloadBytes, receivedAt: m.tMs) else {
                Issue.record("load message \(seq) does not decode: \(m.payload.serialized())")
                return
            }
            #expect(m.payload["sim_sent_at_ms"]?.doubleValue == Double(m.tMs))
            #expect(m.payload["sim_seq"]?.doubleValue == Double(seq))
        }
        #expect(gen.message(3, sentAtMs: 1_772_380_800_000) == gen.message(3, sentAtMs: 1_772_380_800_000))
    }

    @Test func traceRoundTrips() throws {
        let g = try Fixtures.generate("tamper_and_faults")
        let text = Trace.serialize(g.messages)
        let back = try Trace.parse(text)
        #expect(back == g.messages)
        #expect(Trace.line(g.messages[0]).hasPrefix("{\"t_ms\":"))
    }

    @Test func shiftingMovesTimestamps() throws {
        let m = SimMessage(tMs: 1_772_380_800_000, topic: "rg/t/SD-1/telemetry", payload: ["ts": JSONValue(Int64(1_772_380_800_000)), "temperature_c": 20])
        let s = m.shifted(by: 5_000)
        #expect(s.tMs == 1_772_380_805_000)
        #expect(s.payload["ts"]?.doubleValue == 1_772_380_805_000)
        #expect(s.payload["temperature_c"] == 20)
    }
}
