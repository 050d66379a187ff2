import Foundation

/// The gateway's wall clock in Unix milliseconds. Only the shell reads it; the core gets
/// time as input.
public func wallClockMs() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded())
}
