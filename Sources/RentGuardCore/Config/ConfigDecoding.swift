/// Helpers that make configuration decoding strict: unknown keys are errors (a typo in
/// a threshold name must not silently fall back to the default).
public struct AnyCodingKey: CodingKey, Hashable, Sendable {
    public var stringValue: String
    public var intValue: Int?
    public init(stringValue: String) { self.stringValue = stringValue }
    public init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
    public init(_ s: String) { self.stringValue = s }
}

/// Thrown when a configuration section has a key it does not know.
public struct UnknownConfigKeyError: Error, Sendable, CustomStringConvertible {
    public var path: [String]
    public var key: String
    public var known: [String]
    public var description: String {
        let suggestion = known.min(by: { editDistance($0, key) < editDistance($1, key) })
        var s = "unknown key '\(key)'"
        if let suggestion, editDistance(suggestion, key) <= max(2, key.count / 3) {
            s += " (did you mean '\(suggestion)'?)"
        }
        s += "; known keys: " + known.sorted().joined(separator: ", ")
        return s
    }
}

extension Decoder {
    /// Throws `UnknownConfigKeyError` when the mapping at this level has keys outside `known`.
    public func rejectUnknownKeys(_ known: [String]) throws {
        let c = try container(keyedBy: AnyCodingKey.self)
        let knownSet = Set(known)
        for k in c.allKeys where !knownSet.contains(k.stringValue) {
            throw UnknownConfigKeyError(path: codingPath.map(\.stringValue), key: k.stringValue, known: known)
        }
    }
}

/// Levenshtein distance, for "did you mean" suggestions in configuration and scenario errors.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = prev
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}
