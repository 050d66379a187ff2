import RentGuardCore

/// DingTalk (钉钉) custom robot: `POST <endpoint>?access_token=<key>` with a markdown
/// message (`{"msgtype":"markdown","markdown":{"title":…,"text":…}}`). With signing on,
/// `&timestamp=<ms>&sign=<sign>` is added, where sign is the URL-encoded base64 of
/// HMAC-SHA256(key: secret, message: "<timestamp>\n<secret>"). With a keyword set, every
/// message contains it. The answer is `{"errcode":0,"errmsg":"ok"}`; 130101 and 410100
/// (sending too fast) and -1 (busy) are retried; others (310000 sign or keyword mismatch,
/// 300001 bad token, …) refused for good. 20 messages a minute per robot, else the robot
/// is blocked for 10 minutes: the destination waits instead.
public struct DingTalkRobot: RobotVendor {
    public static let defaultEndpoint = "https://oapi.dingtalk.com/robot/send"
    public static let limits = [SendRateLimiter.Limit(count: 20, window: .seconds(60))]

    let key: String
    let secret: String?
    let keyword: String?
    let endpoint: String

    public init(key: String, secret: String?, keyword: String?, endpoint: String? = nil) {
        self.key = key
        self.secret = secret
        self.keyword = keyword
        self.endpoint = endpoint ?? Self.defaultEndpoint
    }

    /// The `sign` parameter before URL-encoding: base64(HMAC-SHA256(secret, "<ts>\n<secret>")).
    public static func sign(timestampMs: Int64, secret: String) -> String {
        Signature.base64(Signature.hmacSHA256(key: Array(secret.utf8), message: Array("\(timestampMs)\n\(secret)".utf8)))
    }

    public func request(_ notice: LandlordNotice, nowMs: Int64) -> RobotRequest {
        var title = notice.title
        var text = notice.markdown
        if let keyword, !keyword.isEmpty, !text.contains(keyword) {
            title = "\(keyword) \(title)"
            text = "\(keyword)\n\n" + text
        }
        let body: JSONValue = ["msgtype": "markdown", "markdown": ["title": .string(title), "text": .string(text)]]
        var url = "\(endpoint)?access_token=\(Signature.percentEncode(key))"
        if let secret {
            url += "&timestamp=\(nowMs)&sign=\(Signature.percentEncode(Self.sign(timestampMs: nowMs, secret: secret)))"
        }
        return RobotRequest(url: url, headers: ["Content-Type": "application/json; charset=utf-8"], body: Array(body.serialized().utf8))
    }

    public func outcome(status: Int, body: String) -> DeliveryOutcome {
        VendorAnswer.outcome(vendor: "DingTalk", status: status, body: body, codeKeys: ["errcode"], messageKeys: ["errmsg"], retryCodes: [-1, 130101, 410100])
    }
}
