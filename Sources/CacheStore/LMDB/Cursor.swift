import CLMDB

/// A position in one database, valid inside `Transaction.withCursor`.
struct Cursor {
    typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    let handle: OpaquePointer

    /// The first entry whose key is at or after `key` (LMDB's `MDB_SET_RANGE`).
    func seek(atOrAfter key: [UInt8]) throws(StoreError) -> Entry? {
        var value = MDB_val()
        var found = MDB_val()
        let code = key.withUnsafeBytes { keyBytes in
            var keyValue = MDB_val(keyBytes)
            let code = mdb_cursor_get(self.handle, &keyValue, &value, MDB_SET_RANGE)
            found = keyValue
            return code
        }
        return try Self.entry(code, found, value, "MDB_SET_RANGE")
    }

    func first() throws(StoreError) -> Entry? { try self.move(MDB_FIRST, "MDB_FIRST") }

    func next() throws(StoreError) -> Entry? { try self.move(MDB_NEXT, "MDB_NEXT") }

    /// Deletes the entry under the cursor; a following `next()` yields the entry that followed it
    /// (LMDB marks the cursor so `MDB_NEXT` does not skip one).
    func deleteCurrent() throws(StoreError) {
        let code = mdb_cursor_del(self.handle, 0)
        guard code == 0 else { throw .lmdb(code, "mdb_cursor_del") }
    }

    /// Every entry whose key starts with `prefix`, in key order; `body` returns false to stop.
    func forEach(
        withPrefix prefix: [UInt8],
        _ body: (Entry) throws(StoreError) -> Bool
    ) throws(StoreError) {
        var entry = try prefix.isEmpty ? self.first() : self.seek(atOrAfter: prefix)
        while let current = entry, current.key.starts(with: prefix) {
            guard try body(current) else { return }
            entry = try self.next()
        }
    }

    /// Deletes every entry whose key starts with `prefix`; `visit` sees each before it goes.
    func deleteAll(
        withPrefix prefix: [UInt8],
        _ visit: (Entry) throws(StoreError) -> Void = { _ in }
    ) throws(StoreError) {
        var entry = try self.seek(atOrAfter: prefix)
        while let current = entry, current.key.starts(with: prefix) {
            try visit(current)
            try self.deleteCurrent()
            entry = try self.next()
        }
    }

    private func move(_ op: MDB_cursor_op, _ name: String) throws(StoreError) -> Entry? {
        var key = MDB_val()
        var value = MDB_val()
        let code = mdb_cursor_get(self.handle, &key, &value, op)
        return try Self.entry(code, key, value, name)
    }

    private static func entry(_ code: Int32, _ key: MDB_val, _ value: MDB_val, _ name: String) throws(StoreError)
        -> Entry?
    {
        if code == MDB_NOTFOUND { return nil }
        guard code == 0 else { throw .lmdb(code, "mdb_cursor_get(\(name))") }
        return (UnsafeRawBufferPointer(key), UnsafeRawBufferPointer(value))
    }
}
