import CLMDB
import Glibc

/// The store's data file (`data.mdb`) opened read-only, so body bytes can be sent straight from it
/// (sendfile(2)) instead of being copied out of the map: see
/// ``BodyReader/withNextExtent(maxBytes:minimumFileBytes:copy:)``.
///
/// One open file for the store; its descriptor stays open for as long as this object lives (past the store's
/// close: bytes already promised to a socket stay readable). A user that must own a descriptor — SwiftNIO's
/// `NIOFileHandle` closes the one it is given, and allows one user at a time — takes a duplicate. Offsets are
/// explicit (`sendfile`, `pread`), so the shared file position does not matter.
public final class DataFile: Sendable {
    private let descriptor: CInt

    private init(descriptor: CInt) {
        self.descriptor = descriptor
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
        return DataFile(descriptor: descriptor)
    }

    deinit {
        Glibc.close(self.descriptor)
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
