import AsyncHTTPClient
import Foundation
import RentGuardCore
import RentGuardForwarding
import RentGuardStore
import RentGuardTesting
import Testing

/// The WeCom, DingTalk and Feishu robots against a local fake of each service that checks
/// the request as the vendor documents it (path, query, headers, body, signature
/// recomputed from the secret) and answers with the vendor's success and error bodies.
@Suite(.serialized) struct RobotChannelTests {
    static let building = LandlordText(building: "3号楼", zone: .chinaStandardTime, publicURL: "https://status.example.cn/b3")

    /// A stored landlord payload: smoke raised in unit 201 at 2026-12-08 08:37 CST.
    static func row(_ id: String = "m-1", type: AlarmType = .smoke, severity: Severity = .major, state: AlarmState = .raised) -> (OutboxMessage, String) {
        let key = AlarmKey(type: type, device: "SD-1", unit: "201")
        let t0: Int64 = 1_796_690_220_000  // 2026-12-08T00:37:00Z
        let a = Alarm(id: "a-1", key: key, state: state, severity: severity, location: "201 bedroom", startedAt: t0, updatedAt: t0, evidence: [:])
        let m = RegistryMessage.alarm(AlarmTransition(alarm: a), building: "b3", gateway: "gw")
        let payload = m.body.serialized()
        let message = OutboxMessage(
            rowID: 1, messageID: id, destination: "landlord:wang:0", kind: m.kind, topic: nil, priority: m.priority, orderKey: m.orderKey,
            payload: payload, createdAt: t0, attempts: 0, nextAttemptAt: t0, state: .pending, deliveredAt: nil, lastError: nil)
        return (message, RegistryMessage.payload(payload, sentAt: t0))
    }

    static func query(_ r: TestHTTPReceiver.Request) -> [String: String] {
        var out: [String: String] = [:]
        for pair in (r.query ?? "").split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { continue }
            out[kv[0]] = kv[1].removingPercentEncoding
        }
        return out
    }

    static func json(_ r: TestHTTPReceiver.Request) throws -> JSONValue { try JSONParser.parse(String(decoding: r.body, as: UTF8.self)) }

    // MARK: - WeCom

    @Test func weComSendsMarkdownToTheKeyedWebhookAndIsDeliveredOnErrcodeZero() async throws {
        let (m, payload) = Self.row()
        let receiver = try await TestHTTPReceiver(.answer(200, #"{"errcode":0,"errmsg":"ok"}"#))
        defer { Task { await receiver.stop() } }
        let robot = WeComRobot(key: "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", endpoint: receiver.baseURL + "/cgi-bin/webhook/send")
        let d = RobotDestination(name: "landlord:wang:0", client: HTTPClient.shared, vendor: robot, text: Self.building, limiter: nil)
        #expect(await d.deliver(m, payload: payload) == .delivered)
        let r = try #require(receiver.requests.first)
        #expect(r.method == "POST")
        #expect(r.path == "/cgi-bin/webhook/send")
        #expect(Self.query(r) == ["key": "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"])
        #expect(r.headers["content-type"] == "application/json; charset=utf-8")
        let body = try Self.json(r)
        #expect(body["msgtype"]?.stringValue == "markdown")
        let content = try #require(body["markdown"]?["content"]?.stringValue)
        #expect(content.hasPrefix("### 【烟雾报警】3号楼 201室\n"))
        #expect(content.contains("> 楼栋：3号楼\n"))
        #expect(content.contains("> 时间：2026-12-08 08:37 (UTC+8)\n"))
        #expect(content.contains("> 处置：立即核实现场；如有明火或烟雾，拨打119并组织人员疏散。"))
        #expect(content.hasSuffix("[查看状态页](https://status.example.cn/b3)"))
    }

    @Test func weComMarkdownIsCutToItsByteLimitOnACharacterBoundary() throws {
        let long = LandlordNotice(title: "标题", lines: Array(repeating: "一二三四五六七八九十", count: 300), link: nil, fields: [:], english: false)
        let r = WeComRobot(key: "k").request(long, nowMs: 0)
        let content = try #require(try JSONParser.parse(String(decoding: r.body, as: UTF8.self))["markdown"]?["content"]?.stringValue)
        #expect(content.utf8.count <= 4096)
        #expect(content.hasSuffix("…"))
        #expect(r.url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "the vendor's address by default")
    }

    @Test func weComRateLimitIsRetriedAndAnInvalidKeyIsADeadLetterWithTheReason() async throws {
        let (m, payload) = Self.row()
        let receiver = try await TestHTTPReceiver()
        defer { Task { await receiver.stop() } }
        let d = RobotDestination(
            name: "landlord:wang:0", client: HTTPClient.shared, vendor: WeComRobot(key: "k", endpoint: receiver.baseURL + "/cgi-bin/webhook/send"),
            text: Self.building, limiter: nil)
        receiver.queue([
            .answer(200, #"{"errcode":45009,"errmsg":"api freq out of limit"}"#),
            .answer(200, #"{"errcode":-1,"errmsg":"system busy"}"#),
            .answer(200, #"{"errcode":93000,"errmsg":"invalid webhook url, hint: [1733600000_7_8b1c], from ip: 1.2.3.4"}"#),
            .answer(502, "bad gateway"),
            .answer(200, "<html>portal</html>"),
        ])
        guard case let .retry(why) = await d.deliver(m, payload: payload) else { Issue.record("45009 must be retried"); return }
        #expect(why.contains("45009"))
        guard case .retry = await d.deliver(m, payload: payload) else { Issue.record("-1 (busy) must be retried"); return }
        guard case let .rejected(reason) = await d.deliver(m, payload: payload) else { Issue.record("93000 must be a dead letter"); return }
        #expect(reason.contains("93000") && reason.contains("invalid webhook url"))
        guard case .retry = await d.deliver(m, payload: payload) else { Issue.record("HTTP 502 must be retried"); return }
        guard case .retry = await d.deliver(m, payload: payload) else { Issue.record("a 200 without errcode is no confirmation"); return }
    }

    // MARK: - DingTalk

    /// Computed independently with Python's hmac/base64 (hmac.new(secret, f"{ts}\n{secret}", sha256)).
    @Test func dingTalkSignMatchesTheDocumentedSchemeOnAFixedVector() {
        #expect(DingTalkRobot.sign(timestampMs: 1_733_616_000_000, secret: "SECtest-secret-0123456789abcdef") == "tcAoJmsbUugC/XypHm1jkDAb5+kV2jIo36KrvVqdknQ=")
    }

    @Test func dingTalkSignsTheQueryAddsTheKeywordAndIsDeliveredOnErrcodeZero() async throws {
        let (m, payload) = Self.row()
        let receiver = try await TestHTTPReceiver(.answer(200, #"{"errcode":0,"errmsg":"ok"}"#))
        defer { Task { await receiver.stop() } }
        let secret = "SEC5a3ecf88f2b3eb50db30ecfc00f53033ac909c99bf7f88fd612bda89d7f3a9dc"
        let d = RobotDestination(
            name: "landlord:wang:0", client: HTTPClient.shared,
            vendor: DingTalkRobot(key: "abc+/token", secret: secret, keyword: "报警", endpoint: receiver.baseURL + "/robot/send"),
            text: Self.building, limiter: nil)
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(await d.deliver(m, payload: payload) == .delivered)
        let after = Int64(Date().timeIntervalSince1970 * 1000)
        let r = try #require(receiver.requests.first)
        #expect(r.path == "/robot/send")
        #expect(r.headers["content-type"] == "application/json; charset=utf-8")
        // The sign is URL-encoded in the query: '+', '/' and '=' must arrive escaped.
        #expect(!(r.query ?? "").contains("+") && (r.query ?? "").contains("access_token=abc%2B%2Ftoken"))
        let q = Self.query(r)
        #expect(q["access_token"] == "abc+/token")
        let ts = try #require(q["timestamp"].flatMap { Int64($0) })
        #expect(ts >= before && ts <= after, "timestamp in ms, now")
        let expected = Data(Signature.hmacSHA256(key: Array(secret.utf8), message: Array("\(ts)\n\(secret)".utf8))).base64EncodedString()
        #expect(q["sign"] == expected)
        let body = try Self.json(r)
        #expect(body["msgtype"]?.stringValue == "markdown")
        let title = try #require(body["markdown"]?["title"]?.stringValue)
        let text = try #require(body["markdown"]?["text"]?.stringValue)
        #expect(title.contains("烟雾报警"))
        #expect(text.contains("报警"), "the robot's keyword is in every message")
        #expect(text.contains("201室"))
    }

    @Test func dingTalkKeywordMissingFromTheWordingIsAdded() async throws {
        let robot = DingTalkRobot(key: "t", secret: nil, keyword: "RentGuard", endpoint: "http://127.0.0.1:1/robot/send")
        let (_, payload) = Self.row()
        let r = robot.request(Self.building.notice(payload: payload), nowMs: 0)
        let body = try JSONParser.parse(String(decoding: r.body, as: UTF8.self))
        #expect(body["markdown"]?["text"]?.stringValue?.hasPrefix("RentGuard\n") == true)
        #expect(!r.url.contains("timestamp=") && !r.url.contains("sign="), "no signature without a secret")
    }

    @Test func dingTalkTooFastIsRetriedAndABadSignatureIsADeadLetter() async throws {
        let (m, payload) = Self.row()
        let receiver = try await TestHTTPReceiver()
        defer { Task { await receiver.stop() } }
        let d = RobotDestination(
            name: "landlord:wang:0", client: HTTPClient.shared,
            vendor: DingTalkRobot(key: "t", secret: "SECx", keyword: nil, endpoint: receiver.baseURL + "/robot/send"), text: Self.building, limiter: nil)
        receiver.queue([
            .answer(200, #"{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}"#),
            .answer(200, #"{"errcode":310000,"errmsg":"sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}"#),
            .answer(200, #"{"errcode":300001,"errmsg":"token is not exist"}"#),
        ])
        guard case .retry = await d.deliver(m, payload: payload) else { Issue.record("130101 must be retried"); return }
        guard case let .rejected(why) = await d.deliver(m, payload: payload) else { Issue.record("310000 must be a dead letter"); return }
        #expect(why.contains("310000") && why.contains("sign not match"))
        guard case .rejected = await d.deliver(m, payload: payload) else { Issue.record("300001 must be a dead letter"); return }
    }

    /// DingTalk's 20 messages a minute are respected by waiting, not discovered by errors:
    /// with a 20-per-600-ms window, 25 sends take at least one window, and no 600 ms span
    /// at the fake ever holds more than 20 requests.
    @Test func theSendRateLimiterKeepsASlidingWindowAndNeverExceedsIt() async throws {
        let (m, payload) = Self.row()
        let receiver = try await TestHTTPReceiver(.answer(200, #"{"errcode":0,"errmsg":"ok"}"#))
        defer { Task { await receiver.stop() } }
        let window = Duration.milliseconds(600)
        let d = RobotDestination(
            name: "landlord:wang:0", client: HTTPClient.shared,
            vendor: DingTalkRobot(key: "t", secret: nil, keyword: nil, endpoint: receiver.baseURL + "/robot/send"), text: Self.building,
            limiter: SendRateLimiter([.init(count: 20, window: window)]))
        let start = ContinuousClock.now
        for _ in 0..<25 { #expect(await d.deliver(m, payload: payload) == .delivered) }
        let took = ContinuousClock.now - start
        #expect(took >= window, "the 21st send waited for the window: took \(took)")
        let times = receiver.requests.map(\.receivedAt).sorted()
        #expect(times.count == 25)
        for i in 20..<times.count {
            // Measured at the receiver: allow 50 ms for the request in flight.
            #expect(times[i].timeIntervalSince(times[i - 20]) >= 0.55, "21 requests within one window at \(i)")
        }
        #expect(DingTalkRobot.limits == [.init(count: 20, window: .seconds(60))])
    }

    // MARK: - Feishu

    /// Computed independently with Python: hmac.new(f"{ts}\n{secret}", b"", sha256).
    @Test func feishuSignMatchesTheDocumentedSchemeOnAFixedVector() {
        #expect(FeishuRobot.sign(timestampSeconds: 1_733_616_000, secret: "test-secret") == "2XbTGglc5VZKSm7OVSNoMwOrgQUR6+HbBNhkm2T6bYc=")
    }

    @Test func feishuPutsTimestampAndSignInTheBodyAndIsDeliveredOnCodeZero() async throws {
        let (m, payload) = Self.row()
        let receiver = try await TestHTTPReceiver(.answer(200, #"{"code":0,"data":{},"msg":"success"}"#))
        defer { Task { await receiver.stop() } }
        let secret = "nIMtb7r3N9pkXyXdtAbx6e"
        let en = LandlordText(building: "Block 3", zone: .chinaStandardTime, publicURL: "https://status.example.cn/b3", language: .en)
        let d = RobotDestination(
            name: "landlord:wang:0", client: HTTPClient.shared,
            vendor: FeishuRobot(key: "5e3d587e-d78e-4a07-bd07-265f269f86fd", secret: secret, endpoint: receiver.baseURL + "/open-apis/bot/v2/hook"),
            text: en, limiter: nil)
        let before = Int64(Date().timeIntervalSince1970)
        #expect(await d.deliver(m, payload: payload) == .delivered)
        let after = Int64(Date().timeIntervalSince1970)
        let r = try #require(receiver.requests.first)
        #expect(r.path == "/open-apis/bot/v2/hook/5e3d587e-d78e-4a07-bd07-265f269f86fd")
        #expect(r.query == nil)
        #expect(r.headers["content-type"] == "application/json; charset=utf-8")
        let body = try Self.json(r)
        let ts = try #require(body["timestamp"]?.stringValue.flatMap { Int64($0) }, "timestamp is a string of seconds")
        #expect(ts >= before && ts <= after)
        let expected = Data(Signature.hmacSHA256(key: Array("\(ts)\n\(secret)".utf8), message: [])).base64EncodedString()
        #expect(body["sign"]?.stringValue == expected)
        #expect(body["msg_type"]?.stringValue == "post")
        let post = try #require(body["content"]?["post"]?["en_us"])
        #expect(post["title"]?.stringValue == "[Smoke alarm] Block 3, unit 201")
        let paragraphs = try #require(post["content"]?.arrayValue)
        let texts = paragraphs.compactMap { $0.arrayValue?.first?["text"]?.stringValue }
        #expect(texts.contains("When: 2026-12-08 08:37 (UTC+8)"))
        #expect(texts.contains("What to do: Check the unit now; if there is fire or smoke, call 119 and get everyone out."))
        #expect(paragraphs.last?.arrayValue?.first?["href"]?.stringValue == "https://status.example.cn/b3")
    }

    @Test func feishuFrequencyLimitIsRetriedAndASignMismatchIsADeadLetter() async throws {
        let (m, payload) = Self.row()
        let receiver = try await TestHTTPReceiver()
        defer { Task { await receiver.stop() } }
        let d = RobotDestination(
            name: "landlord:wang:0", client: HTTPClient.shared,
            vendor: FeishuRobot(key: "h", secret: "s", endpoint: receiver.baseURL + "/open-apis/bot/v2/hook"), text: Self.building, limiter: nil)
        receiver.queue([
            .answer(200, #"{"code":11232,"data":{},"msg":"frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"}"#),
            .answer(429, #"{"code":99991400,"msg":"request trigger frequency limit"}"#),
            .answer(200, #"{"code":19021,"data":{},"msg":"sign match fail or timestamp is not within one hour from current time"}"#),
            .answer(200, #"{"Extra":null,"StatusCode":0,"StatusMessage":"success"}"#),
        ])
        guard case .retry = await d.deliver(m, payload: payload) else { Issue.record("11232 must be retried"); return }
        guard case .retry = await d.deliver(m, payload: payload) else { Issue.record("HTTP 429 must be retried"); return }
        guard case let .rejected(why) = await d.deliver(m, payload: payload) else { Issue.record("19021 must be a dead letter"); return }
        #expect(why.contains("19021") && why.contains("sign match fail"))
        #expect(await d.deliver(m, payload: payload) == .delivered, "the older StatusCode answer counts too")
    }

    // MARK: - Wording

    @Test func clearedAlarmsSayNoActionIsNeededAndDigestsListEachAlarm() throws {
        let (_, cleared) = Self.row(state: .cleared)
        let n = Self.building.notice(payload: cleared)
        #expect(n.title == "【烟雾报警（已解除）】3号楼 201室")
        #expect(n.lines.contains("处置：报警已解除，无需处置。"))
        let digest: JSONValue = [
            "kind": "alarm_digest", "count": 2,
            "alarms": [try JSONParser.parse(Self.row().1), try JSONParser.parse(Self.row(type: .batteryLow, severity: .minor).1)],
        ]
        let d = Self.building.notice(payload: digest.serialized())
        #expect(d.title == "【2 条报警】3号楼")
        #expect(d.lines.count == 2)
        #expect(d.lines[1].hasPrefix("【设备电池电量低】3号楼 201室"))
        let garbage = Self.building.notice(payload: "not json")
        #expect(garbage.lines == ["not json"])
    }
}

