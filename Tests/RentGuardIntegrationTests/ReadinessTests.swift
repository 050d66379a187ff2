import AsyncHTTPClient
import Foundation
import RentGuardTesting
import Testing

/// Issue 11 item 9: ready means subscribed. `/readyz` answers 200 only once the building
/// broker has acknowledged every subscription (SUBACK), so a publisher that waits for it
/// cannot lose messages published before the subscription exists. (A subscription the
/// broker refuses also keeps it not ready; mosquitto 2.0 grants subscriptions and applies
/// its ACL on delivery instead, so that branch has no real-broker test here.)
@Suite(.serialized)
struct ReadinessTests {
    static func readyz(_ f: DaemonFixture) async -> (status: Int, body: String)? {
        guard let r = try? await HTTPClient.shared.execute(HTTPClientRequest(url: f.httpURL + "/readyz"), timeout: .seconds(2)) else { return nil }
        let body = (try? await r.body.collect(upTo: 1 << 20)).map { String(buffer: $0) } ?? ""
        return (Int(r.status.code), body)
    }

    @Test func readyOnlyAfterTheBuildingBrokerAcknowledgedTheSubscriptions() async throws {
        let f = try await DaemonFixture()
        try await f.startDaemon(waitForSubscription: false)
        let d = try #require(f.daemon)
        // Poll from the start; the first 200 must come after the SUBACK was logged.
        let deadline = ContinuousClock.now + .seconds(20)
        var firstReady: String?
        while ContinuousClock.now < deadline {
            if let r = await Self.readyz(f), r.status == 200 {
                firstReady = d.logSinceStart
                break
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        let logAtReady = try #require(firstReady, "the daemon never became ready")
        #expect(logAtReady.contains("MQTT subscriptions acknowledged component=mqtt.building"))
        await f.shutdown()
    }
}
