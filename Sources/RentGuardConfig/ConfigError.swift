/// Everything wrong with one configuration file.
///
/// A configuration is checked in full before it is rejected, so one `ConfigError` can
/// hold several problems. `description` gives one line per problem, each naming the
/// file, the line (when known), the key and what is wrong:
///
///     configs/demo.yaml: line 40: devices[3].ports: expected an integer, found a string ("ten")
///     configs/demo.yaml: line 12: YAML syntax error: mapping values are not allowed in this context
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One thing wrong in the file.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// Where, as `section.key[index].key`; empty for the file as a whole.
        public var keyPath: String
        /// What is wrong, in plain words.
        public var message: String
        /// The 1-based line in the YAML file, when known.
        public var line: Int?
        /// The structured path, for finding `line` in the YAML tree.
        var path: ConfigPath?

        public init(keyPath: String, message: String, line: Int? = nil) {
            self.keyPath = keyPath
            self.message = message
            self.line = line
            self.path = nil
        }

        init(_ path: ConfigPath, _ message: String, line: Int? = nil) {
            self.keyPath = path.description
            self.message = message
            self.line = line
            self.path = path
        }

        /// `line 40: devices[3].ports: expected an integer, found a string ("ten")`
        public var description: String {
            var parts: [String] = []
            if let line { parts.append("line \(line)") }
            if !keyPath.isEmpty { parts.append(keyPath) }
            parts.append(message)
            return parts.joined(separator: ": ")
        }

        public static func == (a: Problem, b: Problem) -> Bool {
            a.keyPath == b.keyPath && a.message == b.message && a.line == b.line
        }
    }

    /// The configuration file, as given (e.g. `configs/demo.yaml`).
    public var file: String
    /// All problems found, in file order where lines are known. Never empty.
    public private(set) var problems: [Problem]

    /// An error holding `problems`; an empty list is a programming error, and becomes a
    /// single "invalid configuration" problem.
    public init(file: String, problems: [Problem]) {
        assert(!problems.isEmpty, "a ConfigError needs at least one problem")
        self.file = file
        self.problems = problems.isEmpty ? [Problem(keyPath: "", message: "invalid configuration")] : problems
    }

    public init(file: String, keyPath: String = "", message: String, line: Int? = nil) {
        self.init(file: file, problems: [Problem(keyPath: keyPath, message: message, line: line)])
    }

    /// The first problem's key path.
    public var keyPath: String { problems[0].keyPath }
    /// The first problem's message.
    public var message: String { problems[0].message }
    /// The first problem's line.
    public var line: Int? { problems[0].line }

    /// One line per problem: `FILE: line N: KEY: MESSAGE`.
    public var description: String {
        problems.map { "\(file): \($0)" }.joined(separator: "\n")
    }
}
