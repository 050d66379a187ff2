import RentGuardCore

/// WeCom (企业微信) group robot: `POST <endpoint>?key=<key>` with a markdown message
/// (`{"msgtype":"markdown","markdown":{"content":…}}`, at most 4096 bytes). The answer is
/// `{"errcode":0,"errmsg":"ok"}`; errcode 45009 (sending too often) and -1 (busy) are
/// retried; others (93000 invalid webhook key, …) refused for good. 20 messages a minute
/// per robot.
public struct WeComRobot: RobotVendor {
    public static let defaultEndpoint = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
    public static let limits = [SendRateLimiter.Limit(count: 20, window: .seconds(60))]
    /// The markdown content's limit, in UTF-8 bytes.
    public static let maxContentBytes = 4096

    let key: String
    let endpoint: String

    public init(key: String, endpoint: String? = nil) {
        self.key = key
        self.endpoint = endpoint ?? Self.defaultEndpoint
    }

    public func request(_ notice: LandlordNotice, nowMs: Int64) -> RobotRequest {
        let content = truncatedUTF8(notice.markdown, maxBytes: Self.maxContentBytes)
        let body: JSONValue = ["msgtype": "markdown", "markdown": ["content": .string(content)]]
        return RobotRequest(
            url: "\(endpoint)?key=\(Signature.percentEncode(key))", headers: ["Content-Type": "application/json; charset=utf-8"],
            body: Array(body.serialized().utf8))
    }

    public func outcome(status: Int, body: String) -> DeliveryOutcome {
        VendorAnswer.outcome(vendor: "WeCom", status: status, body: body, codeKeys: ["errcode"], messageKeys: ["errmsg"], retryCodes: [-1, 45009, 45033])
    }
}

/// `s` cut to at most `maxBytes` of UTF-8 on a character boundary.
func truncatedUTF8(_ s: String, maxBytes: Int) -> String {
    if s.utf8.count <= maxBytes { return s }
    var out = ""
    var used = 0
    for ch in s {
        let n = String(ch).utf8.count
        if used + n > maxBytes - 3 { break }
        out.append(ch)
        used += n
    }
    return out + "…"
}
