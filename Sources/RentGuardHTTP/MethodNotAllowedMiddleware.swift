import Hummingbird

/// 405 with `Allow` for a path the router knows asked with a method it has no route for.
///
/// Hummingbird's router answers such a request as it answers an unknown path (404). Added to
/// the router after every route, this middleware wraps only that not-found answer: when the
/// path matches registered routes' paths, it throws 405 naming the methods registered for them;
/// otherwise the 404 stands.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: [(path: RouterPath, methods: [HTTPRequest.Method])]

    /// The registered routes (`Router.routes`), grouped by path in their order.
    init(routes: [Router<Context>.RouteDescription]) {
        var grouped: [(path: RouterPath, methods: [HTTPRequest.Method])] = []
        for route in routes {
            if let i = grouped.firstIndex(where: { $0.path == route.path }) {
                grouped[i].methods.append(route.method)
            } else {
                grouped.append((route.path, [route.method]))
            }
        }
        self.routes = grouped
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let segments = request.uri.path.split(separator: "/", omittingEmptySubsequences: true)
        let allowed = routes.filter { Self.matches($0.path, segments) }.flatMap(\.methods)
        guard !allowed.isEmpty, !allowed.contains(request.method) else { return try await next(request, context) }
        var headers = HTTPFields()
        headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
        throw OperationsError(status: .methodNotAllowed, message: "\(request.method.rawValue) is not allowed here", headers: headers)
    }

    /// Whether `segments` match `path` component by component (constants equal, captures and
    /// wildcards anything; the operations routes have no recursive wildcard).
    static func matches(_ path: RouterPath, _ segments: [Substring]) -> Bool {
        path.components.count == segments.count && zip(path.components, segments).allSatisfy { $0 ~= $1 }
    }
}
