import AsyncHTTPClient
import Foundation
import RentGuardCore
import RentGuardForwarding
import RentGuardStore
import RentGuardTesting
import Testing

/// Tencent Cloud SMS (API 3.0, TC3-HMAC-SHA256) and Alibaba Cloud SMS (RPC, HMAC-SHA1)
/// against the vendors' published signing examples and a local fake of each API, and the
/// one-text-per-incident rule.
@Suite(.serialized) struct SMSChannelTests {
    static let text = LandlordText(building: "3号楼", zone: .chinaStandardTime, publicURL: "https://status.example.cn/b3")

    // MARK: - Tencent

    /// Tencent Cloud's own signature v3 example (CVM DescribeInstances, 2019-02-25): its
    /// documented canonical request hash and signature, with its (masked) example key.
    @Test func tencentSignerReproducesTheDocumentedExample() {
        let payload = #"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#
        let canonical = TencentCloudSigner.canonicalRequest(host: "cvm.tencentcloudapi.com", contentType: "application/json; charset=utf-8", payload: payload)
        #expect(canonical.hasSuffix("35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"))
        let sts = TencentCloudSigner.stringToSign(service: "cvm", timestamp: 1_551_113_065, canonicalRequest: canonical)
        #expect(sts == "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031")
        let sig = TencentCloudSigner.signature(secretKey: "Gu5t9xGARNpq86cd98joQYCN3*******", service: "cvm", timestamp: 1_551_113_065, stringToSign: sts)
        #expect(sig == "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c")
    }

    static func tencent(_ receiver: TestHTTPReceiver) -> TencentSMS {
        TencentSMS(
            secretID: "AKIDtest", secretKey: "tencent-secret-key", sdkAppID: "1400006666", signName: "安居科技", templateID: "1234567",
            templateParams: ["building", "unit", "alarm", "time"], phones: ["+8613800000000", "+8613900000000"], region: "ap-shanghai",
            endpoint: receiver.baseURL)
    }

    static func alarm(_ type: AlarmType = .smoke, severity: Severity = .major, state: AlarmState = .raised, unit: String = "201", startedAt: Int64 = 1_796_690_220_000)
        -> (OutboxMessage, String)
    {
        let key = AlarmKey(type: type, device: "SD-1", unit: unit)
        let a = Alarm(id: "a-\(unit)-\(startedAt)", key: key, state: state, severity: severity, location: nil, startedAt: startedAt, updatedAt: startedAt, evidence: [:])
        let m = RegistryMessage.alarm(AlarmTransition(alarm: a), building: "b3", gateway: "gw")
        let message = OutboxMessage(
            rowID: 1, messageID: m.messageID, destination: "landlord:wang:2", kind: m.kind, topic: nil, priority: m.priority, orderKey: m.orderKey,
            payload: m.body.serialized(), createdAt: startedAt, attempts: 0, nextAttemptAt: startedAt, state: .pending, deliveredAt: nil, lastError: nil)
        return (message, RegistryMessage.payload(m.body.serialized(), sentAt: startedAt))
    }

    static let tencentOK = #"{"Response":{"SendStatusSet":[{"SerialNo":"5000:1045710669157053657849499619","PhoneNumber":"+8613800000000","Fee":1,"SessionContext":"","Code":"Ok","Message":"send success","IsoCode":"CN"}],"RequestId":"a0aabda6-cf91-4f3e-a81f-9198114a2279"}}"#

    @Test func tencentSendSmsIsSignedAndFilledAsDocumented() async throws {
        let receiver = try await TestHTTPReceiver(.answer(200, Self.tencentOK))
        defer { Task { await receiver.stop() } }
        let d = RobotDestination(name: "landlord:wang:2", client: HTTPClient.shared, vendor: Self.tencent(receiver), text: Self.text, limiter: nil)
        let (m, payload) = Self.alarm()
        let before = Int64(Date().timeIntervalSince1970)
        #expect(await d.deliver(m, payload: payload) == .delivered)
        let after = Int64(Date().timeIntervalSince1970)
        let r = try #require(receiver.requests.first)
        #expect(r.method == "POST" && r.path == "/" && r.query == nil)
        #expect(r.headers["content-type"] == "application/json; charset=utf-8")
        #expect(r.headers["x-tc-action"] == "SendSms")
        #expect(r.headers["x-tc-version"] == "2021-01-11")
        #expect(r.headers["x-tc-region"] == "ap-shanghai")
        let host = "127.0.0.1:\(receiver.port)"
        #expect(r.headers["host"] == host)
        let ts = try #require(r.headers["x-tc-timestamp"].flatMap { Int64($0) })
        #expect(ts >= before && ts <= after)
        let body = try JSONParser.parse(String(decoding: r.body, as: UTF8.self))
        #expect(body["PhoneNumberSet"]?.arrayValue?.compactMap(\.stringValue) == ["+8613800000000", "+8613900000000"])
        #expect(body["SmsSdkAppId"]?.stringValue == "1400006666")
        #expect(body["SignName"]?.stringValue == "安居科技")
        #expect(body["TemplateId"]?.stringValue == "1234567")
        #expect(body["TemplateParamSet"]?.arrayValue?.compactMap(\.stringValue) == ["3号楼", "201室", "烟雾报警", "2026-12-08 08:37 (UTC+8)"])
        // The Authorization header, recomputed here from the secret as Tencent documents it.
        func hmac(_ key: [UInt8], _ s: String) -> [UInt8] { Signature.hmacSHA256(key: key, message: Array(s.utf8)) }
        let date = ISO8601DateFormatter.string(from: Date(timeIntervalSince1970: TimeInterval(ts)), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
        let canonical = "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:\(host)\n\ncontent-type;host\n" + Signature.hex(Signature.sha256(r.body))
        let sts = "TC3-HMAC-SHA256\n\(ts)\n\(date)/sms/tc3_request\n" + Signature.hex(Signature.sha256(Array(canonical.utf8)))
        let key = hmac(hmac(hmac(Array("TC3tencent-secret-key".utf8), date), "sms"), "tc3_request")
        let expected = "TC3-HMAC-SHA256 Credential=AKIDtest/\(date)/sms/tc3_request, SignedHeaders=content-type;host, Signature=" + Signature.hex(hmac(key, sts))
        #expect(r.headers["authorization"] == expected)
    }

    @Test func tencentErrorsAreRetriedOrDeadLetteredByTheirCode() async throws {
        let receiver = try await TestHTTPReceiver()
        defer { Task { await receiver.stop() } }
        let d = RobotDestination(name: "landlord:wang:2", client: HTTPClient.shared, vendor: Self.tencent(receiver), text: Self.text, limiter: nil)
        receiver.queue([
            .answer(200, #"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"The provided credentials could not be validated. Please check your signature is correct."},"RequestId":"ed93f3cb-f35e-473f-b9f3-0d451b8b79c6"}}"#),
            .answer(200, #"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"Your current request times equals to `120` in a second, which exceeds the frequency limit `20` for a second. Please reduce the frequency of calls."},"RequestId":"x"}}"#),
            .answer(200, #"{"Response":{"SendStatusSet":[{"SerialNo":"","PhoneNumber":"+8613800000000","Fee":0,"SessionContext":"","Code":"LimitExceeded.PhoneNumberDailyLimit","Message":"the number of sms messages sent from a single mobile number every day exceeds the upper limit","IsoCode":"CN"}],"RequestId":"y"}}"#),
            .answer(200, #"{"Response":{"SendStatusSet":[{"Code":"LimitExceeded.PhoneNumberThirtySecondLimit","Message":"30 s","PhoneNumber":"+8613800000000"}],"RequestId":"z"}}"#),
        ])
        let (m, payload) = Self.alarm()
        guard case let .rejected(why) = await d.deliver(m, payload: payload) else { Issue.record("a bad signature is a dead letter"); return }
        #expect(why.contains("AuthFailure.SignatureFailure"))
        guard case .retry = await d.deliver(m, payload: payload) else { Issue.record("a request limit is retried"); return }
        guard case let .rejected(daily) = await d.deliver(m, payload: payload) else { Issue.record("a daily limit is a dead letter"); return }
        #expect(daily.contains("PhoneNumberDailyLimit"))
        guard case .retry = await d.deliver(m, payload: payload) else { Issue.record("the 30-second limit is retried"); return }
    }

    // MARK: - Alibaba

    /// Alibaba Cloud's own SendSms signing example (2017-07-12, testId/testSecret).
    @Test func aliyunSignReproducesTheDocumentedExample() {
        let params: [(String, String)] = [
            ("AccessKeyId", "testId"), ("Action", "SendSms"), ("Format", "XML"), ("OutId", "123"), ("PhoneNumbers", "15300000001"),
            ("RegionId", "cn-hangzhou"), ("SignName", "阿里云短信测试专用"), ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"), ("SignatureVersion", "1.0"), ("TemplateCode", "SMS_71390007"),
            ("TemplateParam", #"{"customer":"test"}"#), ("Timestamp", "2017-07-12T02:42:19Z"), ("Version", "2017-05-25"),
        ]
        #expect(AliyunSMS.sign(params, secret: "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4=")
        #expect(Signature.percentEncode("zJDF+Lrzhj/ThnlvIToysFRq6t4=") == "zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D")
    }

    @Test func aliyunSendSmsIsASignedGetAndItsCodesAreRead() async throws {
        let receiver = try await TestHTTPReceiver()
        defer { Task { await receiver.stop() } }
        let vendor = AliyunSMS(
            accessKeyID: "LTAItest", accessKeySecret: "aliyun-secret", signName: "安居科技", templateCode: "SMS_123456789",
            templateParams: ["building", "unit", "alarm"], phones: ["+8613800000000"], endpoint: receiver.baseURL)
        let d = RobotDestination(name: "landlord:wang:2", client: HTTPClient.shared, vendor: vendor, text: Self.text, limiter: nil)
        receiver.queue([
            .answer(200, #"{"Message":"OK","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"OK","BizId":"900619746936498440^0"}"#),
            .answer(200, #"{"Message":"触发分钟级流控Permits:1","RequestId":"C0A0BE93","Code":"isv.BUSINESS_LIMIT_CONTROL"}"#),
            .answer(400, #"{"Message":"Specified signature is not matched with our calculation.","RequestId":"8A2B","Recommend":"https://next.api.aliyun.com/troubleshoot","HostId":"dysmsapi.aliyuncs.com","Code":"SignatureDoesNotMatch"}"#),
        ])
        let (m, payload) = Self.alarm()
        #expect(await d.deliver(m, payload: payload) == .delivered)
        let r = try #require(receiver.requests.first)
        #expect(r.method == "GET" && r.path == "/")
        var params: [(String, String)] = []
        for pair in (r.query ?? "").split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            params.append((kv[0], kv.count > 1 ? kv[1] : ""))
        }
        let dict = Dictionary(params, uniquingKeysWith: { a, _ in a })
        #expect(dict["Action"] == "SendSms" && dict["Version"] == "2017-05-25" && dict["SignatureMethod"] == "HMAC-SHA1" && dict["SignatureVersion"] == "1.0")
        #expect(dict["PhoneNumbers"] == "+8613800000000" && dict["SignName"] == "安居科技" && dict["TemplateCode"] == "SMS_123456789")
        #expect(dict["TemplateParam"] == #"{"building":"3号楼","unit":"201室","alarm":"烟雾报警"}"#)
        #expect(dict["Timestamp"]?.hasSuffix("Z") == true && dict["SignatureNonce"]?.isEmpty == false)
        // The signature, recomputed here: HMAC-SHA1 with "secret&" over GET&%2F&<encoded sorted query>.
        func enc(_ s: String) -> String {
            s.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")) ?? ""
        }
        let rest = params.filter { $0.0 != "Signature" }.sorted { $0.0 < $1.0 }.map { enc($0.0) + "=" + enc($0.1) }.joined(separator: "&")
        let expected = Data(Signature.hmacSHA1(key: Array("aliyun-secret&".utf8), message: Array(("GET&%2F&" + enc(rest)).utf8))).base64EncodedString()
        #expect(dict["Signature"] == expected)
        guard case .retry = await d.deliver(m, payload: payload) else { Issue.record("a business rate limit is retried"); return }
        guard case let .rejected(why) = await d.deliver(m, payload: payload) else { Issue.record("a bad signature is a dead letter"); return }
        #expect(why.contains("SignatureDoesNotMatch"))
    }

    // MARK: - One text per incident

    @Test func oneTextPerIncidentStartForLifeSafetyAlarmsOnly() async throws {
        let receiver = try await TestHTTPReceiver(.answer(200, Self.tencentOK))
        defer { Task { await receiver.stop() } }
        let sms = SMSDestination(RobotDestination(name: "landlord:wang:2", client: HTTPClient.shared, vendor: Self.tencent(receiver), text: Self.text, limiter: nil))
        let t0: Int64 = 1_796_690_220_000
        let minute: Int64 = 60_000
        let cases: [((OutboxMessage, String), Bool, String)] = [
            (Self.alarm(.smoke, startedAt: t0), true, "a raised smoke alarm is texted"),
            (Self.alarm(.smoke, state: .escalated, startedAt: t0), false, "its escalation is not"),
            (Self.alarm(.fire, severity: .critical, startedAt: t0 + 5 * minute), false, "a fire in the same unit 5 min later is the same incident"),
            (Self.alarm(.batteryLow, severity: .minor, startedAt: t0 + 6 * minute), false, "a low battery is never texted"),
            (Self.alarm(.co, severity: .major, unit: "202", startedAt: t0 + 7 * minute), true, "another unit's CO alarm is its own incident"),
            (Self.alarm(.smoke, startedAt: t0 + 31 * minute), true, "the same unit after the window is a new incident"),
        ]
        var texted = 0
        for (row, expectText, why) in cases {
            #expect(await sms.deliver(row.0, payload: row.1) == .delivered, "\(why)")
            if expectText { texted += 1 }
            #expect(receiver.requests.count == texted, "\(why)")
        }
    }

    @Test func theDeliveryPlanGivesAnSMSChannelOnlyLifeSafetyStarts() {
        let config = BuildingConfig(
            gateway: GatewayIdentity(id: "gw", building: "b3", name: "3号楼"),
            units: [UnitConfig(id: "201", floor: 2, areaM2: 30, registeredOccupants: 2, landlord: "wang")],
            devices: [DeviceConfig(id: "SD-201", kind: .smokeDetector, unit: "201", location: "201 bedroom")],
            landlords: [LandlordConfig(id: "wang", channels: [
                .init(type: "wecom_robot", keyFile: "/k"),
                .init(type: "sms", secretFile: "/s", keyIDFile: "/i", provider: "tencent", sdkAppID: "1400006666", signName: "s", templateID: "1", phones: ["+8613800000000"]),
            ])])
        let plan = DeliveryPlan(config: config, registryDestinations: ["r"])
        func destinations(_ type: AlarmType, _ severity: Severity, _ state: AlarmState) -> [String] {
            let key = AlarmKey(type: type, device: "SD-201", unit: "201")
            let a = Alarm(id: "a", key: key, state: state, severity: severity, location: nil, startedAt: 1, updatedAt: 1, evidence: [:])
            return plan.rows(for: AlarmTransition(alarm: a), createdAt: 1).map(\.destination)
        }
        #expect(destinations(.smoke, .major, .raised) == ["r", "landlord:wang:0", "landlord:wang:1"])
        #expect(destinations(.smoke, .critical, .escalated) == ["r", "landlord:wang:0"])
        #expect(destinations(.smoke, .major, .cleared) == ["r", "landlord:wang:0"])
        #expect(destinations(.overload, .major, .raised) == ["r", "landlord:wang:0"])
    }
}
