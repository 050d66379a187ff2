import RentGuardCore

/// Feishu (飞书) custom bot: `POST <endpoint>/<key>` with a rich-text (`post`) message.
/// With signing on, the body carries `"timestamp":"<seconds>"` and `"sign"`: the base64 of
/// HMAC-SHA256 keyed with "<timestamp>\n<secret>" over an empty message. The answer is
/// `{"code":0,"msg":"success",…}` (older: `"StatusCode":0`); 11232 and 99991400
/// (frequency limited), HTTP 429 and 5xx are retried; others (19021 sign mismatch or
/// stale timestamp, 19024 keyword missing, 9499 bad request, …) refused for good.
/// 100 messages a minute and 5 a second per bot.
public struct FeishuRobot: RobotVendor {
    public static let defaultEndpoint = "https://open.feishu.cn/open-apis/bot/v2/hook"
    public static let limits = [SendRateLimiter.Limit(count: 5, window: .seconds(1)), SendRateLimiter.Limit(count: 100, window: .seconds(60))]

    let key: String
    let secret: String?
    let endpoint: String

    public init(key: String, secret: String?, endpoint: String? = nil) {
        self.key = key
        self.secret = secret
        self.endpoint = endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? Self.defaultEndpoint
    }

    /// base64(HMAC-SHA256(key: "<timestamp>\n<secret>", message: empty)).
    public static func sign(timestampSeconds: Int64, secret: String) -> String {
        Signature.base64(Signature.hmacSHA256(key: Array("\(timestampSeconds)\n\(secret)".utf8), message: []))
    }

    public func request(_ notice: LandlordNotice, nowMs: Int64) -> RobotRequest {
        var paragraphs: [JSONValue] = notice.lines.map { [["tag": "text", "text": .string($0)]] }
        if let link = notice.link { paragraphs.append([["tag": "a", "text": .string(notice.linkLabel), "href": .string(link)]]) }
        let language = notice.english ? "en_us" : "zh_cn"
        var members: [(String, JSONValue)] = []
        if let secret {
            let ts = nowMs / 1000
            members.append(("timestamp", .string("\(ts)")))
            members.append(("sign", .string(Self.sign(timestampSeconds: ts, secret: secret))))
        }
        members.append(("msg_type", "post"))
        let post: JSONValue = ["title": .string(notice.title), "content": .array(paragraphs)]
        members.append(("content", ["post": .object([(language, post)])]))
        return RobotRequest(
            url: "\(endpoint)/\(Signature.percentEncode(key))", headers: ["Content-Type": "application/json; charset=utf-8"],
            body: Array(JSONValue.object(members).serialized().utf8))
    }

    public func outcome(status: Int, body: String) -> DeliveryOutcome {
        VendorAnswer.outcome(
            vendor: "Feishu", status: status, body: body, codeKeys: ["code", "StatusCode"], messageKeys: ["msg", "StatusMessage"],
            retryCodes: [11232, 99991400])
    }
}
