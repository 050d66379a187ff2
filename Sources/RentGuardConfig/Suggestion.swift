import RentGuardCore
/// "Did you mean …?" for misspelt names.
enum Suggestion {
    /// The candidate closest to `word`, if it is close enough to be a plausible typo (the
    /// rule of `UnknownConfigKeyError` in RentGuardCore, but never for a word that would
    /// have to be rewritten entirely), or else the only candidate that extends it
    /// (`smoke` → `smoke_detector`).
    static func closest(to word: String, among candidates: some Sequence<String>) -> String? {
        var best: (String, Int)?
        var extensions: [String] = []
        for c in candidates {
            let d = editDistance(c, word)
            if best == nil || d < best!.1 || (d == best!.1 && c < best!.0) { best = (c, d) }
            if word.count >= 3, c.hasPrefix(word) { extensions.append(c) }
        }
        if let best, best.1 <= max(2, word.count / 3), best.1 < word.count { return best.0 }
        return extensions.count == 1 ? extensions[0] : nil
    }

    /// ` (did you mean 'x'?)` or the empty string.
    static func didYouMean(_ word: String, among candidates: some Sequence<String>) -> String {
        closest(to: word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        RentGuardCore.editDistance(a, b)
    }
}
