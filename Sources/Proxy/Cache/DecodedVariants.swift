import CachePolicy
import CacheStore
import NIOHTTP1

/// Stored variants as decoded by earlier lookups — header fields, Vary, reuse policy and the serialised
/// head — so a hit on a hot entry does not parse or encode the same fields again (DESIGN: "a hit does not re-parse
/// headers").
///
/// An entry is used only while the variant is unchanged (the same body, request and response times:
/// a replacement or a 304 freshening changes them) and the policy configuration is the same (per-host
/// overrides may differ). Bounded: when full, it starts over (``BoundedTable``).
final class DecodedVariants: Sendable {
    /// One variant's fields, decoded: a reference, so that a lookup takes it out of the table with one retain.
    final class Decoded: Sendable {
        let stored: StoredResponse
        let vary: Vary
        let reuse: ReusePolicy
        /// The head a plain hit writes.
        let head: SerializedHead
        fileprivate let identity: Identity

        fileprivate init(stored: StoredResponse, vary: Vary, reuse: ReusePolicy, head: SerializedHead,
                         identity: Identity) {
            self.stored = stored
            self.vary = vary
            self.reuse = reuse
            self.head = head
            self.identity = identity
        }
    }

    fileprivate struct Identity: Hashable, Sendable {
        var body: BodyID
        var requestTime: Int64
        var responseTime: Int64
        var policy: PolicyConfiguration
    }

    private struct Slot: Hashable, Sendable {
        var primaryKey: String
        var secondaryKey: [UInt8]
    }

    private let entries: BoundedTable<Slot, Decoded>

    init(capacity: Int = 4096) {
        self.entries = BoundedTable(maxEntries: capacity)
    }

    /// The decoded fields of `variant` under `policy`, from an earlier lookup when still valid.
    func decode(_ variant: StoredVariant, policy: PolicyConfiguration) -> Decoded {
        let slot = Slot(primaryKey: variant.primaryKey, secondaryKey: variant.secondaryKey)
        let identity = Identity(
            body: variant.bodyID, requestTime: variant.metadata.requestTime,
            responseTime: variant.metadata.responseTime, policy: policy)
        if let known = self.entries.value(for: slot), known.identity == identity {
            return known
        }
        let metadata = variant.metadata
        let headers = HTTPHeaders(metadata.headers.map { ($0.name, $0.value) })
        let stored = StoredResponse(
            status: HTTPResponseStatus(statusCode: metadata.status), headers: headers,
            requestTime: Instant(milliseconds: metadata.requestTime),
            responseTime: Instant(milliseconds: metadata.responseTime))
        let decoded = Decoded(
            stored: stored, vary: Vary(response: headers), reuse: ReusePolicy(stored, configuration: policy),
            head: SerializedHead(status: stored.status, headers: headers, policy: policy), identity: identity)
        self.entries.insert(decoded, for: slot)
        return decoded
    }
}
