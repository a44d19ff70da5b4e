/// Variants: completing a fill, replacing and removing variants, recency.
extension Mutation {
    /// What `finish` hands the writer: the last partial chunk and the body's identity.
    struct Completion {
        var tail: [UInt8]
        var digest: Digest
        var size: Int64
        var chunkCount: UInt32
    }

    /// Commits a fill's last chunk, its body (or a reference to an identical existing body) and its
    /// variant record — all in this one transaction, which is what makes the variant servable.
    mutating func complete(_ fill: FillState, _ completion: Completion) throws(StoreError) -> StoredVariant {
        if !completion.tail.isEmpty {
            try self.writeChunk(fill.bodyID, completion.chunkCount - 1, completion.tail)
        }
        let begunHere = self.begunAndFinishing.contains(fill.bodyID)
        guard var own = begunHere ? BodyRecord.filling() : try self.body(fill.bodyID), own.state == .filling else {
            throw .integrity("\(fill.bodyID) is not filling at finish")
        }
        var bodyID = fill.bodyID
        if let existing = try self.existingBody(for: completion) {
            var record = existing.record
            record.references += 1
            try self.putBody(existing.id, record)
            bodyID = existing.id
            try self.dispose(fill.bodyID, own)
            self.counters.add(.deduplicatedFills, 1)
        } else {
            own.state = .complete
            own.references = 1
            own.size = completion.size
            own.chunkCount = completion.chunkCount
            own.digest = completion.digest
            try self.putBody(fill.bodyID, own)
            if completion.size >= Self.smallestDeduplicatedBody {
                try self.txn.put(self.db.digests, completion.digest.bytes, Keys.body(fill.bodyID))
            }
            if !begunHere { try self.txn.delete(self.db.pending, Keys.body(fill.bodyID)) }
            self.counters.add(.pendingBytes, -completion.size)
            self.counters.add(.physicalBytes, completion.size)
            self.counters.add(.bodies, 1)
        }
        let record = VariantRecord(
            primaryKey: fill.primaryKey,
            secondaryKey: fill.secondaryKey,
            metadata: fill.metadata,
            bodyID: bodyID,
            bodySize: completion.size,
            digest: completion.digest
        )
        try self.putVariant(record)
        self.counters.add(.fillsCompleted, 1)
        return StoredVariant(record: record, hits: 0)
    }

    private func existingBody(for completion: Completion) throws(StoreError) -> (id: BodyID, record: BodyRecord)? {
        guard completion.size >= Self.smallestDeduplicatedBody,
            let mapped = try self.txn.get(self.db.digests, completion.digest.bytes)
        else { return nil }
        let id = try Keys.bodyID(from: mapped)
        guard let record = try self.body(id), record.state == .complete, record.size == completion.size else {
            return nil
        }
        return (id, record)
    }

    /// Stores a variant, replacing the one with the same keys, as the most recently used: its tick goes in the
    /// record and the `lru` order (a `recency` entry waits for its first saved hit).
    mutating func putVariant(_ record: VariantRecord) throws(StoreError) {
        var record = record
        record.tick = self.recency.tick()
        let primary = Keys.primaryHash(record.primaryKey)
        let key = Keys.variant(primary: primary, secondary: record.secondaryKey)
        let encoded = record.encoded()
        if let old = try self.txn.insert(self.db.variants, key, encoded) {
            try self.removeEntries(key, old)
            try self.txn.put(self.db.variants, key, encoded)
        } else {
            // The key's first variant indexes it (its others have indexed it already).
            let index = Keys.index(text: record.primaryKey, primaryHash: primary)
            if try self.txn.insert(self.db.keys, index, []) == nil {
                self.counters.add(.objects, 1)
                self.counters.add(.metadataBytes, Int64(index.count + Self.objectOverhead))
            }
        }
        self.counters.add(.variants, 1)
        self.counters.add(.logicalBytes, record.bodySize)
        self.counters.add(.metadataBytes, Int64(encoded.count + Self.variantOverhead))
        try self.txn.putInKeyOrder(self.db.lru, Keys.lru(tick: record.tick, variant: key), [])
    }

    /// Removes a variant and, if it was the key's last, the key; returns false if it was not there.
    @discardableResult
    mutating func removeVariant(_ key: [UInt8]) throws(StoreError) -> Bool {
        guard let bytes = try self.txn.get(self.db.variants, key) else { return false }
        let primaryKey = try self.removeEntries(key, bytes)
        let primary = Array(key.prefix(32))
        if try !self.hasVariants(primary) {
            let index = Keys.index(text: primaryKey ?? "", primaryHash: primary)
            if primaryKey != nil, try self.txn.delete(self.db.keys, index) {
                self.counters.add(.metadataBytes, -Int64(index.count + Self.objectOverhead))
            }
            self.counters.add(.objects, -1)
        }
        return true
    }

    /// Deletes a variant's record and recency, and drops its body reference. Returns its primary key
    /// text (nil if the record could not be decoded; it is deleted all the same).
    @discardableResult
    private mutating func removeEntries(_ key: [UInt8], _ bytes: UnsafeRawBufferPointer) throws(StoreError) -> String? {
        let size = bytes.count
        let record = try? VariantRecord(decoding: bytes)
        try self.removePlace(key, storedTick: record?.tick ?? 0)
        try self.txn.delete(self.db.variants, key)
        self.counters.add(.variants, -1)
        self.counters.add(.metadataBytes, -Int64(size + Self.variantOverhead))
        guard let record else { return nil }
        self.counters.add(.logicalBytes, -record.bodySize)
        try self.dereference(record.bodyID)
        return record.primaryKey
    }

    /// Whether any variant of this primary key hash exists.
    func hasVariants(_ primary: [UInt8]) throws(StoreError) -> Bool {
        try self.txn.withCursor(self.db.variants) { (cursor) throws(StoreError) -> Bool in
            guard let entry = try cursor.seek(atOrAfter: primary) else { return false }
            return entry.key.starts(with: primary)
        }
    }

    /// Variant keys of one primary key hash.
    func variantKeys(of primary: [UInt8]) throws(StoreError) -> [[UInt8]] {
        var keys: [[UInt8]] = []
        try self.txn.withCursor(self.db.variants) { (cursor) throws(StoreError) in
            try cursor.forEach(withPrefix: primary) { entry in
                keys.append(Array(entry.key))
                return true
            }
        }
        return keys
    }

    // MARK: Recency

    func recencyValue(_ key: [UInt8]) throws(StoreError) -> Recency.Touch? {
        try self.txn.recency(of: key, self.db)
    }

    /// Deletes a variant's place in the LRU order and its saved hits (`storedTick`: its record's
    /// ``VariantRecord/tick``).
    private func removePlace(_ key: [UInt8], storedTick: UInt64) throws(StoreError) {
        let saved = try self.recencyValue(key)
        try self.txn.delete(self.db.lru, Keys.lru(tick: saved?.tick ?? storedTick, variant: key))
        if saved != nil { try self.txn.delete(self.db.recency, key) }
    }

    /// Saves hits recorded in memory: moves each variant to its new place in the LRU order.
    mutating func apply(_ touches: [[UInt8]: Recency.Touch]) throws(StoreError) {
        for (key, touch) in touches {
            guard let record = try self.txn.get(self.db.variants, key) else { continue }
            let storedTick = try VariantRecord.tick(ofEncoded: record)
            let saved = try self.recencyValue(key)
            let place = saved?.tick ?? storedTick
            let tick = max(touch.tick, place)
            var value = RecordWriter(capacity: 16)
            value.write(tick)
            value.write((saved?.hits ?? 0) + touch.hits)
            try self.txn.put(self.db.recency, key, value.bytes)
            if tick != place {
                try self.txn.delete(self.db.lru, Keys.lru(tick: place, variant: key))
                try self.txn.putInKeyOrder(self.db.lru, Keys.lru(tick: tick, variant: key), [])
            }
            self.counters.add(.hits, Int64(touch.hits))
        }
    }
}

extension StoredVariant {
    init(record: VariantRecord, hits: UInt64) {
        self.init(
            primaryKey: record.primaryKey,
            secondaryKey: record.secondaryKey,
            metadata: record.metadata,
            bodyID: record.bodyID,
            digest: record.digest,
            bodySize: record.bodySize,
            hits: hits
        )
    }
}
