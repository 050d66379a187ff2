import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RentGuardStore

/// The registry over HTTPS (protocol v1 §3), or a landlord's webhook: `POST` the JSON body
/// with `Idempotency-Key: <message id>` and `X-RG-Signature: sha256=<HMAC>`.
/// 2xx and 409 (a duplicate) count as accepted; other 4xx are refused for good (dead
/// letter); 5xx, timeouts and transport errors are retried.
public struct HTTPSDestination: DeliveryDestination {
    public let name: String
    let client: HTTPClient
    /// Builds the request URL for a message (registry: `<base>/v1/buildings/<b>/<kind>`).
    let url: @Sendable (OutboxMessage) -> String
    let secret: [UInt8]
    let timeout: TimeAmount

    public init(name: String, client: HTTPClient, secret: [UInt8], timeout: Duration, url: @escaping @Sendable (OutboxMessage) -> String) {
        self.name = name
        self.client = client
        self.secret = secret
        self.url = url
        let c = timeout.components
        self.timeout = .milliseconds(c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000)
    }

    /// The registry's endpoint: `POST <base>/v1/buildings/<building>/<kind>`.
    public static func registry(name: String = "registry-https", client: HTTPClient, baseURL: String, building: String, secret: [UInt8], timeout: Duration) -> HTTPSDestination {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        return HTTPSDestination(name: name, client: client, secret: secret, timeout: timeout) { m in
            m.topic ?? "\(base)/v1/buildings/\(building)/\(m.kind)"
        }
    }

    public func waitUntilReady(timeout: Duration) async -> Bool { true }

    public func deliver(_ message: OutboxMessage, payload: String) async -> DeliveryOutcome {
        let body = Array(payload.utf8)
        var request = HTTPClientRequest(url: url(message))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: message.messageID)
        request.headers.add(name: "X-RG-Signature", value: Signature.header(secret: secret, body: body))
        request.headers.add(name: "User-Agent", value: "rentguardd")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: timeout)
            let status = response.status.code
            // Read (a bounded part of) the body so the connection can be reused.
            let text = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
            switch status {
            case 200..<300, 409:
                return .delivered
            case 400..<500:
                return .rejected("HTTP \(status): \(text.prefix(200))")
            default:
                return .retry("HTTP \(status): \(text.prefix(200))")
            }
        } catch {
            return .retry("\(error)")
        }
    }
}
