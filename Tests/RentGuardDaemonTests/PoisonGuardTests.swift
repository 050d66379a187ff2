import Foundation
import RentGuardDaemon
import RentGuardMQTT
import RentGuardTesting
import Testing

/// The poison-message guard's decisions (pure) and its journal (a real file).
struct PoisonGuardTests {
    static func m(_ topic: String, _ payload: String) -> MQTTMessage {
        MQTTMessage(topic: topic, payload: Array(payload.utf8), qos: 1, retain: false)
    }

    static let a = m("rg/b/SD-1/telemetry", #"{"alarm":true}"#)
    static let b = m("rg/b/SD-2/telemetry", #"{"alarm":false}"#)
    static let c = m("rg/b/WM-1/telemetry", #"{"volume_l":3}"#)
    static let d = m("rg/b/WM-2/telemetry", #"{"volume_l":4}"#)

    @Test func aCleanStartHandlesEveryBatchWhole() {
        var g = PoisonGuard(previous: nil)
        #expect(g.isClear)
        #expect(g.plan([Self.a, Self.b]) == [.handle([Self.a, Self.b], mode: .batch)])
        #expect(g.plan([]) == [])
    }

    /// After a stop inside a batch, its messages are handled alone when they come back, the
    /// others in runs, in the broker's order; each suspect once.
    @Test func suspectsOfTheBatchTheDaemonDiedInAreHandledAlone() {
        let previous = InflightJournal.Record(mode: .batch, ids: [MessageID(Self.b), MessageID(Self.c)], topics: [Self.b.topic, Self.c.topic])
        var g = PoisonGuard(previous: previous)
        #expect(!g.isClear)
        #expect(g.plan([Self.a, Self.b, Self.d, Self.c]) == [
            .handle([Self.a], mode: .batch), .handle([Self.b], mode: .single), .handle([Self.d], mode: .batch), .handle([Self.c], mode: .single),
        ])
        #expect(g.isClear)
        // The same message later is an ordinary one again.
        #expect(g.plan([Self.b]) == [.handle([Self.b], mode: .batch)])
    }

    /// A message that stopped the daemon while handled alone is set aside, once.
    @Test func aMessageThatDiedAloneIsSetAside() {
        let previous = InflightJournal.Record(mode: .single, ids: [MessageID(Self.b)], topics: [Self.b.topic])
        var g = PoisonGuard(previous: previous)
        #expect(g.plan([Self.a, Self.b, Self.c]) == [
            .handle([Self.a], mode: .batch), .setAside(Self.b, id: MessageID(Self.b)), .handle([Self.c], mode: .batch),
        ])
        #expect(g.isClear)
        #expect(g.plan([Self.b]) == [.handle([Self.b], mode: .batch)])
    }

    @Test func theIdIsTheTopicAndPayloadNotTheirConcatenation() {
        #expect(MessageID(topic: "a/b", payload: Array("c".utf8)) != MessageID(topic: "a/bc", payload: []))
        #expect(MessageID(Self.a) == MessageID(topic: Self.a.topic, payload: Self.a.payload))
        let id = MessageID(Self.a)
        #expect(MessageID(hex: Substring(id.description)) == id)
        #expect(id.description.count == 16)
        #expect(MessageID(hex: "xyz") == nil)
    }

    /// The journal on a real file: a record survives the process (here: a reopen), a clear
    /// empties it, and what is not a journal reads as nothing.
    @Test func theJournalKeepsTheBatchInHandUntilCleared() throws {
        let dir = try TemporaryDirectory(prefix: "journal")
        defer { dir.remove() }
        let path = InflightJournal.defaultPath(stateDir: dir.path, runtimeDirectory: nil)
        #expect(path == dir.path + "/inflight-batch")
        do {
            let (j, previous) = try InflightJournal.open(path: path)
            #expect(previous == nil)
            let newline = Self.m("rg/b/x\ny/telemetry", "{}")
            try j.record([Self.a, Self.b, newline], mode: .batch)
            let (_, seen) = try InflightJournal.open(path: path)
            #expect(seen?.mode == .batch)
            #expect(seen?.ids == [MessageID(Self.a), MessageID(Self.b), MessageID(newline)])
            #expect(seen?.topics == [Self.a.topic, Self.b.topic, "rg/b/x y/telemetry"])
            // A shorter record replaces a longer one whole.
            try j.record([Self.c], mode: .single)
            let (_, single) = try InflightJournal.open(path: path)
            #expect(single == InflightJournal.Record(mode: .single, ids: [MessageID(Self.c)], topics: [Self.c.topic]))
            try j.clear()
        }
        let (_, after) = try InflightJournal.open(path: path)
        #expect(after == nil)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == 0)
        #expect(InflightJournal.parse(Array("not a journal\nabc 1 x\n".utf8)) == nil)
        #expect(InflightJournal.parse(Array("rentguard-inflight 1 sideways\n0123456789abcdef 1 t\n".utf8)) == nil)
        #expect(InflightJournal.defaultPath(stateDir: "/var/lib/rentguard", runtimeDirectory: "/run/rentguard:/run/other") == "/run/rentguard/inflight-batch")
    }

    @Test func aJournalThatCannotBeOpenedSaysWhy() {
        #expect(throws: InflightJournal.Failure.self) { try InflightJournal.open(path: "/nonexistent-dir-\(UUID().uuidString)/inflight-batch") }
    }
}
