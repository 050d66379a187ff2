import Foundation
import RentGuardCore
import RentGuardTesting

#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client over a plain TCP socket (one request per connection), enough
/// to talk to the operations endpoint in tests without another dependency. Reads without
/// blocking a thread of the cooperative pool.
struct TestHTTPResponse {
    var status: Int
    var headers: [String: String]
    var body: String

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    func json() throws -> JSONValue { try JSONParser.parse(body, maxDepth: 64) }
}

func httpRequest(
    _ method: String, port: Int, path: String, headers: [String: String] = [:], body: String? = nil,
    timeout: Duration = .seconds(10)
) async throws -> TestHTTPResponse {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw TestingError("socket: errno \(errno)") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else { throw TestingError("connect 127.0.0.1:\(port): errno \(errno)") }
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)

    var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    for (k, v) in headers { request += "\(k): \(v)\r\n" }
    let bodyBytes = Array((body ?? "").utf8)
    if body != nil || method == "POST" { request += "Content-Length: \(bodyBytes.count)\r\n" }
    request += "\r\n"
    let out = Array(request.utf8) + bodyBytes
    let deadline = ContinuousClock.now + timeout
    var sent = 0
    while sent < out.count {
        let n = out[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n > 0 { sent += n; continue }
        guard errno == EAGAIN || errno == EWOULDBLOCK, ContinuousClock.now < deadline else { throw TestingError("send: errno \(errno)") }
        try await Task.sleep(for: .milliseconds(2))
    }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n > 0 {
            received += buffer[0..<n]
            continue
        }
        if n == 0 { break }
        guard errno == EAGAIN || errno == EWOULDBLOCK else { throw TestingError("recv: errno \(errno)") }
        guard ContinuousClock.now < deadline else { throw TestingError("timed out waiting for \(method) \(path)") }
        try await Task.sleep(for: .milliseconds(2))
    }
    return try parseResponse(received)
}

func parseResponse(_ bytes: [UInt8]) throws -> TestHTTPResponse {
    let separator: [UInt8] = [13, 10, 13, 10]
    guard let headEnd = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
        throw TestingError("incomplete HTTP response: \(String(decoding: bytes, as: UTF8.self))")
    }
    let head = String(decoding: bytes[0..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
    let statusParts = head[0].split(separator: " ")
    guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestingError("bad status line \(head[0])") }
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    var body = Array(bytes[(headEnd + 4)...])
    if headers["transfer-encoding"]?.lowercased() == "chunked" {
        var decoded: [UInt8] = []
        var i = 0
        while i < body.count {
            guard let lineEnd = (i..<body.count - 1).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }) else { break }
            let sizeText = String(decoding: body[i..<lineEnd], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText, radix: 16), size > 0 else { break }
            decoded += body[(lineEnd + 2)..<(lineEnd + 2 + size)]
            i = lineEnd + 2 + size + 2
        }
        body = decoded
    }
    return TestHTTPResponse(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
}
