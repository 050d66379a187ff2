/// A location in the configuration tree, e.g. `devices[3].ports`.
///
/// Kept structured (keys and list indices) so that the loader can find the YAML node it
/// names and report its line; rendered as text for people.
struct ConfigPath: Hashable, Sendable, CustomStringConvertible {
    enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    var components: [Component]

    init(_ components: [Component] = []) { self.components = components }

    static let root = ConfigPath()

    func key(_ name: String) -> ConfigPath { ConfigPath(components + [.key(name)]) }
    func index(_ n: Int) -> ConfigPath { ConfigPath(components + [.index(n)]) }

    /// `devices[3].ports`, `thresholds.smoke_verification.window_s`; empty at the top level.
    var description: String {
        var s = ""
        for c in components {
            switch c {
            case .key(let k):
                if !s.isEmpty { s += "." }
                s += k
            case .index(let n):
                s += "[\(n)]"
            }
        }
        return s
    }
}
