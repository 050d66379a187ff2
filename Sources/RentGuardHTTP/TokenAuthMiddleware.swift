import Foundation
import Hummingbird

/// The operations endpoint's token check, in front of every route and of the not-found answer.
///
/// Without a token every request passes (the endpoint then listens on loopback only). With
/// one, a request must present it as `Authorization: Bearer TOKEN` or as the password of
/// `Authorization: Basic base64(USER:TOKEN)` (compared in constant time), or it is refused
/// with 401 and a `WWW-Authenticate` challenge, except on the `open` paths (`/healthz`).
/// The challenge is `Basic` on the `page` paths (the status page), so that a browser asks for
/// the token (any user name, the token as the password) and sends it with the page's own
/// requests, and `Bearer` everywhere else (rentguardctl, Prometheus).
///
/// Paths are compared as the router sees them: their non-empty segments, not percent-decoded
/// (`/healthz/` and `//healthz` are `healthz`, `/` is the empty path).
struct TokenAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    enum Challenge: Equatable, Sendable { case bearer, basic }

    let token: [UInt8]?
    let open: Set<String>
    let page: Set<String>

    /// `open` and `page` are paths such as `/healthz`, `/`, `/status`.
    init(token: String?, open: [String], page: [String]) {
        self.token = token.map { Array($0.utf8) }
        self.open = Set(open.map(Self.key))
        self.page = Set(page.map(Self.key))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token else { return try await next(request, context) }
        let path = Self.key(request.uri.path)
        if open.contains(path) { return try await next(request, context) }
        let given = request.headers[.authorization] ?? ""
        guard let presented = Self.presentedToken(given), Self.constantTimeEqual(presented, token) else {
            var headers = HTTPFields()
            headers[.wwwAuthenticate] =
                page.contains(path) ? "Basic realm=\"rentguardd\", charset=\"UTF-8\"" : "Bearer realm=\"rentguardd\""
            throw OperationsError(
                status: .unauthorized, message: given.isEmpty ? "a bearer token is required" : "invalid token", headers: headers)
        }
        return try await next(request, context)
    }

    /// `/api//v1/` → `api/v1`.
    static func key(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }

    /// The token of `Authorization: Bearer TOKEN`, or the password of `Authorization: Basic
    /// base64(USER:TOKEN)` (what a browser sends for the status page); nil otherwise.
    static func presentedToken(_ header: String) -> [UInt8]? {
        let lower = header.lowercased()
        if lower.hasPrefix("bearer "), header.utf8.count > 7 { return Array(header.utf8.dropFirst(7)) }
        if lower.hasPrefix("basic "), let data = Data(base64Encoded: header.dropFirst(6).trimmingCharacters(in: .whitespaces)),
            case let decoded = [UInt8](data), let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
        {
            let password = Array(decoded[(colon + 1)...])
            return password.isEmpty ? nil : password
        }
        return nil
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return diff == 0
    }
}
