import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RentGuardCore
import RentGuardStore

/// One HTTP request to a vendor's service.
public struct RobotRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String = "POST", url: String, headers: [String: String], body: [UInt8]) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A group robot or SMS service: how a notice becomes a request, and what its answer means.
public protocol RobotVendor: Sendable {
    /// The request for one notice at `nowMs` (Unix ms: the signing timestamps).
    func request(_ notice: LandlordNotice, nowMs: Int64) -> RobotRequest
    /// What the service's answer means: delivered only when it says so.
    func outcome(status: Int, body: String) -> DeliveryOutcome
}

/// A landlord's channel through a vendor (WeCom, DingTalk, Feishu robots; SMS): renders the
/// stored alarm message as a notice in the channel's language, keeps within the vendor's
/// sending limit (`SendRateLimiter`, waiting rather than being refused), sends it, and
/// reports the vendor's verdict: 0/success delivered; rate limits, busy answers, 429, 5xx,
/// timeouts and transport errors retried; a bad key, signature or template kept as dead
/// letter with the vendor's reason.
public struct RobotDestination: DeliveryDestination {
    public let name: String
    let client: HTTPClient
    let vendor: any RobotVendor
    let text: LandlordText
    let limiter: SendRateLimiter?
    let timeout: TimeAmount
    let clock: @Sendable () -> Int64

    public init(
        name: String, client: HTTPClient, vendor: any RobotVendor, text: LandlordText, limiter: SendRateLimiter?, timeout: Duration = .seconds(10),
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) {
        self.name = name
        self.client = client
        self.vendor = vendor
        self.text = text
        self.limiter = limiter
        self.timeout = .milliseconds(timeout.milliseconds)
        self.clock = clock
    }

    public func waitUntilReady(timeout: Duration) async -> Bool { true }

    public func deliver(_ message: OutboxMessage, payload: String) async -> DeliveryOutcome {
        let notice = text.notice(payload: payload)
        if let limiter {
            do { try await limiter.acquire() } catch { return .retry("stopped while waiting for the vendor's send rate limit") }
        }
        let r = vendor.request(notice, nowMs: clock())
        var request = HTTPClientRequest(url: r.url)
        request.method = HTTPMethod(rawValue: r.method)
        for (k, v) in r.headers.sorted(by: { $0.key < $1.key }) { request.headers.add(name: k, value: v) }
        request.headers.add(name: "User-Agent", value: "rentguardd")
        if !r.body.isEmpty { request.body = .bytes(ByteBuffer(bytes: r.body)) }
        do {
            let response = try await client.execute(request, timeout: timeout)
            let body = (try? await response.body.collect(upTo: 64 * 1024)).map { String(buffer: $0) } ?? ""
            return vendor.outcome(status: Int(response.status.code), body: body)
        } catch {
            return .retry("\(error)")
        }
    }
}

/// Reading the vendors' answers: HTTP 200 with a numeric code in the JSON body.
enum VendorAnswer {
    /// `codeKeys`: where the code may be (the first present counts); `retryCodes`: codes
    /// that mean "later" (rate limits, busy). Code 0 with a 2xx status is delivered; any
    /// other code is refused for good with the vendor's message; 429 and 5xx are retried,
    /// other 4xx without a code refused; a 2xx without a readable code is not a
    /// confirmation and is retried.
    static func outcome(
        vendor: String, status: Int, body: String, codeKeys: [String], messageKeys: [String], retryCodes: Set<Int>
    ) -> DeliveryOutcome {
        let json = try? JSONParser.parse(body)
        let code = codeKeys.lazy.compactMap { json?[$0]?.doubleValue }.first.flatMap { $0.isFinite && abs($0) < 1e12 ? Int($0) : nil }
        let message = messageKeys.lazy.compactMap { json?[$0]?.stringValue }.first ?? String(body.prefix(200))
        if status == 429 || status >= 500 {
            return .retry("\(vendor): HTTP \(status)" + (code.map { " code \($0)" } ?? "") + ": \(message.prefix(200))")
        }
        guard let code else {
            let why = "\(vendor): HTTP \(status) without a result code: \(body.prefix(200))"
            return (200..<300).contains(status) ? .retry(why) : .rejected(why)
        }
        if code == 0, (200..<300).contains(status) { return .delivered }
        let why = "\(vendor): code \(code): \(message.prefix(200))"
        return retryCodes.contains(code) ? .retry(why) : .rejected(why)
    }
}
