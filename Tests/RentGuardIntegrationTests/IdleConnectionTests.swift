import AsyncHTTPClient
import Foundation
import NIOCore
import RentGuardCore
import RentGuardMQTT
import RentGuardStore
import RentGuardTesting
import Testing

/// Issue 11 item 5: idle TCP connections must not block the operations endpoint.
@Suite(.serialized)
struct IdleConnectionTests {
    typealias H = HardeningTests

    // MARK: 5. Idle connections

    /// Opens a TCP connection to 127.0.0.1:`port` and sends nothing.
    static func idleConnection(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestingError("socket: \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { close(fd); throw TestingError("connect: \(errno)") }
        return fd
    }

    /// Whether the server has closed `fd` (a read returns 0 or an error other than EAGAIN).
    static func closedByPeer(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// 48 connections that send nothing used to block /healthz, /metrics and the API for
    /// 60–72 s (32 connections at most, 60 s idle timeout). Now the endpoints answer at once
    /// and the silent connections are closed after the 5 s idle/header timeout.
    @Test func idleConnectionsDoNotBlockTheHealthEndpoints() async throws {
        let f = try await DaemonFixture()
        defer { Task { await f.shutdown() } }
        try await f.startDaemon()
        let idle = try (0..<48).map { _ in try Self.idleConnection(port: f.httpPort) }
        defer { for fd in idle { close(fd) } }
        // Well inside the idle timeout: these must be answered by spare capacity, not by
        // idle connections being closed.
        let started = ContinuousClock.now
        #expect(try await H.get(f.httpURL + "/healthz", timeout: .seconds(2)).status == 200)
        #expect(try await H.get(f.httpURL + "/metrics", timeout: .seconds(2)).status == 200)
        #expect(try await H.get(f.httpURL + "/api/v1/status", timeout: .seconds(2)).status == 200)
        print("[idle connections] /healthz, /metrics and /api/v1/status answered in \(ContinuousClock.now - started) with 48 idle connections open")
        // A client trickling a request head without finishing it is cut off too.
        let slow = try Self.idleConnection(port: f.httpPort)
        defer { close(slow) }
        _ = "GET /healthz HTTP/1.1\r\nHost: x\r\n".withCString { send(slow, $0, strlen($0), 0) }
        let closedAll = await H.waitUntil(timeout: .seconds(20)) { idle.allSatisfy(Self.closedByPeer) && Self.closedByPeer(slow) }
        print("[idle connections] silent connections closed by the server after \(ContinuousClock.now - started)")
        #expect(closedAll, "the server must close connections that send no complete request")
    }
}
