import Foundation
import Logging
import RentGuardCore
import RentGuardDaemon
import RentGuardForwarding
import RentGuardMQTT
import RentGuardStore
import RentGuardTesting
import Testing

/// The pipeline built from its explicit dependencies and driven in-process: a real SQLite
/// file, a hand-set clock, batches handed to it as the MQTT client would.
struct PipelineInProcessTests {
    static let config: BuildingConfig = {
        BuildingConfig(
            gateway: GatewayIdentity(id: "gw", building: "b1", name: "B1"),
            units: [UnitConfig(id: "101", floor: 1, areaM2: 40, registeredOccupants: 2)],
            devices: [
                DeviceConfig(id: "SD-1", kind: .smokeDetector, unit: "101", location: "bedroom"),
                DeviceConfig(id: "SD-2", kind: .smokeDetector, unit: "101", location: "hall"),
            ])
    }()

    struct Rig {
        let directory: TemporaryDirectory
        let store: Store
        let clock: ManualClock
        let ledger = DeviceLedger()
        let health: GatewayHealth
        let deps: PipelineDependencies

        init() throws {
            directory = try TemporaryDirectory(prefix: "pipeline")
            store = try Store(path: directory.file("rentguard.db"))
            clock = ManualClock(1_790_000_000_000)
            health = GatewayHealth(startedAt: clock.nowMs())
            let plan = DeliveryPlan(config: PipelineInProcessTests.config, registryDestinations: ["registry-mqtt"])
            let routing = Routing(.init(plan: plan, doorbells: Doorbells(), registryDestinations: ["registry-mqtt"], allDestinations: ["registry-mqtt"]))
            var logger = Logger(label: "test")
            logger.logLevel = .error
            deps = PipelineDependencies(
                store: store, routing: routing, health: health, devices: ledger, statistics: IngestStatistics(), clock: clock,
                commands: { _ in }, eventClock: false, logger: logger)
        }

        func message(_ device: String, alarm: Bool) -> MQTTMessage {
            let json = #"{"ts": \#(clock.nowMs()), "smoke_obscuration_pct_per_m": 0.2, "temperature_c": 22, "alarm": \#(alarm)}"#
            return MQTTMessage(topic: "rg/b1/\(device)/telemetry", payload: Array(json.utf8), qos: 1, retain: false)
        }
    }

    @Test func anAlarmIsCommittedWithItsOutboxRowBeforeTheBatchIsReleased() throws {
        let rig = try Rig()
        var pipeline = try Pipeline(config: Self.config, dependencies: rig.deps)
        pipeline.handle(.messages([rig.message("SD-1", alarm: true)], receivedAt: rig.clock.nowMs()))
        // What the batch caused is in the database by the time `handle` returns.
        let rows = try rig.store.outbox(destination: "registry-mqtt", states: [], limit: 100)
        #expect(rows.filter { $0.kind == "alarms" }.count == 1)
        #expect(try rig.store.activeAlarms().map(\.key.type) == [.smoke])
        rig.store.close()
    }

    @Test func theLiveViewsAgreeRightAfterABatch() throws {
        let rig = try Rig()
        var pipeline = try Pipeline(config: Self.config, dependencies: rig.deps)
        pipeline.handle(.messages([rig.message("SD-1", alarm: false)], receivedAt: rig.clock.nowMs()))
        // No tick has run and nothing was flushed to the database: the ledger already knows.
        let census = rig.ledger.census(Self.config)
        #expect(census.registered == 2)
        #expect(census.online == 1)
        #expect(census.neverSeen == 1)
        #expect(rig.ledger.rows["SD-1"]?.lastSeen == rig.clock.nowMs())
        #expect(try rig.store.devices().isEmpty, "the database copy waits for the flush interval")
        // Three missed reports later (60 s default interval) on the hand-set clock, SD-1 is offline.
        rig.clock.advance(byMs: 181_000)
        pipeline.handle(.tick(rig.clock.nowMs()))
        #expect(rig.ledger.census(Self.config).offline == 1)
        #expect(rig.health.snapshot.devicesOffline == 1)
        rig.store.close()
    }
}

/// The inbox between the MQTT network thread and the pipeline.
struct PipelineInboxTests {
    static let m = MQTTMessage(topic: "rg/b1/SD-1/telemetry", payload: Array("{}".utf8), qos: 1, retain: false)

    @Test func theNetworkThreadWaitsUntilTheBatchIsHandled() async throws {
        let inbox = PipelineInbox(clock: ManualClock(0))
        let returned = Flag()
        let thread = Thread {
            #expect(inbox.shouldReceive())
            let handled = inbox.receive([Self.m, Self.m])
            returned.set(handled)
        }
        thread.start()
        guard case let .messages(batch, _)? = await inbox.next() else {
            Issue.record("expected a batch")
            return
        }
        #expect(batch.count == 2)
        #expect(returned.value == nil, "the producer must still be waiting")
        inbox.batchDone()
        #expect(await returned.wait() == true)
    }

    @Test func stoppingEndsTheSequenceAndRefusesFurtherReads() async {
        let inbox = PipelineInbox(clock: ManualClock(0))
        inbox.tick(5)
        inbox.stop()
        #expect(!inbox.shouldReceive())
        guard case .tick(5)? = await inbox.next() else {
            Issue.record("the pending tick is still delivered")
            return
        }
        #expect(await inbox.next() == nil)
    }

    @Test func aBatchTheAbandonedPipelineNeverHandledIsNotAcknowledged() async {
        let inbox = PipelineInbox(clock: ManualClock(0))
        let returned = Flag()
        let thread = Thread {
            _ = inbox.shouldReceive()
            returned.set(inbox.receive([Self.m]))
        }
        thread.start()
        // Wait until the batch is waiting in the inbox, then the pipeline goes away.
        while inbox.depth.batch == 0 { await Task.yield() }
        inbox.abandon()
        #expect(await returned.wait() == false)
    }

    @Test func operatorInputsAreBounded() {
        let inbox = PipelineInbox(clock: ManualClock(0), controlCapacity: 2)
        let ack = CoreInput.acknowledge(alarmID: "a", by: "op", note: nil, at: 0)
        #expect(inbox.submit(ack))
        #expect(inbox.submit(ack))
        #expect(!inbox.submit(ack), "a full queue refuses rather than grows")
    }
}

/// A value set once from another thread, awaited by polling a condition.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Bool?
    func set(_ v: Bool) { lock.lock(); stored = v; lock.unlock() }
    var value: Bool? { lock.lock(); defer { lock.unlock() }; return stored }
    func wait() async -> Bool? {
        let deadline = ContinuousClock.now + .seconds(10)
        while value == nil, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(1)) }
        return value
    }
}
