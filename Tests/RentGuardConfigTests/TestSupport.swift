import Foundation
import RentGuardConfig
import RentGuardCore
import Testing

/// The package root, found from this file's path (Tests/RentGuardConfigTests/…).
let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A small valid configuration that the error tests change one thing in.
let validYAML = """
    gateway:
      id: gw-test
      building: test
    broker:
      url: mqtt://127.0.0.1:1883
    registry:
      mqtt:
        url: mqtt://127.0.0.1:1883
    units:
      - id: "101"
        area_m2: 45
        registered_occupants: 2
        landlord: wang
        adjacent: ["102"]
      - id: "102"
        area_m2: 14
        complete_flat: false
        registered_occupants: 1
    devices:
      - id: SD-101-1
        kind: smoke_detector
        unit: "101"
        zone: bedroom
      - id: CH-1
        kind: charger
        ports: 10
        rated_port_current_a: 5
        commands: [port_off]
        near: [SD-101-1]
      - id: PM-101
        kind: power_meter
        unit: "101"
        rated_current_a: 40
    landlords:
      - id: wang
        channels:
          - type: mqtt
            topic: landlords/wang/alarms

    """

/// `validYAML` with each `(old, new)` replacement applied; every `old` must occur.
func changed(_ replacements: (String, String)..., sourceLocation: SourceLocation = #_sourceLocation) -> String {
    var s = validYAML
    for (old, new) in replacements {
        #expect(s.contains(old), "test setup: '\(old)' is not in the base YAML", sourceLocation: sourceLocation)
        s = s.replacingOccurrences(of: old, with: new)
    }
    return s
}

/// The error loading `yaml` produces, or nil (recorded as a failure) when it loads.
func loadError(
    _ yaml: String, file: String = "configs/test.yaml", knownThresholds: [String: Set<String>]? = nil,
    checkFiles: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
) -> ConfigError? {
    do {
        _ = try ConfigLoader.parse(yaml: yaml, file: file, knownThresholds: knownThresholds, checkFiles: checkFiles)
        Issue.record("expected the configuration to be rejected", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// The full error text for `yaml` ("" when it unexpectedly loads).
func errorText(
    _ yaml: String, knownThresholds: [String: Set<String>]? = nil, checkFiles: Bool = false,
    sourceLocation: SourceLocation = #_sourceLocation
) -> String {
    loadError(yaml, knownThresholds: knownThresholds, checkFiles: checkFiles, sourceLocation: sourceLocation)?.description ?? ""
}
