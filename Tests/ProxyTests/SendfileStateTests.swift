import CacheStore
import NIOCore
import NIOPosix
@testable import Proxy
import TestSupport
import Testing

/// `SendfileState` keeps readers (their pins) open after their bytes went out as file regions, and lets them go
/// once the connection pushed enough bytes after them, or a while after it closed: never earlier, never never.
@Suite("Readers held for sendfile", .timeLimit(.minutes(1)))
struct SendfileStateTests {
    /// Whether `reader` was closed (reading from it throws).
    static func isClosed(_ reader: BodyReader) -> Bool {
        (try? reader.read(maxBytes: 1)) == nil
    }

    /// Stores `bytes` as a complete body under `key`.
    static func stored(_ bytes: [UInt8], key: String, in store: CacheStore) async throws -> StoredVariant {
        let fill = try store.beginFill(
            primaryKey: key,
            metadata: ResponseMetadata(status: 200, headers: [], requestTime: 0, responseTime: 0, annotation: []))
        try await fill.write(bytes)
        return try await fill.finish()
    }

    @Test("a held reader closes after holdBytes more bytes were written, or closedHold after the connection closed")
    func holdsThenReleases() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try CacheStore.open(directory: directory.path)
        defer { store.close() }
        let variant = try await Self.stored([UInt8](repeating: 7, count: 300_000), key: "http://held.test/a", in: store)
        let dataFile = try #require(store.dataFile)

        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let address = try #require(server.localAddress)
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(to: address).get()
        let readers = try (0..<4).map { _ in try store.openBody(variant) }

        try await client.eventLoop.submit {
            let state = try #require(
                SendfileState.open(dataFile, fromMap: false, for: client, holdBytes: 1000, closedHold: .hours(1)))
            #expect(state.willWrite(100) == nil, "nothing held: no promise")
            state.hold(readers[0], of: variant.bodyID)
            #expect(state.willWrite(600) == nil, "short of the hold's end: nothing to release, no promise")
            #expect(!Self.isClosed(readers[0]), "600 bytes after it: still held")
            let enough = try #require(state.willWrite(500))
            enough.succeed()
            #expect(Self.isClosed(readers[0]), "1100 bytes after it: released")

            state.hold(readers[1], of: variant.bodyID)
            state.hold(readers[2], of: variant.bodyID)
            #expect(Self.isClosed(readers[1]), "the same body held again: the newer reader keeps the pin")
            #expect(!Self.isClosed(readers[2]))
            let failed = try #require(state.willWrite(5000))
            failed.fail(ChannelError.ioOnClosedChannel)
            #expect(!Self.isClosed(readers[2]), "a failed write releases nothing")
        }.get()

        try await client.close()
        try await client.eventLoop.submit {}.get()  // the close callbacks ran
        #expect(!Self.isClosed(readers[2]), "held for closedHold after the close")
        readers[2].close()

        // With no hold after the close, the reader goes once the connection has closed.
        let second = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(to: address).get()
        try await second.eventLoop.submit {
            let state = try #require(SendfileState.open(
                dataFile, fromMap: false, for: second, holdBytes: 1000, closedHold: .zero))
            state.hold(readers[3], of: variant.bodyID)
        }.get()
        #expect(!Self.isClosed(readers[3]))
        try await second.close()
        #expect(await eventually { Self.isClosed(readers[3]) })
        try await server.close()
    }

    @Test("from the map a piece is a buffer over the file's bytes, otherwise a region; growing such a buffer copies it")
    func pieces() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try CacheStore.open(directory: directory.path)
        defer { store.close() }
        let body = Pattern.bytes(length: 300_000)
        let variant = try await Self.stored(body, key: "http://pieces.test/a", in: store)
        let dataFile = try #require(store.dataFile)
        let reader = try store.openBody(variant)
        defer { reader.close() }
        guard case .data(.file(let offset, let count)) = try reader.withNextExtent(copy: { _ in () }) else {
            Issue.record("expected the first chunk in the data file")
            return
        }
        let expected = Array(body[0..<count])

        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(to: try #require(server.localAddress)).get()
        try await client.eventLoop.submit {
            let fromMap = try #require(SendfileState.open(dataFile, fromMap: true, for: client))
            guard case .bytes(let buffer) = fromMap.piece(offset: offset, count: count),
                case .bytes(var unique) = fromMap.piece(offset: offset, count: count)
            else {
                Issue.record("expected buffers over the map")
                return
            }
            #expect(Array(buffer.readableBytesView) == expected)
            #expect(buffer.withUnsafeReadableBytes { DataFile.isMapped($0.baseAddress!) })

            var shared = buffer
            shared.writeBytes([1, 2, 3])  // copy on write: new storage from the allocator, the map untouched
            #expect(Array(shared.readableBytesView) == expected + [1, 2, 3])
            #expect(shared.withUnsafeReadableBytes { !DataFile.isMapped($0.baseAddress!) })
            #expect(Array(buffer.readableBytesView) == expected, "the original still reads the map")
            unique.writeBytes([4])  // no room left: reallocation copies out of the map
            #expect(Array(unique.readableBytesView) == expected + [4])
            #expect(unique.withUnsafeReadableBytes { !DataFile.isMapped($0.baseAddress!) })

            let fromFile = try #require(SendfileState.open(dataFile, fromMap: false, for: client))
            guard case .region(let region) = fromFile.piece(offset: offset, count: count) else {
                Issue.record("expected a file region")
                return
            }
            #expect(region.readerIndex == Int(offset) && region.readableBytes == count)
        }.get()
        try await client.close()
        try await server.close()
    }
}
