import Foundation
import RentGuardTesting
import Testing

/// docs/operations.md shows the building broker's configuration; configs/mosquitto.conf is
/// the file everything starts its brokers from. They say the same.
struct BrokerConfigurationDocTests {
    /// `key value` settings of mosquitto.conf text (comments, blank lines and the column of
    /// trailing comments dropped).
    static func settings(_ text: some StringProtocol) -> [String] {
        text.split(separator: "\n").compactMap { line -> String? in
            let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = code.split(separator: " ", omittingEmptySubsequences: true)
            return words.isEmpty ? nil : words.joined(separator: " ")
        }
    }

    @Test func operationsDocShowsTheSharedBrokerConfiguration() throws {
        let file = Self.settings(try String(contentsOfFile: MosquittoBroker.recommendedConfigPath, encoding: .utf8))
        let doc = try String(contentsOfFile: "\(repositoryRoot)/docs/operations.md", encoding: .utf8)
        let section = try #require(doc.range(of: "### The building broker"))
        let rest = doc[section.upperBound...]
        let open = try #require(rest.range(of: "```\n"))
        let close = try #require(rest[open.upperBound...].range(of: "```"))
        let shown = Self.settings(rest[open.upperBound..<close.lowerBound])
        #expect(shown == file, "docs/operations.md shows \(shown), configs/mosquitto.conf has \(file)")
        for needed in ["persistence true", "autosave_on_changes true", "autosave_interval 1", "max_queued_messages 100000", "set_tcp_nodelay true"] {
            #expect(file.contains(needed))
        }
    }

    @Test func testBrokersStartFromTheSharedConfiguration() throws {
        let broker = try MosquittoBroker(persistence: true)
        defer { broker.shutdown() }
        let conf = Self.settings(try String(contentsOfFile: broker.directory.file("mosquitto.conf"), encoding: .utf8))
        let file = Self.settings(try String(contentsOfFile: MosquittoBroker.recommendedConfigPath, encoding: .utf8))
        #expect(Array(conf.prefix(file.count)) == file)
        let volatile = try MosquittoBroker(persistence: false)
        defer { volatile.shutdown() }
        let v = Self.settings(try String(contentsOfFile: volatile.directory.file("mosquitto.conf"), encoding: .utf8))
        #expect(v.contains("max_queued_messages 100000"))
        #expect(v.contains("persistence false"))
        #expect(!v.contains { $0.hasPrefix("autosave") })
    }
}
