import Foundation
import Logging
import Metrics
import Prometheus
import RentGuardCore
@testable import RentGuardHTTP
import RentGuardStore
import RentGuardTesting
import ServiceLifecycle
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs an OperationsServer on a kernel-chosen loopback port for the duration of `body`.
func withServer<T>(
    token: String? = nil, api: any GatewayAPI, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    logger: Logger = quietLogger(), _ body: (Int) async throws -> T
) async throws -> T {
    let server = try OperationsServer(port: 0, token: token, api: api, registry: registry, logger: logger)
    let group = ServiceGroup(configuration: .init(services: [server], logger: quietLogger()))
    let running = Task { try await group.run() }
    do {
        let port = try await server.boundPort()
        let result = try await body(port)
        await group.triggerGracefulShutdown()
        try await running.value
        return result
    } catch {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        throw error
    }
}

// MARK: - Prometheus text format

struct PrometheusSample: Equatable {
    var name: String
    var labels: [String: String]
    var value: Double
}

/// Checks `text` against the Prometheus text exposition format (0.0.4) and returns its
/// samples: every non-comment line is `name{label="value",…} value [timestamp]`; `# HELP`
/// and `# TYPE` lines are well formed, TYPE at most once per family and before its samples;
/// every sample belongs to a family with a TYPE.
func parsePrometheusText(_ text: String) throws -> (samples: [PrometheusSample], types: [String: String], help: [String: String]) {
    func isNameStart(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c == "_" || c == ":") }
    func isNameChar(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == ":") }
    func validName(_ s: Substring) -> Bool { !s.isEmpty && isNameStart(s.first!) && s.allSatisfy(isNameChar) }
    func value(_ s: Substring) -> Double? {
        switch s {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(s)
        }
    }
    var samples: [PrometheusSample] = []
    var types: [String: String] = [:]
    var help: [String: String] = [:]
    var sampled: Set<String> = []
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        func fail(_ why: String) -> TestingError { TestingError("line \(number + 1): \(why): \(line)") }
        if line.isEmpty { continue }
        if line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0] == "#" else { throw fail("comment without a space after #") }
            if parts[1] == "HELP" {
                guard parts.count >= 3, validName(parts[2]) else { throw fail("bad HELP") }
                guard help[String(parts[2])] == nil else { throw fail("second HELP") }
                help[String(parts[2])] = parts.count == 4 ? String(parts[3]) : ""
            } else if parts[1] == "TYPE" {
                guard parts.count == 4, validName(parts[2]) else { throw fail("bad TYPE") }
                guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else { throw fail("unknown type") }
                guard types[String(parts[2])] == nil else { throw fail("second TYPE") }
                guard !sampled.contains(String(parts[2])) else { throw fail("TYPE after samples") }
                types[String(parts[2])] = String(parts[3])
            }
            continue
        }
        var i = line.startIndex
        while i < line.endIndex, isNameChar(line[i]) { i = line.index(after: i) }
        let name = line[line.startIndex..<i]
        guard validName(name) else { throw fail("bad metric name") }
        var labels: [String: String] = [:]
        if i < line.endIndex, line[i] == "{" {
            i = line.index(after: i)
            while true {
                guard i < line.endIndex else { throw fail("unterminated labels") }
                if line[i] == "}" { i = line.index(after: i); break }
                let keyStart = i
                while i < line.endIndex, isNameChar(line[i]) { i = line.index(after: i) }
                let key = line[keyStart..<i]
                guard validName(key), !key.hasPrefix("__") else { throw fail("bad label name") }
                guard i < line.endIndex, line[i] == "=" else { throw fail("expected =") }
                i = line.index(after: i)
                guard i < line.endIndex, line[i] == "\"" else { throw fail("expected opening quote") }
                i = line.index(after: i)
                var v = ""
                while true {
                    guard i < line.endIndex else { throw fail("unterminated label value") }
                    let c = line[i]
                    if c == "\"" { i = line.index(after: i); break }
                    if c == "\\" {
                        i = line.index(after: i)
                        guard i < line.endIndex else { throw fail("dangling escape") }
                        switch line[i] {
                        case "\\": v.append("\\")
                        case "\"": v.append("\"")
                        case "n": v.append("\n")
                        default: throw fail("bad escape")
                        }
                    } else {
                        v.append(c)
                    }
                    i = line.index(after: i)
                }
                guard labels[String(key)] == nil else { throw fail("repeated label") }
                labels[String(key)] = v
                if i < line.endIndex, line[i] == "," { i = line.index(after: i) }
            }
        }
        guard i < line.endIndex, line[i] == " " else { throw fail("expected a space before the value") }
        let rest = line[line.index(after: i)...].split(separator: " ", omittingEmptySubsequences: false)
        guard rest.count == 1 || rest.count == 2, let v = value(rest[0]) else { throw fail("bad value") }
        if rest.count == 2 { guard Int64(rest[1]) != nil else { throw fail("bad timestamp") } }
        var family = String(name)
        for suffix in ["_bucket", "_sum", "_count"] where family.hasSuffix(suffix) {
            let base = String(family.dropLast(suffix.count))
            if types[base] == "histogram" || types[base] == "summary" { family = base }
        }
        guard types[family] != nil else { throw fail("sample without a TYPE line for \(family)") }
        if name.hasSuffix("_bucket"), types[family] == "histogram" { guard labels["le"] != nil else { throw fail("bucket without le") } }
        sampled.insert(family)
        samples.append(PrometheusSample(name: String(name), labels: labels, value: v))
    }
    return (samples, types, help)
}

@Suite struct PrometheusParserTests {
    @Test func theCheckerRefusesMalformedText() {
        #expect(throws: (any Error).self) { try parsePrometheusText("a_total 1\n") }  // no TYPE
        #expect(throws: (any Error).self) { try parsePrometheusText("# TYPE a counter\na{b=\"1} 1\n") }
        #expect(throws: (any Error).self) { try parsePrometheusText("# TYPE a counter\na one\n") }
        #expect(throws: (any Error).self) { try parsePrometheusText("# TYPE a counter\na 1\n# TYPE a counter\n") }
        #expect(throws: (any Error).self) { try parsePrometheusText("# TYPE 9a counter\n") }
        let ok = try? parsePrometheusText("# HELP a_total x\n# TYPE a_total counter\na_total{k=\"v\\\"q\",l=\"2\"} 3\n")
        #expect(ok?.samples == [PrometheusSample(name: "a_total", labels: ["k": "v\"q", "l": "2"], value: 3)])
    }
}

@Suite(.serialized) struct OperationsServerTests {
    @Test func metricsScrapeParsesAsPrometheusText() async throws {
        let registry = RentGuardMetrics.bootstrap()
        #expect(RentGuardMetrics.bootstrap() === registry)  // idempotent
        // What the daemon emits through swift-metrics…
        Counter(label: "rentguard_messages_in_total", dimensions: [("kind", "smoke_detector"), ("channel", "metrics-test")]).increment(by: 3)
        Counter(label: "rentguard_messages_rejected_total", dimensions: [("reason", "metrics_test")]).increment()
        let latency = Metrics.Timer(label: "rentguard_delivery_latency_seconds", dimensions: [("destination", "metrics-test")], preferredDisplayUnit: .seconds)
        latency.recordMilliseconds(120)
        latency.recordMilliseconds(4000)
        // …and the gauges it sets.
        let gauges = GatewayGauges(registry: registry)
        gauges.outbox(
            destination: "metrics-test", stats: OutboxStats(pending: 4, dead: 1, delivered: 9, oldestPendingCreatedAt: 1_000_000, lastDeliveredAt: nil),
            now: 1_090_000)
        gauges.brokerConnected("building", true)
        gauges.brokerConnected("registry", false)
        gauges.databaseSize(bytes: 123_456)
        gauges.activeAlarms(bySeverity: ["critical": 1])
        gauges.devices(online: 40, offline: 2, neverSeen: 1)
        gauges.started(version: "0.1.0", at: 1_700_000_000_000)

        let seeded = try SeededStore()
        defer { seeded.remove() }
        let api = seeded.api()
        let r = try await withServer(api: api, registry: registry) { port in
            try await httpRequest("GET", port: port, path: "/metrics")
        }
        #expect(r.status == 200)
        #expect(r.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(api.scrapes.load(ordering: .relaxed) == 1)
        let parsed = try parsePrometheusText(r.body)
        func sample(_ name: String, _ labels: [String: String]) -> Double? {
            parsed.samples.first { $0.name == name && $0.labels == labels }?.value
        }
        #expect(parsed.types["rentguard_messages_in_total"] == "counter")
        #expect(parsed.help["rentguard_messages_in_total"] == RentGuardMetrics.catalogue["rentguard_messages_in_total"])
        #expect(sample("rentguard_messages_in_total", ["kind": "smoke_detector", "channel": "metrics-test"]) == 3)
        #expect(sample("rentguard_messages_rejected_total", ["reason": "metrics_test"]) == 1)
        // The Timer is a histogram in seconds.
        #expect(parsed.types["rentguard_delivery_latency_seconds"] == "histogram")
        let d = ["destination": "metrics-test"]
        #expect(sample("rentguard_delivery_latency_seconds_bucket", d.merging(["le": "0.1"]) { $1 }) == 0)
        #expect(sample("rentguard_delivery_latency_seconds_bucket", d.merging(["le": "0.25"]) { $1 }) == 1)
        #expect(sample("rentguard_delivery_latency_seconds_bucket", d.merging(["le": "5.0"]) { $1 }) == 2)
        #expect(sample("rentguard_delivery_latency_seconds_bucket", d.merging(["le": "+Inf"]) { $1 }) == 2)
        #expect(sample("rentguard_delivery_latency_seconds_count", d) == 2)
        #expect(abs((sample("rentguard_delivery_latency_seconds_sum", d) ?? 0) - 4.12) < 1e-9)
        // Gauges.
        #expect(parsed.types["rentguard_outbox_pending"] == "gauge")
        #expect(sample("rentguard_outbox_pending", d) == 4)
        #expect(sample("rentguard_outbox_dead", d) == 1)
        #expect(sample("rentguard_outbox_oldest_pending_age_seconds", d) == 90)
        #expect(sample("rentguard_broker_connected", ["broker": "building"]) == 1)
        #expect(sample("rentguard_broker_connected", ["broker": "registry"]) == 0)
        #expect(sample("rentguard_database_size_bytes", [:]) == 123_456)
        #expect(sample("rentguard_active_alarms", ["severity": "critical"]) == 1)
        #expect(sample("rentguard_active_alarms", ["severity": "minor"]) == 0)
        #expect(sample("rentguard_devices", ["state": "offline"]) == 2)
        #expect(sample("rentguard_build_info", ["version": "0.1.0"]) == 1)
    }

    @Test func healthAndReadiness() async throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        let api = seeded.api()
        try await withServer(api: api) { port in
            var r = try await httpRequest("GET", port: port, path: "/healthz")
            #expect(r.status == 200)
            #expect(try r.json()["live"] == .bool(true))
            r = try await httpRequest("GET", port: port, path: "/readyz")
            #expect(r.status == 200)
            #expect(try r.json()["ready"] == .bool(true))

            api.setHealth(HealthReport(live: true, ready: false, problems: ["building broker disconnected"]))
            r = try await httpRequest("GET", port: port, path: "/readyz")
            #expect(r.status == 503)
            #expect(try r.json()["problems"] == .array([.string("building broker disconnected")]))
            #expect(try await httpRequest("GET", port: port, path: "/healthz").status == 200)

            api.setHealth(HealthReport(live: false, ready: false, problems: ["pipeline stalled"]))
            r = try await httpRequest("GET", port: port, path: "/healthz")
            #expect(r.status == 503)
            #expect(try r.json()["live"] == .bool(false))
        }
    }

    @Test func aTokenIsRequiredBeyondLoopback() throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        let registry = PrometheusCollectorRegistry()
        for host in ["0.0.0.0", "192.168.1.10", "::", "gateway.local"] {
            #expect(throws: OperationsServerError.tokenRequired(host: host)) {
                _ = try OperationsServer(host: host, token: nil, api: seeded.api(), registry: registry, logger: quietLogger())
            }
            #expect(throws: OperationsServerError.tokenRequired(host: host)) {
                _ = try OperationsServer(host: host, token: "  \n", api: seeded.api(), registry: registry, logger: quietLogger())
            }
            #expect(throws: Never.self) {
                _ = try OperationsServer(host: host, token: "s3cret", api: seeded.api(), registry: registry, logger: quietLogger())
            }
        }
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"] {
            #expect(OperationsServer.isLoopback(host), "\(host)")
            #expect(throws: Never.self) {
                _ = try OperationsServer(host: host, token: nil, api: seeded.api(), registry: registry, logger: quietLogger())
            }
        }
        #expect(throws: OperationsServerError.invalidPort(70000)) {
            _ = try OperationsServer(port: 70000, token: nil, api: seeded.api(), registry: registry, logger: quietLogger())
        }
    }

    @Test func valueTypesFromTheCoreAndTheStore() throws {
        let unit = UnitConfig(id: "301", floor: 3, areaM2: 20, registeredOccupants: 2)
        #expect(OccupancyRow(unit: unit, latest: nil) == OccupancyRow(unit: "301", floor: 3, areaM2: 20, registeredOccupants: 2))
        let e = OccupancyEstimate(
            unit: "301", periodStart: 0, periodEnd: 86_400_000, estimated: 6.5, low: 5.5, high: 7.5, basis: .posterior,
            dayEstimated: 5, dayLow: 4, dayHigh: 6, rolling: 6.5, rollingLow: 5.5, rollingHigh: 7.5, registeredOccupants: 2, areaM2: 20, groupRentalSuspected: true, reasons: ["3.1 m² per person"],
            publicVenueManaged: false, evidence: .null)
        let row = OccupancyRow(unit: unit, latest: e)
        #expect(row.estimatedOccupants == 6.5 && row.low == 5.5 && row.high == 7.5)
        #expect(row.groupRentalSuspected && row.reasons == ["3.1 m² per person"] && row.periodEnd == 86_400_000)
        let d = DeviceStatus(
            row: Store.DeviceRow(deviceID: "CH-1", kind: "charger", lastSeen: 5, online: true, lastValues: #"{"p1.current_a":3.5,"ts":5}"#),
            unit: nil, location: "bike shed", offline: false)
        #expect(d.lastValues == ["p1.current_a": 3.5])
        #expect(DeviceStatus(row: Store.DeviceRow(deviceID: "x", kind: "k", lastSeen: 1, online: nil, lastValues: "not json"), offline: true).lastValues == [:])
        let o = OutboxSummary(destination: "registry-mqtt", stats: OutboxStats(pending: 2, dead: 0, delivered: 7, oldestPendingCreatedAt: 10, lastDeliveredAt: 9))
        #expect(o == OutboxSummary(destination: "registry-mqtt", pending: 2, dead: 0, delivered: 7, oldestPendingAt: 10, lastDeliveredAt: 9))
    }

    @Test func listenAddresses() throws {
        #expect(try OperationsServer.parseListenAddress("127.0.0.1:9464") == ("127.0.0.1", 9464))
        #expect(try OperationsServer.parseListenAddress("0.0.0.0:80") == ("0.0.0.0", 80))
        #expect(try OperationsServer.parseListenAddress("[::1]:9464") == ("::1", 9464))
        #expect(try OperationsServer.parseListenAddress(":9000") == ("127.0.0.1", 9000))
        for bad in ["9464", "host:", "host:99999", "::1:9464", "[::1:9464", "[]:1"] {
            #expect(throws: ListenAddressError.self, "\(bad)") { _ = try OperationsServer.parseListenAddress(bad) }
        }
    }

    @Test func bearerTokenOnEveryRequestButHealthz() async throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        try await withServer(token: "s3cret-token", api: seeded.api()) { port in
            for path in ["/api/v1/status", "/metrics", "/readyz", "/api/v1/alarms", "/nonexistent"] {
                let none = try await httpRequest("GET", port: port, path: path)
                #expect(none.status == 401, "\(path)")
                #expect(try none.json()["error"]?.stringValue?.contains("token") == true)
                #expect(none.header("www-authenticate")?.hasPrefix("Bearer") == true)
                let wrong = try await httpRequest("GET", port: port, path: path, headers: ["Authorization": "Bearer s3cret-tokeN"])
                #expect(wrong.status == 401, "\(path)")
                let basic = try await httpRequest("GET", port: port, path: path, headers: ["Authorization": "Basic czNjcmV0LXRva2Vu"])
                #expect(basic.status == 401, "\(path)")
            }
            for path in ["/api/v1/status", "/metrics", "/readyz", "/api/v1/alarms"] {
                let ok = try await httpRequest("GET", port: port, path: path, headers: ["Authorization": "Bearer s3cret-token"])
                #expect(ok.status == 200, "\(path)")
            }
            let ack = try await httpRequest("POST", port: port, path: "/api/v1/alarms/\(SeededStore.smokeID)/ack", body: #"{"by":"x"}"#)
            #expect(ack.status == 401)
            #expect(try await httpRequest("GET", port: port, path: "/healthz").status == 200)
        }
    }

    @Test func apiRoutesOverARealStore() async throws {
        let seeded = try SeededStore()
        defer { seeded.remove() }
        let api = seeded.api()
        try await withServer(api: api) { port in
            // Status.
            var r = try await httpRequest("GET", port: port, path: "/api/v1/status")
            #expect(r.status == 200)
            #expect(r.header("content-type") == "application/json; charset=utf-8")
            var j = try r.json()
            #expect(j["gateway"] == .string("gw-test"))
            #expect(j["active_alarms"] == .number(2))
            #expect(j["outbox_pending"] == .number(3))
            #expect(j["brokers"]?.arrayValue?.first?["connected"] == .bool(true))

            // Alarms: all, newest first, §3.1 members.
            r = try await httpRequest("GET", port: port, path: "/api/v1/alarms")
            #expect(r.status == 200)
            var alarms = try #require(try r.json()["alarms"]?.arrayValue)
            #expect(alarms.map { $0["alarm_id"]?.stringValue } == [SeededStore.chineseLocationID, SeededStore.clearedID, SeededStore.smokeID])
            let smoke = try #require(alarms.last)
            #expect(smoke["state"] == .string("raised"))
            #expect(smoke["type"] == .string("smoke"))
            #expect(smoke["severity"] == .string("major"))
            #expect(smoke["unit"] == .string("101"))
            #expect(smoke["device"] == .string("SD-101-1"))
            #expect(smoke["port"] == .null)
            #expect(smoke["location"] == .string("flat 101, bedroom"))
            #expect(smoke["started_at"] == .number(1_700_000_000_000))
            #expect(smoke["evidence"]?["threshold"] == .number(3))
            #expect(smoke["actions"]?.arrayValue?.first?["cmd"] == .string("sound"))
            #expect(alarms[1]["port"] == .number(3))
            #expect(alarms[0]["location"] == .string("102室 厨房"))

            r = try await httpRequest("GET", port: port, path: "/api/v1/alarms?active=true")
            alarms = try #require(try r.json()["alarms"]?.arrayValue)
            #expect(alarms.count == 2)
            #expect(alarms.allSatisfy { $0["state"] != .string("cleared") })
            r = try await httpRequest("GET", port: port, path: "/api/v1/alarms?limit=1")
            #expect(try r.json()["alarms"]?.arrayValue?.count == 1)
            for bad in ["/api/v1/alarms?limit=0", "/api/v1/alarms?limit=x", "/api/v1/alarms?active=maybe"] {
                r = try await httpRequest("GET", port: port, path: bad)
                #expect(r.status == 400, "\(bad)")
                #expect(try r.json()["error"]?.stringValue != nil)
            }

            // Acknowledge: 202, then 409; unknown 404; cleared 409; bad bodies 400.
            let json = ["Content-Type": "application/json"]
            let ackPath = "/api/v1/alarms/\(SeededStore.smokeID)/ack"
            r = try await httpRequest("POST", port: port, path: ackPath, headers: ["Content-Type": "application/json"], body: #"{"by":"Li Wei","note":"kitchen smoke"}"#)
            #expect(r.status == 202)
            j = try r.json()
            #expect(j["result"] == .string("accepted"))
            #expect(j["alarm_id"] == .string(SeededStore.smokeID))
            let stored = try #require(try seeded.store.alarm(id: SeededStore.smokeID))
            #expect(stored.state == .acknowledged)
            #expect(stored.evidence["acknowledged_by"] == .string("Li Wei"))
            r = try await httpRequest("POST", port: port, path: ackPath, headers: json, body: #"{"by":"Li Wei"}"#)
            #expect(r.status == 409)
            #expect(try r.json()["error"]?.stringValue?.contains("already acknowledged") == true)
            r = try await httpRequest("POST", port: port, path: "/api/v1/alarms/demo%3Asmoke%3ASD-999%3A1/ack", headers: json, body: #"{"by":"x"}"#)
            #expect(r.status == 404)
            #expect(try r.json()["error"]?.stringValue == "no alarm demo:smoke:SD-999:1")
            r = try await httpRequest("POST", port: port, path: "/api/v1/alarms/\(SeededStore.clearedID)/ack", headers: json, body: #"{"by":"x"}"#)
            #expect(r.status == 409)
            for bad in ["", "[]", "{}", #"{"by":""}"#, #"{"by":"x","note":5}"#, "{not json"] {
                r = try await httpRequest("POST", port: port, path: "/api/v1/alarms/\(SeededStore.chineseLocationID)/ack", headers: json, body: bad)
                #expect(r.status == 400, "\(bad)")
            }
            // Not JSON (what a cross-site form or a no-preflight fetch would send): refused.
            for type in [nil, "text/plain", "application/x-www-form-urlencoded"] {
                r = try await httpRequest(
                    "POST", port: port, path: "/api/v1/alarms/\(SeededStore.chineseLocationID)/ack", headers: type.map { ["Content-Type": $0] } ?? [:],
                    body: #"{"by":"x"}"#)
                #expect(r.status == 415, "\(type ?? "none")")
            }
            #expect(try seeded.store.alarm(id: SeededStore.chineseLocationID)?.state == .raised)
            r = try await httpRequest("GET", port: port, path: ackPath)
            #expect(r.status == 405)
            #expect(r.header("allow") == "POST")

            // The acknowledgement's outbox row is there.
            r = try await httpRequest("GET", port: port, path: "/api/v1/outbox")
            #expect(r.status == 200)
            let destinations = try #require(try r.json()["destinations"]?.arrayValue)
            #expect(destinations.count == 1)
            #expect(destinations[0]["destination"] == .string("registry-mqtt"))
            #expect(destinations[0]["pending"] == .number(4))
            #expect(destinations[0]["oldest_pending_at"] == .number(1_700_000_000_000))

            // Devices.
            r = try await httpRequest("GET", port: port, path: "/api/v1/devices")
            var devices = try #require(try r.json()["devices"]?.arrayValue)
            #expect(devices.map { $0["device"]?.stringValue } == ["SD-101-1", "SD-102-1", "SD-103-1"])
            #expect(devices[0]["offline"] == .bool(false))
            #expect(devices[0]["last_values"]?["battery_pct"] == .number(88))
            #expect(devices[0]["last_values"]?["ts"] == nil)
            #expect(devices[2]["last_seen"] == .null || devices[2]["last_seen"] == nil)
            r = try await httpRequest("GET", port: port, path: "/api/v1/devices?offline=true")
            devices = try #require(try r.json()["devices"]?.arrayValue)
            #expect(devices.map { $0["device"]?.stringValue } == ["SD-102-1", "SD-103-1"])

            // Occupancy.
            r = try await httpRequest("GET", port: port, path: "/api/v1/occupancy")
            let units = try #require(try r.json()["units"]?.arrayValue)
            #expect(units.count == 2)
            #expect(units[0]["group_rental_suspected"] == .bool(true))
            #expect(units[0]["estimated_occupants"] == .number(7.5))
            #expect(units[0]["area_m2"] == .number(18))

            // Unknown routes and methods.
            r = try await httpRequest("GET", port: port, path: "/api/v2/status")
            #expect(r.status == 404)
            #expect(try r.json()["error"]?.stringValue?.contains("no such endpoint") == true)
            r = try await httpRequest("DELETE", port: port, path: "/api/v1/alarms")
            #expect(r.status == 405)
        }
    }

    @Test func aTakenPortIsRetriedWithoutStoppingTheDaemon() async throws {
        // Something else holds the port.
        let blocker = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var on: Int32 = 1
        setsockopt(blocker, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(blocker, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(listen(blocker, 1) == 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(blocker, $0, &len) } }
        let port = Int(UInt16(bigEndian: addr.sin_port))

        let seeded = try SeededStore()
        defer { seeded.remove() }
        let logs = CapturedLogs()
        let server = try OperationsServer(
            host: "127.0.0.1", port: port, token: nil, api: seeded.api(), registry: PrometheusCollectorRegistry(), logger: logs.logger(),
            retryAfter: .milliseconds(200))
        let group = ServiceGroup(configuration: .init(services: [server], logger: quietLogger()))
        let running = Task { try await group.run() }
        #expect(await eventually { !logs.messages(containing: "cannot listen").isEmpty })
        await #expect(throws: NotListening.self) { _ = try await server.boundPort(timeout: .milliseconds(100)) }
        // The port comes free: the next attempt listens.
        close(blocker)
        #expect(try await server.boundPort(timeout: .seconds(10)) == port)
        #expect(try await httpRequest("GET", port: port, path: "/healthz").status == 200)
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
