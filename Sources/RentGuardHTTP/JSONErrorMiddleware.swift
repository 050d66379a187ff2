import Hummingbird
import Logging

/// Turns whatever a route throws into a JSON error body `{"error": "…"}` with its status:
/// an `OperationsError` as it says; the router's own 404 (no route took the request) as
/// "no such endpoint: PATH"; any other `HTTPError` with its status; `APIRequestError` 400;
/// `LedgerUnavailable` 501; any other error 500, logged. Added first, it wraps every route,
/// the other middlewares and the not-found answer.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as OperationsError {
            return e.response
        } catch let e as APIRequestError {
            return OperationsError(status: .badRequest, message: e.message).response
        } catch let e as LedgerUnavailable {
            return OperationsError(status: .notImplemented, message: e.description).response
        } catch let e as HTTPError where e.status == .notFound {
            return OperationsError(status: .notFound, message: "no such endpoint: \(request.uri.path)", headers: e.headers).response
        } catch let e as HTTPError {
            return OperationsError(status: e.status, message: e.body ?? e.status.reasonPhrase, headers: e.headers).response
        } catch {
            logger.error("operations request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return OperationsError(status: .internalServerError, message: "internal error: \(error)").response
        }
    }
}
