/// The benches' command line: `--name value` integers and repeatable `--env NAME=VALUE`
/// (a variable for the daemon under test only).
public enum BenchArguments {
    /// The integer after `name`, or `defaultValue`.
    public static func int(_ name: String, _ defaultValue: Int, arguments: [String] = CommandLine.arguments) -> Int {
        if let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) { return v }
        return defaultValue
    }

    /// Every `--env NAME=VALUE`.
    public static func environment(arguments: [String] = CommandLine.arguments) -> [String: String] {
        var env: [String: String] = [:]
        for (i, a) in arguments.enumerated() where a == "--env" && i + 1 < arguments.count {
            let pair = arguments[i + 1].split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { env[pair[0]] = pair[1] }
        }
        return env
    }
}
