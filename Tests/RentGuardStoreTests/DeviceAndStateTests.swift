import Testing
@testable import RentGuardStore

@Suite("Devices and key-value state")
struct DeviceAndStateTests {
    @Test func devicesUpsertAndList() throws {
        let f = try StoreFixture()
        try f.store.upsertDevices([
            Store.DeviceRow(deviceID: "SD-2", kind: "smoke_detector", lastSeen: 10, online: nil, lastValues: "{}"),
            Store.DeviceRow(deviceID: "CH-1", kind: "charger", lastSeen: 20, online: true, lastValues: "{\"ambient_c\":25}"),
        ])
        try f.store.upsertDevices([
            Store.DeviceRow(deviceID: "SD-2", kind: "smoke_detector", lastSeen: 30, online: false, lastValues: "{\"battery_pct\":80}")
        ])
        #expect(try f.store.devices() == [
            Store.DeviceRow(deviceID: "CH-1", kind: "charger", lastSeen: 20, online: true, lastValues: "{\"ambient_c\":25}"),
            Store.DeviceRow(deviceID: "SD-2", kind: "smoke_detector", lastSeen: 30, online: false, lastValues: "{\"battery_pct\":80}"),
        ])
        try f.store.upsertDevices([])
        #expect(try f.store.devices().count == 2)
    }

    @Test func keyValueState() throws {
        let f = try StoreFixture()
        #expect(try f.store.value(forKey: "engine.snapshot") == nil)
        try f.store.setValue("{\"v\":1}", forKey: "engine.snapshot", at: 100)
        try f.store.setValue("", forKey: "empty", at: 100)
        try f.store.setValue("{\"v\":2}", forKey: "engine.snapshot", at: 200)
        #expect(try f.store.value(forKey: "engine.snapshot") == "{\"v\":2}")
        #expect(try f.store.value(forKey: "empty") == "")
        #expect(try f.count("kv", where: "key = 'engine.snapshot' AND updated_at = 200") == 1)
    }
}
