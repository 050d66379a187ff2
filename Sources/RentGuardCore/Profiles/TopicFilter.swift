/// MQTT topic filters (`+` one level, `#` the rest), for routing profile devices' topics.
public enum TopicFilter {
    public static func matches(_ filter: String, _ topic: String) -> Bool {
        let f = filter.split(separator: "/", omittingEmptySubsequences: false)
        let t = topic.split(separator: "/", omittingEmptySubsequences: false)
        var i = 0
        while i < f.count {
            if f[i] == "#" { return true }
            guard i < t.count else { return false }
            if f[i] != "+", f[i] != t[i] { return false }
            i += 1
        }
        return i == t.count
    }

    public static func hasWildcard(_ filter: String) -> Bool {
        filter.contains("+") || filter.contains("#")
    }

    /// A topic a device may be configured with: not empty, no wildcards, no NUL, at most 256 bytes.
    public static func isValidTopic(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 256 && !hasWildcard(s) && !s.utf8.contains(0)
    }
}
