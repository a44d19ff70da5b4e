import TestSupport
import Testing

@testable import CacheStore

/// `Transaction.putInKeyOrder`, used for chunks and the LRU order: values put in key order fill their pages (LMDB
/// splits a full last page in half otherwise), and a key that does not sort last is still put.
@Suite("Puts in key order")
struct KeyOrderPutTests {
    /// Runs `body` with a write transaction over database `t` of a fresh environment; returns the pages in use after.
    private func withDatabase(_ body: (Transaction, UInt32) throws(StoreError) -> Void) throws -> (Environment, Int) {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let environment = try Environment.open(directory: directory.path, mapSize: 64 << 20, maxReaders: 8, sync: .full)
        try environment.write { (txn) throws(StoreError) in
            let database = try environment.openDatabase("t", in: txn)
            try body(txn, database)
        }
        return (environment, environment.info().pagesInUse)
    }

    private static func key(_ index: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt64(index).bigEndian) { Array($0) }
    }

    @Test("1 KiB values put in key order fill three to a page")
    func inOrderFillsPages() throws {
        let value = [UInt8](repeating: 7, count: 1024)
        let (environment, pages) = try self.withDatabase { (txn, database) throws(StoreError) in
            for index in 0..<300 { try txn.putInKeyOrder(database, Self.key(index), value) }
        }
        defer { environment.close() }
        // 100 full leaves, a branch page, the main database's leaf, two meta pages: halved leaves would be 150.
        #expect(pages <= 106, "\(pages) pages")
    }

    @Test("keys that do not sort last are put too, replacing what a key held")
    func outOfOrderFallsBack() throws {
        var values: [Int: [UInt8]] = [:]
        let (environment, _) = try self.withDatabase { (txn, database) throws(StoreError) in
            for index in [5, 9, 2, 7, 9, 0] {
                let value = [UInt8](repeating: UInt8(index + values.count), count: 100)
                values[index] = value
                try txn.putInKeyOrder(database, Self.key(index), value)
            }
            #expect(try txn.count(database) == 5)
            for (index, value) in values {
                let stored = try txn.get(database, Self.key(index)).map { Array($0) }
                #expect(stored == value, "key \(index)")
            }
        }
        environment.close()
    }
}
