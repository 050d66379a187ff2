import Yams

/// Turns a Yams `YamlError` (the text is not well-formed YAML) into a problem with a line.
enum YAMLSyntaxProblem {
    static func problem(for error: YamlError, yaml: String) -> ConfigError.Problem {
        switch error {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            if problem.contains("another document") {
                return ConfigError.Problem(
                    .root, "a second YAML document starts here ('---'); the whole configuration must be one document",
                    line: mark.line)
            }
            var message = "YAML syntax error: \(problem)"
            if let context {
                message += " (\(context.text), line \(context.mark.line))"
            }
            if lineHasTab(mark.line, in: yaml) || (context.map { lineHasTab($0.mark.line, in: yaml) } ?? false) {
                message += "; indent with spaces, YAML does not allow tabs"
            }
            return ConfigError.Problem(.root, message, line: mark.line)
        case let .reader(problem, offset, _, yaml):
            let line = offset.map { off in yaml.prefix(off).reduce(1) { $1 == "\n" ? $0 + 1 : $0 } }
            return ConfigError.Problem(.root, "the text cannot be read as YAML: \(problem)", line: line)
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            let noun = duplicates.count == 1 ? "key" : "keys"
            let first = context.mark
            if duplicates.count == 1, let again = repeatLine(of: duplicates[0], after: first, in: yaml) {
                return ConfigError.Problem(
                    .root, "duplicate key '\(duplicates[0])' (first at line \(first.line)); each key may appear once in a mapping",
                    line: again)
            }
            return ConfigError.Problem(.root, "duplicate \(noun) \(keys) in the same mapping; each key may appear once", line: first.line)
        case .dataCouldNotBeDecoded:
            return ConfigError.Problem(.root, "the file is not UTF-8 text")
        default:
            return ConfigError.Problem(.root, "YAML error: \(error)")
        }
    }

    /// The line where `key` appears again in the block mapping whose first occurrence of it
    /// is at `first`: the next line indented to the same column that starts with the key,
    /// before the mapping ends (a line indented less). `nil` for flow mappings.
    private static func repeatLine(of key: String, after first: Mark, in yaml: String) -> Int? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line >= 1, first.line <= lines.count else { return nil }
        let column = first.column - 1
        for n in first.line..<lines.count {  // 0-based index n is line n + 1
            let line = lines[n]
            let indent = line.prefix { $0 == " " }.count
            let rest = line.dropFirst(indent)
            if rest.isEmpty || rest.hasPrefix("#") { continue }
            if indent < column { return nil }
            if indent == column, rest.hasPrefix(key) {
                let after = rest.dropFirst(key.count).drop { $0 == " " }
                if after.hasPrefix(":") { return n + 1 }
            }
        }
        return nil
    }

    private static func lineHasTab(_ line: Int, in yaml: String) -> Bool {
        guard line >= 1 else { return false }
        var n = 1
        for l in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if n == line { return l.contains("\t") }
            n += 1
        }
        return false
    }
}
