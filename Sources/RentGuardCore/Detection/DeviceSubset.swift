/// The devices of the kinds a rule judges, numbered densely (0, 1, … in the order of
/// `config.devices`), so that a rule sizes its per-device arrays (parameters, state,
/// windows) for those devices only: in a building of 10,000 devices a charger rule keeps
/// state for its chargers, not for every smoke detector and meter (docs/footprint.md).
///
/// Rules are still called with the engine's slot (a device's index in `config.devices`) and
/// translate it on entry with `index(ofSlot:)`; inside, they work on dense indices. The map
/// keeps the order of `config.devices`, so whatever a rule orders by index (deadline ties,
/// neighbour lists) comes out as before.
struct DeviceSubset: Sendable {
    /// Per slot, its dense index, or -1 for a device of another kind. Empty when every
    /// device is of the rule's kinds (dense index == slot).
    private let denseOfSlot: [Int32]
    /// Per dense index, its slot. Empty when every device is of the rule's kinds.
    private let slotOfDense: [Int32]
    /// How many devices the rule judges.
    let count: Int
    /// How many devices the building has.
    private let slots: Int

    init(_ config: BuildingConfig, kinds: [DeviceKind]) {
        slots = config.devices.count
        var dense = Array(repeating: Int32(-1), count: config.devices.count)
        var back: [Int32] = []
        for (slot, d) in config.devices.enumerated() where kinds.contains(d.kind) {
            dense[slot] = Int32(back.count)
            back.append(Int32(slot))
        }
        count = back.count
        if count == slots {
            denseOfSlot = []
            slotOfDense = []
        } else {
            denseOfSlot = dense
            slotOfDense = back
        }
    }

    /// The dense index of the device in `slot`, or nil when the rule does not judge its kind.
    @inline(__always)
    func index(ofSlot slot: Int) -> Int? {
        guard slot >= 0, slot < slots else { return nil }
        if denseOfSlot.isEmpty { return slot }
        let i = denseOfSlot[slot]
        return i >= 0 ? Int(i) : nil
    }

    /// The slot (index in `config.devices`) of dense index `i`.
    @inline(__always)
    func slot(_ i: Int) -> Int { slotOfDense.isEmpty ? i : Int(slotOfDense[i]) }

    /// One value per judged device, in dense order.
    func map<T>(_ config: BuildingConfig, _ body: (DeviceConfig) throws -> T) rethrows -> [T] {
        var r: [T] = []
        r.reserveCapacity(count)
        for i in 0..<count { r.append(try body(config.devices[slot(i)])) }
        return r
    }
}
