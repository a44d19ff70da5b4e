@_spi(CustomByteBufferAllocator) import NIOCore
import CacheStore
import Glibc

/// ByteBuffers over a ``DataFile``'s read-only map: stored body bytes reach the socket with one copy, the
/// kernel's into the socket, and none in user space. Measured on S3 (docs/benchmarks.md, seventh pass), writing
/// from the map outruns sendfile(2) from the same file by far on this machine's loopback.
///
/// NIO has no public API for a buffer over memory it did not allocate; this uses its `CustomByteBufferAllocator`
/// SPI (`ByteBuffer(takingOwnershipOf:allocator:)` with an allocator whose deallocation leaves map bytes alone),
/// so `cache.send_from: file` and `copy` exist to do without it.
enum MappedBodyBuffer {
    /// Frees only what it allocated: should NIO ever grow or copy such a buffer (nothing here mutates one), the new
    /// storage comes from malloc, and map bytes are never freed.
    static let allocator = ByteBufferAllocator(
        allocate: { malloc($0) },
        reallocate: { pointer, oldSize, newSize in
            guard let pointer, DataFile.isMapped(pointer) else { return realloc(pointer, newSize) }
            guard let copy = malloc(newSize) else { return nil }
            copy.copyMemory(from: pointer, byteCount: min(oldSize, newSize))
            return copy
        },
        deallocate: { pointer in
            if !DataFile.isMapped(pointer) { free(pointer) }
        },
        copy: { destination, source, count in destination.copyMemory(from: source, byteCount: count) })

    /// A buffer whose readable bytes are `bytes`, which must lie in a live ``DataFile``'s map and stay valid (the
    /// data file kept, the body pinned) for as long as the buffer may be read. Nothing may write into it.
    static func over(_ bytes: UnsafeRawBufferPointer) -> ByteBuffer {
        ByteBuffer(takingOwnershipOf: UnsafeMutableRawBufferPointer(mutating: bytes), allocator: self.allocator)
    }
}
