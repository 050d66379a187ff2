import Yams

/// Bounds what YAML aliases (`*a`) and merge keys (`<<: [*a, *a, …]`) expand to, before the
/// decoder sees the document.
///
/// Yams composes an alias as a shared copy of its anchor's node, which costs nothing, but the
/// decoder walks every copy, and it flattens merge keys again at each mapping it reads (the
/// unknown-key check and the keyed container each ask for the flattened mapping). Aliases
/// nested a few levels deep therefore expand exponentially: a 335-byte file nesting
/// `<<: [*a, *a, …]` five levels deep took 5.2 s and about 900 MB to load (issue 27 item 7).
///
/// The check walks the composed document in file order and counts the nodes that aliases
/// copy (merged mappings included: a merge key's value is an alias), stopping at the limit,
/// so the walk itself is bounded. Written nodes are free: a configuration without aliases
/// is never refused. The decoder's cost grows with the copies (about 13 µs each in a debug
/// build: 0.79 s for the four-level shape, 8.5 s for five levels); the limit, 20,000 plus
/// 2 per byte of the file, keeps a small file under about 0.3 s and lets a defaults mapping
/// of 20 keys be merged into each of 2,000 devices.
enum YAMLExpansionLimit {
    /// Copied nodes allowed whatever the file's size: room for a shared defaults mapping
    /// merged into every device of a large building.
    static let baseCopies = 20_000
    /// Copied nodes allowed per byte of the file, on top of `baseCopies`.
    static let copiesPerByte = 2

    /// The copies a file of `bytes` bytes may expand to.
    static func maxCopies(bytes: Int) -> Int { baseCopies + copiesPerByte * bytes }

    /// The problem, with the line and column of the written alias or merge key whose
    /// expansion passed the limit, or nil when the document stays within it.
    static func problem(_ root: Node, maxCopies: Int) -> ConfigError.Problem? {
        var walk = Walk(limit: maxCopies)
        guard !walk.visit(root, site: nil) else { return nil }
        let place = walk.overflowSite.map { "line \($0.line), column \($0.column)" } ?? "the document"
        return ConfigError.Problem(
            .root,
            "YAML aliases and merge keys ('<<') expand to more than \(maxCopies) copied nodes (at \(place)); "
                + "the configuration is refused rather than expanded. Write repeated parts out, or nest aliases and merges less deeply",
            line: walk.overflowSite?.line)
    }

    /// Walks the document in file order. A node whose mark lies before the furthest place
    /// met so far is an alias's copy of a node anchored earlier (Yams resolves an alias to
    /// its anchor's node, mark included); everything under it is counted as a copy.
    private struct Walk {
        let limit: Int
        var copies = 0
        var furthest = (line: 0, column: 0)
        var overflowSite: Mark?

        init(limit: Int) { self.limit = limit }

        /// Counts what `node` brings; false once past the limit. `site` is the written
        /// place a copy is expanded at (nil outside copies).
        mutating func visit(_ node: Node, site: Mark?) -> Bool {
            var site = site
            if site == nil, let m = node.mark {
                if (m.line, m.column) >= furthest {
                    furthest = (m.line, m.column)
                } else {
                    site = lastWritten ?? m
                }
            }
            if site != nil {
                copies += 1
                if copies > limit {
                    overflowSite = site
                    return false
                }
            } else {
                lastWritten = node.mark
            }
            switch node {
            case .scalar, .alias:
                return true
            case .sequence(let s):
                for item in s where !visit(item, site: site) { return false }
                return true
            case .mapping(let m):
                for pair in m {
                    guard visit(pair.key, site: site), visit(pair.value, site: site) else { return false }
                }
                return true
            }
        }

        /// The last written (not copied) node met: the key (`<<`, `name:`) or the list an
        /// alias's copy hangs from.
        var lastWritten: Mark?
    }
}
