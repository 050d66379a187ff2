import Foundation
import Testing
import RentGuardCore
@testable import RentGuardSimulator

/// Replays a shipped scenario through the detection core in event time (no broker, no
/// daemon): each device message is decoded by the protocol decoder and handed to a
/// `DetectionEngine`, every alarm transition becomes the registry message the daemon would
/// forward, and the scenario's own scorer judges them.
@Suite struct CoreReplayTests {
    static func replay(_ name: String) throws -> ScoreReport {
        let sc = try Fixtures.scenario(name)
        let traffic = TrafficGenerator(scenario: sc).generate()
        let decoder = ProtocolDecoder(config: sc.building, futureCheck: false)
        var engine = DetectionEngine(config: sc.building)
        var out: [CoreOutput] = []
        var captured: [SimMessage] = []
        func collect(_ at: Int64) {
            for o in out {
                guard case let .alarm(t) = o else { continue }
                let m = RegistryMessage.alarm(t, building: sc.building.gateway.building, gateway: sc.building.gateway.id)
                captured.append(SimMessage(tMs: at, topic: "registry/\(sc.building.gateway.building)/alarms", payload: m.body))
            }
            out.removeAll(keepingCapacity: true)
        }
        for m in traffic.messages {
            engine.handle(.tick(m.tMs), into: &out)
            collect(m.tMs)
            guard case let .success(r) = decoder.decode(topic: m.topic, payload: Array(m.payload.serialized().utf8), receivedAt: m.tMs) else { continue }
            engine.handle(.reading(r), into: &out)
            collect(m.tMs)
        }
        engine.handle(.tick(sc.endMs), into: &out)
        collect(sc.endMs)
        return Scorer(truth: traffic.truth).score(captured: captured)
    }

    /// Issue 12: abnormal_consumption missed the simulator's own running toilet (0 of 1).
    @Test func waterLeakScenarioIsFoundAndTheMeterSwapIsNot() throws {
        let r = try Self.replay("water_leak_and_meter_swap")
        print(r.text)
        #expect(r.expected == 1 && r.detected == 1)
        #expect(r.violations == 0)
    }

    /// Issue 12: the simulator's overnight charge in room 202 is found while it runs.
    @Test func indoorChargingScenarioIsFound() throws {
        let r = try Self.replay("indoor_ebike_charging")
        print(r.text)
        #expect(r.expected == 1 && r.detected == 1)
    }

    /// Cooking in three kitchens: no fire, heat or CO (must-nots), and the smoke in the
    /// kitchens stays a warning (pre-alarm) when the plume is short.
    @Test func cookingScenarioRaisesNoFireAndNoMajorSmoke() throws {
        let r = try Self.replay("cooking_nuisance")
        print(r.text)
        #expect(r.violations == 0)
    }

    /// Flat 102 at 1.3 × its rating for 15 min: the pre-warning comes within 5 min of the start.
    @Test func overloadScenarioIsWarnedWithinFiveMinutes() throws {
        let r = try Self.replay("overload")
        print(r.text)
        #expect(r.expected == 1 && r.detected == 1)
        let d = r.perType.first(where: { $0.type == "overload" })?.delays?.medianS
        #expect(d != nil && d! <= 300)
    }

    /// A quiet day: every alarm is false; printed for the record.
    @Test func quietDayFalseAlarms() throws {
        let r = try Self.replay("quiet_day")
        print(r.text)
    }
}
