/// Answers of serving lookups (``CacheStore/variants(forKey:includingHits:)`` without hits), kept until the
/// next commit: a key looked up again before anything is written reads no LMDB at all — no SHA-256 of the
/// key, no read transaction, no cursor. Each answer carries the commit count loaded before its read
/// transaction began, and is used only while that is still the count: any commit makes every answer old
/// (hits on a store that is not being written, the hot case, are served from here). Empty answers are not
/// kept (a miss is followed by a fill). Bounded: when full, it starts over (``BoundedTable``).
final class LookupMemo: Sendable {
    private struct Answer: Sendable {
        let commits: UInt64
        let variants: [StoredVariant]
    }

    private let answers: BoundedTable<String, Answer>

    init(capacity: Int = 4096) {
        self.answers = BoundedTable(maxEntries: capacity)
    }

    /// The variants remembered for `primaryKey`, if read under `commits`.
    func variants(forKey primaryKey: String, commits: UInt64) -> [StoredVariant]? {
        guard let answer = self.answers.value(for: primaryKey), answer.commits == commits else { return nil }
        return answer.variants
    }

    /// Remembers a non-empty answer read by a transaction begun after `commits` was loaded.
    func remember(_ variants: [StoredVariant], forKey primaryKey: String, commits: UInt64) {
        guard !variants.isEmpty else { return }
        self.answers.insert(Answer(commits: commits, variants: variants), for: primaryKey)
    }
}
