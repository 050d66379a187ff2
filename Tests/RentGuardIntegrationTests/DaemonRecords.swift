import Foundation
import RentGuardCore
import RentGuardStore

/// What a running daemon has handled and recorded, read as an operator reads it: its
/// `/api/v1/status` and `/metrics` counts and its SQLite outbox. Tests that assert on
/// everything that reached a destination wait on these conditions (every message taken in,
/// every recorded row delivered and received), never on a quiet period.
struct DaemonRecords: Sendable {
    /// `http://127.0.0.1:PORT`, the daemon's `--http-listen` address.
    let httpURL: String
    /// The daemon's database file (WAL allows a reader while it runs).
    let databasePath: String

    init(httpURL: String, stateDir: String) {
        self.httpURL = httpURL
        databasePath = stateDir + "/" + Store.fileName
    }

    init(port: Int, stateDir: String) {
        self.init(httpURL: "http://127.0.0.1:\(port)", stateDir: stateDir)
    }

    /// `/api/v1/status` `messages_received` and `messages_rejected`: published together once a
    /// batch is fully handled (its alarm transitions and outbox rows written), counted since
    /// this daemon process started; nil if the daemon does not answer.
    func statusCounts() async -> (received: Int, rejected: Int)? {
        guard let r = try? await HardeningTests.get(httpURL + "/api/v1/status", timeout: .seconds(2)), r.status == 200,
            let v = try? JSONParser.parse(Array(r.body.utf8)),
            let received = v["messages_received"]?.doubleValue, let rejected = v["messages_rejected"]?.doubleValue
        else { return nil }
        return (Int(received), Int(rejected))
    }

    /// The device messages the daemon has taken in, as of its last fully handled batch.
    func messagesReceived() async -> Int? { await statusCounts()?.received }

    /// The protocol v1 messages the daemon has finished with, accepted or rejected, as of its
    /// last fully handled batch: status `messages_received + messages_rejected`, less the late
    /// readings (a late reading is taken in, then refused by the core: counted in both). The
    /// late count is read from `/metrics` after the status, so it is never behind it and the
    /// result never runs ahead of the daemon.
    func messagesHandled() async -> Int? {
        guard let c = await statusCounts(),
            let metrics = try? await HardeningTests.get(httpURL + "/metrics", timeout: .seconds(2)), metrics.status == 200
        else { return nil }
        let late = HardeningTests.sample(metrics.body, #"rentguard_messages_rejected_total{reason="late_reading"}"#) ?? 0
        return c.received + c.rejected - Int(late)
    }

    /// The outbox rows for `destination` (of `kinds`, or all), every state.
    func outbox(destination: String, kinds: Set<String>? = nil) throws -> [OutboxMessage] {
        let store = try Store(path: databasePath)
        defer { store.close() }
        return try store.outbox(destination: destination, states: [], limit: 1_000_000).filter { kinds?.contains($0.kind) ?? true }
    }

    /// How far the daemon has come, for a test's failure message.
    func describe(destination: String) async -> String {
        let c = await statusCounts()
        let rows = (try? outbox(destination: destination)) ?? []
        let byState = Dictionary(grouping: rows, by: \.state.rawValue).mapValues(\.count)
        return "status received=\(c.map { String($0.received) } ?? "?") rejected=\(c.map { String($0.rejected) } ?? "?"); "
            + "\(destination) outbox rows by state \(byState.sorted { $0.key < $1.key })"
    }

    /// Waits until the daemon has finished with `handled` messages (`messagesHandled`, or
    /// `messagesReceived` if `acceptedOnly`) and every row it recorded for `destination` (of
    /// `kinds`, or all) is delivered; with `receivedIDs`, until every one of those message ids is
    /// also among what the destination received. Returns the delivered rows, or nil on timeout.
    func waitUntilDelivered(
        handled: Int, acceptedOnly: Bool = false, destination: String, kinds: Set<String>? = nil,
        receivedIDs: (() async -> Set<String>)? = nil, timeout: Duration
    ) async throws -> [OutboxMessage]? {
        var delivered: [OutboxMessage] = []
        let settled = try await HardeningTests.waitUntil(timeout: timeout) {
            guard let n = acceptedOnly ? await messagesReceived() : await messagesHandled(), n >= handled else { return false }
            let rows = try outbox(destination: destination, kinds: kinds)
            guard rows.allSatisfy({ $0.state == .delivered }) else { return false }
            if let receivedIDs {
                let got = await receivedIDs()
                guard rows.allSatisfy({ got.contains($0.messageID) }) else { return false }
            }
            delivered = rows
            return true
        }
        return settled ? delivered : nil
    }

    /// Waits until the daemon has finished with `handled` messages (see `messagesHandled`).
    func waitUntilHandled(_ handled: Int, timeout: Duration) async -> Bool {
        await HardeningTests.waitUntil(timeout: timeout) { (await messagesHandled() ?? -1) >= handled }
    }

    /// The `message_id`s of registry messages (every registry message carries one).
    static func messageIDs(_ payloads: [[UInt8]]) -> Set<String> {
        Set(payloads.compactMap { (try? JSONParser.parse($0))?["message_id"]?.stringValue })
    }
}
