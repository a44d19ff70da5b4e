import CacheStore
import Glibc
import NIOCore

/// One connection's sending of stored bodies straight from the store's data file, so chunks reach the socket
/// without a copy in user space: buffers over the file's map (``MappedBodyBuffer``, `cache.send_from: map`) or
/// `FileRegion` writes, which NIO turns into sendfile(2) (`file`).
///
/// **The file's pages must not change until the kernel is done with them.** A buffer over the map is read until
/// its write completes, and the map itself must stay: the state keeps the ``DataFile`` until its last hold ends.
/// A region is read later than the write's completion, as Linux sendfile copies nothing either: the socket's send
/// queue keeps references to the page-cache pages until the peer acknowledges the bytes, and a client on the same
/// host (loopback, or a container behind a veth pair) gets those references in its receive queue and copies only
/// when it reads. Were the body freed meanwhile (purge, eviction, replacement) and LMDB to reuse its pages for
/// another chunk, the client would read the new bytes under the old headers. So a reader whose bytes left from the
/// file is not closed when its last write completes: it is *held*, its pin keeping the pages as they are, until
///
/// - the connection has since handed the kernel ``defaultHoldBytes`` more bytes: queues that together hold less than
///   that cannot still hold the region's bytes (they leave in order); or
/// - the connection closed and ``defaultClosedHold`` passed. Bytes a same-host client still leaves unread after that
///   are the one window this does not cover.
///
/// Holding a reader delays only the freeing of a body purged or replaced meanwhile; it costs no I/O.
///
/// Event-loop bound: made and used on the connection's event loop.
final class SendfileState {
    /// More than the kernel queues for one TCP connection: a send buffer at its largest (autotuning's
    /// `tcp_wmem` maximum, or twice `wmem_max` when set with SO_SNDBUF), plus the same for a receiving socket
    /// on this host (`tcp_rmem`, `rmem_max`), plus a quarter. Buffers count their overhead, so the bytes queued
    /// are fewer. Read once from /proc (this network namespace's limits); 64 MiB if it cannot be.
    static let defaultHoldBytes: Int64 = {
        guard let tcpSend = SendfileState.lastNumber(in: "/proc/sys/net/ipv4/tcp_wmem"),
            let tcpReceive = SendfileState.lastNumber(in: "/proc/sys/net/ipv4/tcp_rmem"),
            let sendMax = SendfileState.lastNumber(in: "/proc/sys/net/core/wmem_max"),
            let receiveMax = SendfileState.lastNumber(in: "/proc/sys/net/core/rmem_max")
        else { return 64 << 20 }
        return (max(tcpSend, 2 * sendMax) + max(tcpReceive, 2 * receiveMax)) * 5 / 4
    }()

    /// How long readers stay held after the connection closed.
    static let defaultClosedHold = TimeAmount.seconds(60)

    private let dataFile: DataFile
    private let sendsFromMap: Bool
    private let handle: NIOFileHandle
    private let eventLoop: any EventLoop
    private let holdBytes: Int64
    private let closedHold: TimeAmount
    /// Stored-body bytes handed to the channel so far.
    private var issued: Int64 = 0
    /// The bodies held, each by the newest reader that sent some of it, until `issued` (as confirmed by a
    /// completed write) reaches `until`. One reader per body is enough: a connection serving the same body
    /// again and again holds one.
    private var holding: [BodyID: (reader: BodyReader, until: Int64)] = [:]
    /// When the holds end, in order from `nextDeadline`; an entry whose body was held again since is stale.
    private var deadlines: [(body: BodyID, until: Int64)] = []
    private var nextDeadline = 0
    private var isClosed = false

    private init(
        dataFile: DataFile, sendsFromMap: Bool, handle: NIOFileHandle, eventLoop: any EventLoop, holdBytes: Int64,
        closedHold: TimeAmount
    ) {
        self.dataFile = dataFile
        self.sendsFromMap = sendsFromMap
        self.handle = handle
        self.eventLoop = eventLoop
        self.holdBytes = holdBytes
        self.closedHold = closedHold
    }

    /// Opens the connection's own descriptor of `dataFile` (a `NIOFileHandle` serves one user at a time, and
    /// event loops run in parallel; the open file is the store's), and lets everything go when `channel`
    /// closes. `fromMap`: chunks the map covers go as buffers over it, the rest as regions. Nil if no descriptor
    /// is available: then bodies are copied. (Tests shorten the holds.)
    static func open(
        _ dataFile: DataFile, fromMap: Bool, for channel: any Channel, holdBytes: Int64 = defaultHoldBytes,
        closedHold: TimeAmount = defaultClosedHold
    ) -> SendfileState? {
        guard let descriptor = dataFile.duplicateDescriptor() else { return nil }
        let state = SendfileState(
            dataFile: dataFile, sendsFromMap: fromMap,
            handle: NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor), eventLoop: channel.eventLoop,
            holdBytes: holdBytes, closedHold: closedHold)
        // Completes after the channel failed its pending writes: no region refers to the handle any more.
        channel.closeFuture.assumeIsolated().whenComplete { _ in state.connectionClosed() }
        return state
    }

    /// `count` bytes at `offset` of the data file, to write: a buffer over the map, or a region (`.fileRegion`).
    func piece(offset: Int64, count: Int) -> StoredBodyStream.Next {
        if self.sendsFromMap, let bytes = self.dataFile.mapped(offset: offset, count: count) {
            return .bytes(MappedBodyBuffer.over(bytes))
        }
        return .region(FileRegion(fileHandle: self.handle, readerIndex: Int(offset), endIndex: Int(offset) + count))
    }

    /// Counts `count` stored-body bytes about to be written. When this write reaches the end of the earliest
    /// hold, returns a promise for it: its completion releases the bodies whose bytes are far enough behind.
    /// (Writes complete in order, so a write short of every hold's end has nothing to release.)
    func willWrite(_ count: Int) -> EventLoopPromise<Void>? {
        self.issued += Int64(count)
        guard self.nextDeadline < self.deadlines.count, self.deadlines[self.nextDeadline].until <= self.issued else {
            return nil
        }
        let promise = self.eventLoop.makePromise(of: Void.self)
        let written = self.issued
        promise.futureResult.assumeIsolated().whenSuccess { self.release(upTo: written) }
        return promise
    }

    /// Keeps `reader` of `body` open, whose last bytes were just handed to the channel, until the kernel is
    /// done with them.
    func hold(_ reader: BodyReader, of body: BodyID) {
        if self.isClosed { return self.releaseLater([reader]) }
        let until = self.issued + self.holdBytes
        // `reader` pins the body already: an earlier reader holding it can go.
        self.holding.updateValue((reader, until), forKey: body)?.reader.close()
        self.deadlines.append((body, until))
    }

    private func release(upTo written: Int64) {
        while self.nextDeadline < self.deadlines.count, self.deadlines[self.nextDeadline].until <= written {
            let (body, until) = self.deadlines[self.nextDeadline]
            self.nextDeadline += 1
            if let held = self.holding[body], held.until == until {
                held.reader.close()
                self.holding[body] = nil
            }
        }
        if self.nextDeadline > 64, self.nextDeadline * 2 > self.deadlines.count {
            self.deadlines.removeFirst(self.nextDeadline)
            self.nextDeadline = 0
        }
    }

    private func connectionClosed() {
        self.isClosed = true
        try? self.handle.close()
        let readers = self.holding.values.map(\.reader)
        self.holding = [:]
        self.deadlines = []
        self.nextDeadline = 0
        self.releaseLater(readers)
    }

    private func releaseLater(_ readers: [BodyReader]) {
        guard !readers.isEmpty else { return }
        // The data file (its map) goes no sooner than the readers: buffers over it may have been queued.
        let dataFile = self.dataFile
        self.eventLoop.scheduleTask(in: self.closedHold) {
            for reader in readers { reader.close() }
            withExtendedLifetime(dataFile) {}
        }
    }

    /// The last whitespace-separated number in a small /proc file.
    private static func lastNumber(in path: String) -> Int64? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { Glibc.close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 256)
        let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let text = String(decoding: bytes[..<count], as: UTF8.self)
        return text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).last.flatMap { Int64($0) }
    }
}
