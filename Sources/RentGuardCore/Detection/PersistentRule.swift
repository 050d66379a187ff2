/// A rule whose learned state is worth keeping across a restart or a reload (baselines,
/// time windows, timers): it hands out the state of one device as a `Codable` value and
/// takes it back. Rules that only remember which alarms they raised need not conform: that
/// is restored from the active alarms (`DetectionRule.restore`).
///
/// The state must not include "I raised an alarm" flags: after the learned state, the engine
/// restores those from the active alarms, which are the truth when the two disagree (a
/// snapshot taken a few minutes before a crash). `restoreDeviceState` gets the device's
/// state from a snapshot taken under the same configuration of that device, at event time
/// `now` or before; a rule with deadlines queues them again (only those still ahead of `now`).
protocol PersistentRule: DetectionRule {
    associatedtype DeviceState: Codable & Sendable
    /// The learned state of the device in `slot`, or nil when there is nothing to keep.
    func deviceState(slot: Int) -> DeviceState?
    mutating func restoreDeviceState(_ state: DeviceState, slot: Int, now: Int64)
    /// Called once after every device's state has been restored, with the snapshot's event time.
    mutating func restored(now: Int64)
}

extension PersistentRule {
    mutating func restored(now: Int64) {}

    func erasedDeviceState(slot: Int) -> (any Codable & Sendable)? { deviceState(slot: slot) }

    mutating func restoreErased(_ state: any Sendable, slot: Int, now: Int64) -> Bool {
        guard let s = state as? DeviceState else { return false }
        restoreDeviceState(s, slot: slot, now: now)
        return true
    }

    static func decodeStates<K: CodingKey>(from c: KeyedDecodingContainer<K>, forKey key: K) throws -> [String: any Codable & Sendable] {
        try c.decode([String: DeviceState].self, forKey: key)
    }
}
