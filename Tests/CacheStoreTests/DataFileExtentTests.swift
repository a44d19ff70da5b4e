import CacheStore
import TestSupport
import Testing

/// `BodyReader.withNextExtent` says where stored chunks lie in `data.mdb` (for sendfile): what `pread` finds
/// there must be the body's bytes, and stay so while the reader pins the body.
@Suite("Body extents in the data file")
struct DataFileExtentTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var pagesPerChunk: Int
        /// Bytes in the body's last chunk, after five full ones.
        var tail: Int
        var testDescription: String { "\(self.pagesPerChunk) pages per chunk, last chunk \(self.tail) bytes" }
    }

    @Test("file extents read with pread from data.mdb equal the body's bytes, whole and in ranges", arguments: [
        Case(pagesPerChunk: 64, tail: 100),  // a last chunk inside a leaf page: copied
        Case(pagesPerChunk: 64, tail: 3000),  // a last chunk under a page, but on an overflow page
        Case(pagesPerChunk: 2, tail: 5000),
        Case(pagesPerChunk: 1, tail: 0),
    ])
    func extentsMatchBytes(_ test: Case) async throws {
        var configuration = CacheStore.Configuration()
        configuration.pagesPerChunk = test.pagesPerChunk
        try await withStore(configuration) { store, _ in
            let chunk = store.chunkSize
            let pageSize = (chunk + 16) / test.pagesPerChunk
            let bytes = testBytes(seed: UInt64(chunk + test.tail), count: 5 * chunk + test.tail)
            let variant = try await store.store("http://extent.test/\(test.pagesPerChunk)/\(test.tail)", bytes)
            let dataFile = try #require(store.dataFile)
            let size = Int64(bytes.count)
            let ranges: [Range<Int64>] = [
                0..<size,
                Int64(chunk + 1234)..<Int64(3 * chunk + 77),  // starts and ends mid-chunk
                Int64(5 * chunk - 10)..<size,  // the end of a full chunk, then the last one
                Int64(chunk / 2)..<Int64(chunk / 2 + 1),  // one byte
            ]
            for range in ranges where !range.isEmpty {
                let reader = try store.openBody(variant, range: range)
                defer { reader.close() }
                var position = Int(range.lowerBound)
                var fromFile = 0
                while case .data(let extent) = try reader.withNextExtent(copy: { Array($0) }) {
                    switch extent {
                    case .file(let offset, let count):
                        let read = try #require(dataFile.read(at: offset, count: count))
                        #expect(read == Array(bytes[position..<position + count]), "\(count) bytes at \(position)")
                        let mapped = try #require(dataFile.mapped(offset: offset, count: count))
                        #expect(Array(mapped) == read, "the data file's own map shows the same bytes")
                        #expect(position / chunk == (position + count - 1) / chunk, "an extent stays in its chunk")
                        position += count
                        fromFile += count
                    case .copied(let copied):
                        #expect(copied == Array(bytes[position..<position + copied.count]))
                        position += copied.count
                    }
                }
                #expect(position == Int(range.upperBound))
                // Every chunk of at least half a page is on overflow pages, so all of its bytes come from the file.
                let tailStart = 5 * chunk
                let expected = test.tail >= pageSize / 2
                    ? range.count : max(0, min(Int(range.upperBound), tailStart) - Int(range.lowerBound))
                #expect(fromFile == expected, "range \(range)")
            }
        }
    }

    @Test("after the map grows (and may move), file extents still point at the body's bytes")
    func mapGrowth() async throws {
        var configuration = CacheStore.Configuration()
        configuration.maxBytes = 64 << 20
        try await withStore(configuration) { store, _ in
            let bytes = testBytes(seed: 9, count: 3 * store.chunkSize + 5000)
            let variant = try await store.store("http://extent.test/growth", bytes)
            let dataFile = try #require(store.dataFile)
            for budget in [Int64(64 << 20), 4 << 30, 64 << 30] {
                try await store.updateLimits(maxBytes: budget, maxEntries: nil)
                let reader = try store.openBody(variant)
                defer { reader.close() }
                var position = 0
                while case .data(let extent) = try reader.withNextExtent(copy: { $0.count }) {
                    guard case .file(let offset, let count) = extent else {
                        Issue.record("expected file extents")
                        return
                    }
                    #expect(dataFile.read(at: offset, count: count) == Array(bytes[position..<position + count]))
                    // The data file's own map stays where it was: it covers what the store had when it opened.
                    #expect(dataFile.mapped(offset: offset, count: count).map(Array.init) == Array(
                        bytes[position..<position + count]))
                    position += count
                }
                let mapSize = try store.stats().mapSize
                #expect(position == bytes.count, "map of \(mapSize) bytes")
            }
        }
    }

    @Test("the data file's map ends where LMDB's map did when the store opened, and knows its own pointers")
    func dataFileMap() async throws {
        var configuration = CacheStore.Configuration()
        configuration.maxBytes = 64 << 20
        try await withStore(configuration) { store, _ in
            let dataFile = try #require(store.dataFile)
            let mapSize = Int64(try store.stats().mapSize)
            let last = try #require(dataFile.mapped(offset: mapSize - 10, count: 10))
            #expect(last.count == 10)
            #expect(dataFile.mapped(offset: mapSize - 10, count: 11) == nil)
            #expect(dataFile.mapped(offset: -1, count: 1) == nil)
            let first = try #require(dataFile.mapped(offset: 0, count: 16))
            #expect(Array(first) == dataFile.read(at: 0, count: 16), "the map shows the file (its meta page)")
            #expect(DataFile.isMapped(try #require(first.baseAddress)))
            #expect(DataFile.isMapped(try #require(last.baseAddress) + 9))
            let elsewhere = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 8)
            defer { elsewhere.deallocate() }
            #expect(!DataFile.isMapped(elsewhere))
        }
    }

    @Test("below minimumFileBytes, and for a fill in progress, the bytes are copied")
    func copiesWhenAsked() async throws {
        try await withStore { store, _ in
            let bytes = testBytes(seed: 3, count: 2 * store.chunkSize)
            let variant = try await store.store("http://extent.test/copied", bytes)
            let reader = try store.openBody(variant, range: 100..<200_100)
            defer { reader.close() }
            guard case .data(.copied(let copied)) = try reader.withNextExtent(
                minimumFileBytes: 200_001, copy: { Array($0) })
            else {
                Issue.record("expected a copy below the minimum")
                return
            }
            #expect(copied == Array(bytes[100..<200_100]))

            let fill = try store.beginFill(primaryKey: "http://extent.test/filling", metadata: testMetadata())
            try await fill.write(bytes)
            for await event in fill.view.events() {
                if case .committed(let committed) = event, committed >= Int64(store.chunkSize) { break }
            }
            let following = try fill.view.openReader()
            defer { following.close() }
            guard case .data(.copied(let first)) = try following.withNextExtent(copy: { Array($0) }) else {
                Issue.record("a fill in progress is always copied")
                return
            }
            #expect(first == Array(bytes[0..<first.count]))
            fill.abort()
        }
    }

    @Test("while a reader is open, purging the body and storing others leaves its file bytes as they were")
    func pinKeepsFileBytes() async throws {
        try await withStore { store, _ in
            let chunk = store.chunkSize
            let bytes = testBytes(seed: 21, count: 8 * chunk)
            let variant = try await store.store("http://extent.test/pinned", bytes)
            let dataFile = try #require(store.dataFile)
            let reader = try store.openBody(variant)
            var extents: [(offset: Int64, count: Int, at: Int)] = []
            var position = 0
            while case .data(let extent) = try reader.withNextExtent(copy: { $0.count }) {
                guard case .file(let offset, let count) = extent else {
                    Issue.record("expected file extents")
                    return
                }
                extents.append((offset, count, position))
                position += count
            }
            #expect(try await store.purge(.key("http://extent.test/pinned")) == 1)
            for index in 0..<4 {
                let other = testBytes(seed: 100 + UInt64(index), count: 8 * chunk)
                try await store.store("http://extent.test/other\(index)", other)
            }
            try await store.flush()
            for extent in extents {
                let expected = Array(bytes[extent.at..<extent.at + extent.count])
                #expect(dataFile.read(at: extent.offset, count: extent.count) == expected)
            }
            reader.close()
        }
    }
}
