import Hummingbird

/// A request the operations endpoint refuses: its status, the message of the JSON body
/// `{"error": "…"}` and any headers the status calls for (`Allow` with 405,
/// `WWW-Authenticate` with 401).
struct OperationsError: HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    var headers: HTTPFields = [:]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        response
    }

    var response: Response {
        Response.json(status, .object([("error", .string(message))]), headers: headers)
    }
}
