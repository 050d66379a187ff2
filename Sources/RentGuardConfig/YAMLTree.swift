import Yams

/// The composed YAML document, used to point problems at lines and to describe what a
/// key actually holds ("found a string (\"ten\")").
struct YAMLTree {
    let root: Node

    /// The node a path names, and the key node it hangs from (for mapping entries).
    func lookup(_ path: ConfigPath) -> (node: Node, keyNode: Node?)? {
        var current = root
        var keyNode: Node?
        for c in path.components {
            guard let next = YAMLTree.child(of: current, c) else { return nil }
            current = next.node
            keyNode = next.keyNode
        }
        return (current, keyNode)
    }

    func node(at path: ConfigPath) -> Node? { lookup(path)?.node }

    /// The line of the deepest node on `path` that exists: the key's line for a mapping
    /// entry, the item's line for a list element. `nil` for the top level.
    func line(for path: ConfigPath) -> Int? {
        var p = path
        while !p.components.isEmpty {
            if let (node, keyNode) = lookup(p) {
                if case .key = p.components.last!, let keyNode, let m = keyNode.mark { return m.line }
                return node.mark?.line
            }
            p.components.removeLast()
        }
        return nil
    }

    /// The line of `key` itself inside the mapping at `path`.
    func line(ofKey key: String, in path: ConfigPath) -> Int? {
        guard let node = node(at: path), case .mapping(let m) = node else { return line(for: path) }
        return YAMLTree.entry(key, in: m)?.key.mark?.line ?? line(for: path)
    }

    /// Turns a `Decoder` coding path into a `ConfigPath`, telling list indices from keys by
    /// the shape of the document (a dictionary key "101" is not an index).
    func path(fromCodingPath codingPath: [any CodingKey]) -> ConfigPath {
        path(fromSteps: codingPath.map { ($0.stringValue, $0.intValue) })
    }

    /// The same for the `[String]` path of `UnknownConfigKeyError` (list indices appear there
    /// as "Index 3").
    func path(fromStrings strings: [String]) -> ConfigPath {
        path(fromSteps: strings.map { s in
            let digits = s.hasPrefix("Index ") ? String(s.dropFirst(6)) : s
            return (s, Int(digits))
        })
    }

    private func path(fromSteps steps: [(String, Int?)]) -> ConfigPath {
        var result = ConfigPath.root
        var current: Node? = root
        for (name, index) in steps {
            let component: ConfigPath.Component
            if let current, case .sequence = current, let index {
                component = .index(index)
            } else if current == nil, let index, name.hasPrefix("Index ") {
                component = .index(index)
            } else {
                component = .key(name)
            }
            result.components.append(component)
            current = current.flatMap { YAMLTree.child(of: $0, component)?.node }
        }
        return result
    }

    static func child(of node: Node, _ c: ConfigPath.Component) -> (node: Node, keyNode: Node?)? {
        switch (node, c) {
        case (.mapping(let m), .key(let k)):
            return entry(k, in: m).map { ($0.value, $0.key) }
        case (.sequence(let s), .index(let i)):
            return s.indices.contains(i) ? (s[i], nil) : nil
        default:
            return nil
        }
    }

    /// A mapping entry by key, following YAML merge keys (`<<: *defaults`) as the decoder does.
    static func entry(_ key: String, in m: Node.Mapping) -> (key: Node, value: Node)? {
        for pair in m where pair.key.tagName != .merge && pair.key.string == key {
            return pair
        }
        for pair in m where pair.key.tagName == .merge {
            switch pair.value {
            case .mapping(let merged):
                if let e = entry(key, in: merged) { return e }
            case .sequence(let list):
                for case .mapping(let merged) in list {
                    if let e = entry(key, in: merged) { return e }
                }
            default:
                continue
            }
        }
        return nil
    }

    /// What a node holds, for "found …": `a string ("ten")`, `a list`, `an empty value`.
    static func describe(_ node: Node?) -> String {
        guard let node else { return "nothing" }
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let s):
            let text = s.string.count > 40 ? String(s.string.prefix(40)) + "…" : s.string
            switch node.tagName {
            case .null: return "an empty value"
            case .bool: return "a true/false value (\(text))"
            case .int: return "an integer (\(text))"
            case .float: return "a number (\(text))"
            case .timestamp: return "a date (\(text))"
            default: return "a string (\"\(text)\")"
            }
        }
    }
}

extension Node {
    /// The resolved tag's name (`Tag.name` is internal to Yams; its description is the name).
    var tagName: Tag.Name { Tag.Name(rawValue: tag.description) }
}
