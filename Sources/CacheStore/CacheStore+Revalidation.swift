/// Revalidation (RFC 9111 §4.3.4): freshening a stored response after a 304.
extension CacheStore {
    /// Replaces the metadata of a stored variant (after a 304 freshened it), keeping its body. The variant is
    /// identified by its primary key, secondary key and body id: if it was replaced, purged or evicted meanwhile,
    /// nothing changes and the call fails with `.notFound`. Commits on the writer; the completion runs there.
    ///
    /// Recency and saved hits stay as they were (call ``recordHit(_:)`` to count the use); the body's
    /// references are untouched. A status outside 100–999 fails with `.invalidRange` at once.
    public func updateMetadata(
        of variant: StoredVariant,
        to metadata: ResponseMetadata,
        completion: @escaping @Sendable (Result<StoredVariant, StoreError>) -> Void
    ) {
        guard (100...999).contains(metadata.status) else {
            completion(.failure(.invalidRange("status \(metadata.status)")))
            return
        }
        if self.context.writer.enqueue(.updateMetadata(variant, metadata, completion)) == nil {
            completion(.failure(.closed))
        }
    }

    /// The same, awaiting the commit.
    public func updateMetadata(
        of variant: StoredVariant,
        to metadata: ResponseMetadata
    ) async throws(StoreError) -> StoredVariant {
        let result = await withCheckedContinuation { continuation in
            self.updateMetadata(of: variant, to: metadata) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }
}
