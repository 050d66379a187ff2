import Foundation
import RentGuardCore

/// Alibaba Cloud SMS `SendSms` (Dysmsapi 2017-05-25), RPC style, signature version 1.0
/// (HMAC-SHA1): `GET <endpoint>/?Signature=…&<parameters>`, where the signature is
/// base64(HMAC-SHA1(key: AccessKeySecret + "&", message: "GET&%2F&" +
/// percentEncode(the sorted, percent-encoded parameters joined with '&'))) (`sign`).
/// The answer is `{"Code":"OK","Message":"OK","BizId":…,"RequestId":…}`; throttling,
/// business limits and system errors are retried; bad keys, signatures, templates, sign
/// names and numbers refused for good. `template_params` name the template's variables
/// (`${building}` …), filled from the notice.
public struct AliyunSMS: RobotVendor {
    public static let defaultEndpoint = "https://dysmsapi.aliyuncs.com"

    let accessKeyID: String
    let accessKeySecret: String
    let signName: String
    let templateCode: String
    let templateParams: [String]
    let phones: [String]
    let endpoint: String
    let nonce: @Sendable () -> String

    public init(
        accessKeyID: String, accessKeySecret: String, signName: String, templateCode: String, templateParams: [String], phones: [String],
        endpoint: String? = nil, nonce: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.accessKeyID = accessKeyID
        self.accessKeySecret = accessKeySecret
        self.signName = signName
        self.templateCode = templateCode
        self.templateParams = templateParams
        self.phones = phones
        self.endpoint = endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? Self.defaultEndpoint
        self.nonce = nonce
    }

    /// The signature of `parameters` (all but `Signature`) for `method`, before URL-encoding.
    public static func sign(_ parameters: [(String, String)], secret: String, method: String = "GET") -> String {
        let canonical = parameters.sorted { $0.0 < $1.0 }.map { Signature.percentEncode($0.0) + "=" + Signature.percentEncode($0.1) }.joined(separator: "&")
        let stringToSign = method + "&" + Signature.percentEncode("/") + "&" + Signature.percentEncode(canonical)
        return Signature.base64(Signature.hmacSHA1(key: Array((secret + "&").utf8), message: Array(stringToSign.utf8)))
    }

    /// ISO 8601 UTC to the second: `2017-07-12T02:42:19Z`.
    static func timestamp(_ ms: Int64) -> String {
        let s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let day = s >= 0 ? s / 86_400 : (s - 86_399) / 86_400
        let sec = Int(s - day * 86_400)
        func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(CivilDate(dayNumber: day))T\(pad(sec / 3600)):\(pad(sec / 60 % 60)):\(pad(sec % 60))Z"
    }

    public func request(_ notice: LandlordNotice, nowMs: Int64) -> RobotRequest {
        let templateParam: JSONValue = .object(templateParams.map { ($0, .string(notice.fields[$0] ?? "-")) })
        let parameters: [(String, String)] = [
            ("AccessKeyId", accessKeyID), ("Action", "SendSms"), ("Format", "JSON"), ("PhoneNumbers", phones.joined(separator: ",")),
            ("RegionId", "cn-hangzhou"), ("SignName", signName), ("SignatureMethod", "HMAC-SHA1"), ("SignatureNonce", nonce()),
            ("SignatureVersion", "1.0"), ("TemplateCode", templateCode), ("TemplateParam", templateParam.serialized()),
            ("Timestamp", Self.timestamp(nowMs)), ("Version", "2017-05-25"),
        ]
        let signature = Self.sign(parameters, secret: accessKeySecret)
        let query = ([("Signature", signature)] + parameters).map { Signature.percentEncode($0.0) + "=" + Signature.percentEncode($0.1) }.joined(separator: "&")
        return RobotRequest(method: "GET", url: "\(endpoint)/?\(query)", headers: [:], body: [])
    }

    public func outcome(status: Int, body: String) -> DeliveryOutcome {
        if status == 429 || status >= 500 { return .retry("Alibaba SMS: HTTP \(status): \(body.prefix(200))") }
        guard let json = try? JSONParser.parse(body), let code = json["Code"]?.stringValue else {
            let why = "Alibaba SMS: HTTP \(status) without a Code: \(body.prefix(200))"
            return (200..<300).contains(status) ? .retry(why) : .rejected(why)
        }
        if code == "OK", (200..<300).contains(status) { return .delivered }
        let why = "Alibaba SMS: \(code): \(json["Message"]?.stringValue.map { String($0.prefix(200)) } ?? "")"
        let passing = code.hasPrefix("Throttling") || code == "isv.BUSINESS_LIMIT_CONTROL" || code == "isp.SYSTEM_ERROR" || code == "ServiceUnavailable"
            || code == "InternalError"
        return passing ? .retry(why) : .rejected(why)
    }
}
