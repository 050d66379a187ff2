import Foundation
import RentGuardConfig
import RentGuardCore
import Testing

/// Issue 27 item 7: YAML aliases and merge keys cannot make the loader expand a small file
/// into millions of nodes (a 335-byte file nesting `<<: [*a, *a, …]` five levels deep took
/// 5.2 s and about 900 MB, in Yams' merge expansion reached from the unknown-key check).
@Suite struct AliasExpansionTests {
    /// Anchors defined under `thresholds`, each level merging the one before `fanOut` times;
    /// `gateway` merges the last level.
    static func mergeBomb(levels: Int, fanOut: Int) -> String {
        let names = Array("abcdefghij").map(String.init)
        var lines = ["thresholds:", "  a: &a {x: 1, y: 2}"]
        for level in 1..<levels {
            let refs = Array(repeating: "*\(names[level - 1])", count: fanOut).joined(separator: ",")
            lines.append("  \(names[level]): &\(names[level]) {<<: [\(refs)]}")
        }
        let refs = Array(repeating: "*\(names[levels - 1])", count: fanOut).joined(separator: ",")
        lines.append("gateway: {<<: [\(refs)], id: g, building: b}")
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func nestedMergeKeysAreRefusedWithTheirLineAndColumn() throws {
        let yaml = Self.mergeBomb(levels: 5, fanOut: 10)
        #expect(yaml.utf8.count < 340, "the issue's file was 335 bytes; this one \(yaml.utf8.count)")
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml, file: "bomb.yaml") }
        let e = try #require(error)
        #expect(e.problems.count == 1)
        #expect(e.message.contains("aliases and merge keys"), "\(e)")
        // The first place that expands too much: the fifth level's merge list (line 6,
        // "  e: &e {<<: [", its '[' in column 14), which the thresholds decoder would flatten.
        #expect(e.line == 6, "\(e)")
        #expect(e.message.contains("line 6, column 14"), "\(e)")
    }

    /// The same shape built from aliases in lists (no merge keys): a list of lists of lists.
    @Test func nestedAliasListsAreRefusedToo() throws {
        var lines = ["thresholds:", "  l0: &l0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
        for level in 1..<6 {
            lines.append("  l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        lines.append("gateway: {id: gw, building: b, extra: *l5}")
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml: lines.joined(separator: "\n"), file: "bomb.yaml") }
        #expect(error?.message.contains("aliases and merge keys") == true, "\(String(describing: error))")
    }

    /// A defaults mapping merged into every device of a large building is ordinary use.
    @Test func aSharedDefaultsMappingMergedIntoTwoThousandDevicesLoads() throws {
        // The first device carries the anchor; 1,999 more merge it and add their own id.
        let yaml = changed((
            "  - id: SD-101-1\n    kind: smoke_detector\n    unit: \"101\"\n    zone: bedroom\n",
            "  - &d\n    id: SD-101-1\n    kind: smoke_detector\n    unit: \"101\"\n    zone: bedroom\n"
                + (2...2000).map { "  - {<<: *d, id: SD-\($0)}\n" }.joined()))
        let config = try ConfigLoader.parse(yaml: yaml, file: "big.yaml")
        #expect(config.devices.count == 2002)
        #expect(config.devices.last?.id == "PM-101")
        #expect(config.devices[1].id == "SD-2" && config.devices[1].kind == .smokeDetector)
    }
}
