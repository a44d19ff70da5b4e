import CLMDB

/// One LMDB transaction, valid only inside the closure that received it
/// (`Environment.read` or `Environment.write`). Returned buffers point into the map and are valid
/// until that closure returns.
struct Transaction {
    let handle: OpaquePointer

    /// The value stored under `key`, or nil.
    func get(_ database: MDB_dbi, _ key: [UInt8]) throws(StoreError) -> UnsafeRawBufferPointer? {
        var value = MDB_val()
        let code = key.withUnsafeBytes { keyBytes in
            var keyValue = MDB_val(keyBytes)
            return mdb_get(self.handle, database, &keyValue, &value)
        }
        if code == MDB_NOTFOUND { return nil }
        guard code == 0 else { throw .lmdb(code, "mdb_get") }
        return UnsafeRawBufferPointer(value)
    }

    /// Stores `value` under `key`, replacing any value there.
    func put(_ database: MDB_dbi, _ key: [UInt8], _ value: UnsafeRawBufferPointer) throws(StoreError) {
        let code = key.withUnsafeBytes { keyBytes in
            var keyValue = MDB_val(keyBytes)
            var dataValue = MDB_val(value)
            return mdb_put(self.handle, database, &keyValue, &dataValue, 0)
        }
        guard code == 0 else { throw .lmdb(code, "mdb_put") }
    }

    func put(_ database: MDB_dbi, _ key: [UInt8], _ value: [UInt8]) throws(StoreError) {
        var stored = MDB_val()
        let code = self.put(database, key, value, flags: 0, stored: &stored)
        guard code == 0 else { throw .lmdb(code, "mdb_put") }
    }

    /// Stores `value` under `key`, appending when `key` sorts after every key in `database` (`MDB_APPEND`: no search,
    /// and a full last page is followed by a new one instead of split in half, so pages filled in key order stay
    /// full); otherwise an ordinary put.
    func putInKeyOrder(_ database: MDB_dbi, _ key: [UInt8], _ value: [UInt8]) throws(StoreError) {
        var stored = MDB_val()
        let code = self.put(database, key, value, flags: MDB_APPEND, stored: &stored)
        if code == MDB_KEYEXIST { return try self.put(database, key, value) }
        guard code == 0 else { throw .lmdb(code, "mdb_put") }
    }

    /// Stores `value` under `key` unless `key` is there already: then writes nothing and returns the value stored
    /// (one B-tree descent for what a `get` and a `put` would do in two).
    func insert(_ database: MDB_dbi, _ key: [UInt8], _ value: [UInt8]) throws(StoreError) -> UnsafeRawBufferPointer? {
        var stored = MDB_val()
        let code = self.put(database, key, value, flags: MDB_NOOVERWRITE, stored: &stored)
        if code == MDB_KEYEXIST { return UnsafeRawBufferPointer(stored) }
        guard code == 0 else { throw .lmdb(code, "mdb_put") }
        return nil
    }

    /// `mdb_put` with `flags`; LMDB's result code. With `MDB_NOOVERWRITE` and a key already there, `stored` is
    /// the value stored under it.
    private func put(
        _ database: MDB_dbi, _ key: [UInt8], _ value: [UInt8], flags: Int32, stored: inout MDB_val
    ) -> Int32 {
        value.withUnsafeBytes { valueBytes in
            key.withUnsafeBytes { keyBytes in
                var keyValue = MDB_val(keyBytes)
                stored = MDB_val(valueBytes)
                return mdb_put(self.handle, database, &keyValue, &stored, UInt32(flags))
            }
        }
    }

    /// Deletes `key`; returns whether it was there.
    @discardableResult
    func delete(_ database: MDB_dbi, _ key: [UInt8]) throws(StoreError) -> Bool {
        let code = key.withUnsafeBytes { keyBytes in
            var keyValue = MDB_val(keyBytes)
            return mdb_del(self.handle, database, &keyValue, nil)
        }
        if code == MDB_NOTFOUND { return false }
        guard code == 0 else { throw .lmdb(code, "mdb_del") }
        return true
    }

    /// Number of entries in a database (from its B-tree header: constant time).
    func count(_ database: MDB_dbi) throws(StoreError) -> Int {
        var stat = MDB_stat()
        let code = mdb_stat(self.handle, database, &stat)
        guard code == 0 else { throw .lmdb(code, "mdb_stat") }
        return stat.ms_entries
    }

    /// Runs `body` with a cursor that is closed when it returns.
    func withCursor<T>(_ database: MDB_dbi, _ body: (Cursor) throws(StoreError) -> T) throws(StoreError) -> T {
        var cursor: OpaquePointer?
        let code = mdb_cursor_open(self.handle, database, &cursor)
        guard code == 0, let cursor else { throw .lmdb(code, "mdb_cursor_open") }
        defer { mdb_cursor_close(cursor) }
        return try body(Cursor(handle: cursor))
    }
}

extension MDB_val {
    /// A view of `bytes` for passing to LMDB; LMDB does not write through key or data pointers.
    init(_ bytes: UnsafeRawBufferPointer) {
        self.init(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
    }
}

extension UnsafeRawBufferPointer {
    init(_ value: MDB_val) {
        self.init(start: value.mv_data, count: value.mv_size)
    }
}
