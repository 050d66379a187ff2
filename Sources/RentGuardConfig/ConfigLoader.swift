import Foundation
import RentGuardCore
import Yams

/// Loads a building configuration from YAML: parse, decode strictly (unknown keys are
/// errors), then validate (`ConfigValidator`). Any problem becomes a `ConfigError` that
/// names the file, the line and the key.
///
/// Relative paths inside the configuration (`storage.state_dir`, `password_file`, TLS
/// files) are used as written, so they are relative to the daemon's current directory.
public enum ConfigLoader {
    /// Reads and loads the configuration file at `path`.
    ///
    /// - Parameters:
    ///   - knownThresholds: rule id → parameter names of the detection rules; when given,
    ///     threshold overrides are checked against it.
    ///   - checkFiles: also check that `password_file` and TLS files exist and are readable.
    public static func load(
        path: String, knownThresholds: [String: Set<String>]? = nil, checkFiles: Bool = false
    ) throws(ConfigError) -> BuildingConfig {
        let yaml = try read(path: path)
        return try parse(yaml: yaml, file: path, knownThresholds: knownThresholds, checkFiles: checkFiles)
    }

    /// Loads a configuration from YAML text; `file` names it in error messages.
    public static func parse(
        yaml: String, file: String, knownThresholds: [String: Set<String>]? = nil, checkFiles: Bool = false
    ) throws(ConfigError) -> BuildingConfig {
        func fail(_ problem: ConfigError.Problem) -> ConfigError { ConfigError(file: file, problems: [problem]) }

        // 1. Well-formed YAML.
        let composed: Node?
        do {
            composed = try Yams.compose(yaml: yaml)
        } catch let e as YamlError {
            throw fail(YAMLSyntaxProblem.problem(for: e, yaml: yaml))
        } catch {
            throw fail(ConfigError.Problem(.root, "YAML error: \(error)"))
        }
        guard let root = composed, !(root.scalar.map { $0.string.isEmpty || root.tagName == .null } ?? false) else {
            throw fail(ConfigError.Problem(
                .root, "the file is empty; a configuration needs at least a 'gateway:' section with 'id' and 'building'"))
        }
        // Aliases and merge keys bounded before anything walks their copies.
        if let problem = YAMLExpansionLimit.problem(root, maxCopies: YAMLExpansionLimit.maxCopies(bytes: yaml.utf8.count)) {
            throw fail(problem)
        }
        let tree = YAMLTree(root: root)
        guard case .mapping = root else {
            throw fail(ConfigError.Problem(
                .root, "expected a mapping of sections (gateway:, broker:, units:, devices:, …) at the top level, found \(YAMLTree.describe(root))",
                line: root.mark?.line))
        }

        // 2. The right keys and types.
        var config: BuildingConfig
        do {
            config = try YAMLDecoder().decode(BuildingConfig.self, from: root)
        } catch {
            throw fail(DecodingProblem.problem(for: error, in: tree))
        }

        // 3. Meaningful values and references; the time zone from the system's zone files.
        var problems = ConfigValidator.validate(config, knownThresholds: knownThresholds, checkFiles: checkFiles)
        if let problem = resolveTimeZone(&config) { problems.insert(problem, at: 0) }
        guard !problems.isEmpty else { return config }
        for i in problems.indices {
            if problems[i].line == nil, let path = problems[i].path {
                problems[i].line = tree.line(for: path)
            }
        }
        // File order; problems without a line (whole sections) first. The sort is stable.
        problems = problems.enumerated().sorted { a, b in
            let la = a.element.line ?? 0, lb = b.element.line ?? 0
            return la != lb ? la < lb : a.offset < b.offset
        }.map(\.element)
        throw ConfigError(file: file, problems: problems)
    }

    static func read(path: String) throws(ConfigError) -> String {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
            let whereFrom = path.hasPrefix("/") ? "" : " (relative to the current directory, \(fm.currentDirectoryPath))"
            throw ConfigError(file: path, message: "cannot read the configuration: no such file\(whereFrom)")
        }
        guard !isDir.boolValue else {
            throw ConfigError(file: path, message: "cannot read the configuration: this is a directory, not a file")
        }
        guard fm.isReadableFile(atPath: path), let data = fm.contents(atPath: path) else {
            throw ConfigError(file: path, message: "cannot read the configuration: permission denied")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, message: "the file is not UTF-8 text")
        }
        return text
    }
}
