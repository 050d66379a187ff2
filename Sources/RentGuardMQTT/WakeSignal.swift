import Glibc

/// A self-pipe that wakes the network thread's `poll` when another thread has queued a
/// packet (a publish, a subscribe), so it goes out at once rather than at the next timeout.
final class WakeSignal: Sendable {
    let fd: Int32
    let writeFD: Int32

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw MQTTError.invalidArgument("pipe failed: \(String(cString: strerror(errno)))") }
        for f in fds {
            _ = fcntl(f, F_SETFL, fcntl(f, F_GETFL) | O_NONBLOCK)
            _ = fcntl(f, F_SETFD, FD_CLOEXEC)
        }
        fd = fds[0]
        writeFD = fds[1]
    }

    deinit {
        close(fd)
        close(writeFD)
    }

    /// A full pipe already means "wake up": a failed write is fine.
    func signal() {
        var one: UInt8 = 1
        _ = write(writeFD, &one, 1)
    }

    /// Clears the signal (network thread).
    func drain() {
        var bytes = [UInt8](repeating: 0, count: 256)
        while read(fd, &bytes, bytes.count) > 0 {}
    }
}
