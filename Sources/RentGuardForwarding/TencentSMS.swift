import RentGuardCore

/// Tencent Cloud SMS, API 3.0 `SendSms` (version 2021-01-11): `POST <endpoint>/` with a
/// JSON body (`PhoneNumberSet`, `SmsSdkAppId`, `SignName`, `TemplateId`,
/// `TemplateParamSet`) and the common headers (`X-TC-Action`, `X-TC-Timestamp`,
/// `X-TC-Version`, `X-TC-Region`), signed with TC3-HMAC-SHA256 (`TencentCloudSigner`).
/// The answer is `{"Response":{"SendStatusSet":[{"Code":"Ok",…}],"RequestId":…}}`, or
/// `{"Response":{"Error":{"Code":…,"Message":…}}}`: request limits, internal errors and
/// per-number 30-second/1-hour limits are retried; authentication, parameter, template
/// and signature errors refused for good. One text to several numbers counts as delivered
/// when any number took it (sending again would ring the others twice).
public struct TencentSMS: RobotVendor {
    public static let defaultEndpoint = "https://sms.tencentcloudapi.com"
    public static let version = "2021-01-11"

    let secretID: String
    let secretKey: String
    let sdkAppID: String
    let signName: String
    let templateID: String
    let templateParams: [String]
    let phones: [String]
    let region: String
    let endpoint: String

    public init(
        secretID: String, secretKey: String, sdkAppID: String, signName: String, templateID: String, templateParams: [String], phones: [String],
        region: String? = nil, endpoint: String? = nil
    ) {
        self.secretID = secretID
        self.secretKey = secretKey
        self.sdkAppID = sdkAppID
        self.signName = signName
        self.templateID = templateID
        self.templateParams = templateParams
        self.phones = phones
        self.region = region ?? "ap-guangzhou"
        self.endpoint = endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? Self.defaultEndpoint
    }

    /// `host[:port]` of the endpoint: the signed `Host` header.
    var host: String {
        let noScheme = endpoint.split(separator: "://", maxSplits: 1).last.map(String.init) ?? endpoint
        return String(noScheme.split(separator: "/", maxSplits: 1).first ?? Substring(noScheme))
    }

    public func request(_ notice: LandlordNotice, nowMs: Int64) -> RobotRequest {
        let body: JSONValue = .object([
            ("PhoneNumberSet", .array(phones.map { .string($0) })),
            ("SmsSdkAppId", .string(sdkAppID)),
            ("SignName", .string(signName)),
            ("TemplateId", .string(templateID)),
            ("TemplateParamSet", .array(templateParams.map { .string(notice.fields[$0] ?? "-") })),
        ])
        let payload = body.serialized()
        let timestamp = nowMs / 1000
        let contentType = "application/json; charset=utf-8"
        let authorization = TencentCloudSigner.authorization(
            secretID: secretID, secretKey: secretKey, service: "sms", host: host, contentType: contentType, timestamp: timestamp, payload: payload)
        return RobotRequest(
            url: endpoint + "/",
            headers: [
                "Authorization": authorization, "Content-Type": contentType, "Host": host, "X-TC-Action": "SendSms",
                "X-TC-Timestamp": "\(timestamp)", "X-TC-Version": Self.version, "X-TC-Region": region,
            ],
            body: Array(payload.utf8))
    }

    public func outcome(status: Int, body: String) -> DeliveryOutcome {
        if status == 429 || status >= 500 { return .retry("Tencent SMS: HTTP \(status): \(body.prefix(200))") }
        guard let response = (try? JSONParser.parse(body))?["Response"] else {
            let why = "Tencent SMS: HTTP \(status) without a Response: \(body.prefix(200))"
            return (200..<300).contains(status) ? .retry(why) : .rejected(why)
        }
        if let error = response["Error"] {
            let code = error["Code"]?.stringValue ?? "?"
            let why = "Tencent SMS: \(code): \(error["Message"]?.stringValue.map { String($0.prefix(200)) } ?? "")"
            return Self.isPassing(code) ? .retry(why) : .rejected(why)
        }
        let statuses = response["SendStatusSet"]?.arrayValue ?? []
        if statuses.contains(where: { $0["Code"]?.stringValue == "Ok" }) { return .delivered }
        guard let first = statuses.first else { return .retry("Tencent SMS: no SendStatusSet in the answer: \(body.prefix(200))") }
        let code = first["Code"]?.stringValue ?? "?"
        let why = "Tencent SMS: \(code) for every number: \(first["Message"]?.stringValue.map { String($0.prefix(200)) } ?? "")"
        return Self.isPassing(code) ? .retry(why) : .rejected(why)
    }

    /// Error codes that pass: rate limits, busy or internal errors.
    static func isPassing(_ code: String) -> Bool {
        code == "RequestLimitExceeded" || code.hasPrefix("InternalError") || code == "LimitExceeded.PhoneNumberThirtySecondLimit"
            || code == "LimitExceeded.PhoneNumberOneHourLimit" || code == "FailedOperation.ContainSensitiveWordRetry"
    }
}

/// Tencent Cloud API 3.0 request signing, TC3-HMAC-SHA256, for a `POST /` with a JSON body
/// and the signed headers `content-type;host`:
///
///     CanonicalRequest = "POST\n/\n\n" + "content-type:<ct>\nhost:<host>\n" + "\n" +
///                        "content-type;host\n" + hex(SHA256(payload))
///     StringToSign     = "TC3-HMAC-SHA256\n<timestamp>\n<date>/<service>/tc3_request\n" +
///                        hex(SHA256(CanonicalRequest))
///     SecretDate = HMAC("TC3" + SecretKey, date); SecretService = HMAC(SecretDate, service)
///     SecretSigning = HMAC(SecretService, "tc3_request")
///     Signature = hex(HMAC(SecretSigning, StringToSign))
///
/// `date` is the UTC date of `timestamp` (YYYY-MM-DD).
public enum TencentCloudSigner {
    public static func canonicalRequest(host: String, contentType: String, payload: String) -> String {
        "POST\n/\n\ncontent-type:\(contentType)\nhost:\(host)\n\ncontent-type;host\n" + Signature.hex(Signature.sha256(Array(payload.utf8)))
    }

    public static func utcDate(_ timestamp: Int64) -> String {
        CivilDate(dayNumber: timestamp >= 0 ? timestamp / 86_400 : (timestamp - 86_399) / 86_400).description
    }

    public static func stringToSign(service: String, timestamp: Int64, canonicalRequest: String) -> String {
        "TC3-HMAC-SHA256\n\(timestamp)\n\(utcDate(timestamp))/\(service)/tc3_request\n" + Signature.hex(Signature.sha256(Array(canonicalRequest.utf8)))
    }

    public static func signature(secretKey: String, service: String, timestamp: Int64, stringToSign: String) -> String {
        let date = Signature.hmacSHA256(key: Array(("TC3" + secretKey).utf8), message: Array(utcDate(timestamp).utf8))
        let svc = Signature.hmacSHA256(key: date, message: Array(service.utf8))
        let signing = Signature.hmacSHA256(key: svc, message: Array("tc3_request".utf8))
        return Signature.hex(Signature.hmacSHA256(key: signing, message: Array(stringToSign.utf8)))
    }

    /// The `Authorization` header.
    public static func authorization(
        secretID: String, secretKey: String, service: String, host: String, contentType: String, timestamp: Int64, payload: String
    ) -> String {
        let sts = stringToSign(service: service, timestamp: timestamp, canonicalRequest: canonicalRequest(host: host, contentType: contentType, payload: payload))
        let sig = signature(secretKey: secretKey, service: service, timestamp: timestamp, stringToSign: sts)
        return "TC3-HMAC-SHA256 Credential=\(secretID)/\(utcDate(timestamp))/\(service)/tc3_request, SignedHeaders=content-type;host, Signature=\(sig)"
    }
}
