import CLMDB
import Glibc
import Synchronization

/// The store's data file (`data.mdb`) opened read-only, so body bytes can be sent straight from it instead of
/// being copied out of LMDB's map: by sendfile(2), or written from a read-only map of the file of its own
/// (``mapped(offset:count:)``). Where the bytes lie: ``BodyReader/withNextExtent(maxBytes:minimumFileBytes:copy:)``.
///
/// One open file for the store; its descriptor and map stay for as long as this object lives (past the store's
/// close: bytes already promised to a socket stay readable). A user that must own a descriptor — SwiftNIO's
/// `NIOFileHandle` closes the one it is given, and allows one user at a time — takes a duplicate. Offsets are
/// explicit (`sendfile`, `pread`), so the shared file position does not matter.
public final class DataFile: Sendable {
    private let descriptor: CInt
    /// The file mapped read-only and shared (the page cache's pages, as LMDB's map), as long as LMDB's map was when
    /// the store opened; nil if mmap failed. Unlike LMDB's map it never moves (LMDB remaps when the map grows), so
    /// pointers into it stay valid for as long as this object lives.
    nonisolated(unsafe) private let map: UnsafeRawBufferPointer?

    /// The address ranges of every live data file's map (``isMapped(_:)``).
    private static let liveMaps = Mutex<[Range<UInt>]>([])

    private init(descriptor: CInt, mapLength: Int) {
        self.descriptor = descriptor
        let address = mapLength > 0 ? mmap(nil, mapLength, PROT_READ, MAP_SHARED, descriptor, 0) : nil
        if let address, address != MAP_FAILED {
            self.map = UnsafeRawBufferPointer(start: address, count: mapLength)
            let start = UInt(bitPattern: address)
            Self.liveMaps.withLock { $0.append(start..<start + UInt(mapLength)) }
        } else {
            self.map = nil
        }
    }

    /// Opens `directory/data.mdb` read-only and checks it is the file the environment has open;
    /// nil if it cannot (then bodies are copied, as without this file).
    static func open(directory: String, environment: OpaquePointer) -> DataFile? {
        var lmdbDescriptor: CInt = -1
        guard mdb_env_get_fd(environment, &lmdbDescriptor) == 0 else { return nil }
        let descriptor = Glibc.open(directory + "/data.mdb", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        var ours = stat()
        var theirs = stat()
        guard fstat(descriptor, &ours) == 0, fstat(lmdbDescriptor, &theirs) == 0,
            ours.st_dev == theirs.st_dev, ours.st_ino == theirs.st_ino
        else {
            Glibc.close(descriptor)
            return nil
        }
        var info = MDB_envinfo()
        mdb_env_info(environment, &info)
        return DataFile(descriptor: descriptor, mapLength: info.me_mapsize)
    }

    deinit {
        if let map = self.map, let address = map.baseAddress {
            let start = UInt(bitPattern: address)
            Self.liveMaps.withLock { maps in maps.removeAll { $0.lowerBound == start } }
            munmap(UnsafeMutableRawPointer(mutating: address), map.count)
        }
        Glibc.close(self.descriptor)
    }

    /// `count` bytes at `offset` of the file, in this object's read-only map: valid for as long as this object
    /// lives, and the bytes of a body for as long as the body is pinned (a ``BodyReader`` open on it), since
    /// LMDB reuses a freed body's pages. Nil beyond the map (the store's map grew since it opened) or without one.
    public func mapped(offset: Int64, count: Int) -> UnsafeRawBufferPointer? {
        guard let map = self.map, offset >= 0, count >= 0, offset + Int64(count) <= Int64(map.count) else {
            return nil
        }
        return UnsafeRawBufferPointer(rebasing: map[Int(offset)..<Int(offset) + count])
    }

    /// Whether `pointer` lies in the map of a live data file: lets a buffer allocator tell bytes it lent from a
    /// map (not to be freed) from memory it allocated.
    public static func isMapped(_ pointer: UnsafeRawPointer) -> Bool {
        let address = UInt(bitPattern: pointer)
        return self.liveMaps.withLock { maps in maps.contains { $0.contains(address) } }
    }

    /// A new descriptor of the file (close-on-exec) that the caller owns and must close; nil if the process is
    /// out of descriptors.
    public func duplicateDescriptor() -> CInt? {
        let duplicate = fcntl(self.descriptor, F_DUPFD_CLOEXEC, 0)
        return duplicate >= 0 ? duplicate : nil
    }

    /// Reads `count` bytes at `offset` (tests and checks; serving uses sendfile on a duplicate).
    public func read(at offset: Int64, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let read = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(self.descriptor, base + done, count - done, off_t(offset) + off_t(done))
            }
            if read < 0 && errno == EINTR { continue }
            guard read > 0 else { return nil }
            done += read
        }
        return bytes
    }
}
