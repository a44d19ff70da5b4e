import CLMDB

/// Where a value that LMDB keeps on *overflow pages* lies in the data file.
///
/// LMDB (`mdb_node_add` in mdb.c) stores a value whose node would exceed `me_nodemax` (about half a page:
/// `((pageSize − 16) / 2 & ~1) − 2` bytes for the node header, key and value) on a run of contiguous pages of
/// its own, the first of which starts with a 16-byte page header; `mdb_get` returns a pointer just past that
/// header. Such a run never moves and is never written again while the value exists (LMDB is copy-on-write,
/// and a committed overflow run is only overwritten in place by `MDB_WRITEMAP` environments, which the store
/// does not use), so its bytes can be read from the file instead of the map. Smaller values live inside
/// B-tree leaf pages, which are copied whenever a neighbour changes: those must be copied out of the map.
///
/// The map's address is not published (`mdb_env_info`'s `me_mapaddr` is the `MDB_FIXEDMAP` address, null
/// otherwise), so it is learnt from one overflow page's header: LMDB 0.9's `MDB_page` starts with the page
/// number (`pgno_t`, 8 bytes), then `mp_pad` (2), `mp_flags` (2) and, for overflow pages, the page count (4).
/// That header is checked (overflow flag, page alignment, enough pages for the value) and any other library
/// version is refused: then every byte is copied, as before. Later values need no header read (which would
/// fault the map's pages into the process): being at least half a page they are on overflow pages, and
/// their offset is their distance from the map's start.
enum OverflowPages {
    static let headerBytes = 16
    private static let overflowFlag: UInt16 = 0x04  // P_OVERFLOW
    private static let otherPageKinds: UInt16 = 0x01 | 0x02 | 0x08 | 0x20 | 0x40  // branch, leaf, meta, leaf2, sub

    /// Whether the linked LMDB lays pages out as described above (0.9.x on a 64-bit machine).
    static let layoutIsKnown: Bool = {
        var major: Int32 = 0
        var minor: Int32 = 0
        var patch: Int32 = 0
        _ = mdb_version(&major, &minor, &patch)
        return major == 0 && minor == 9 && MemoryLayout<Int>.size == 8
    }()

    /// The smallest value that is on overflow pages whatever its key: a node of half a page or more is
    /// over `me_nodemax`.
    static func minimumValueBytes(pageSize: Int) -> Int { pageSize / 2 }

    /// Whether `value` (from `mdb_get`) is on overflow pages whatever its key: a node of half a page or more is
    /// over `me_nodemax`.
    static func holds(_ value: UnsafeRawBufferPointer, pageSize: Int) -> Bool {
        self.layoutIsKnown && pageSize > self.headerBytes && value.count >= self.minimumValueBytes(pageSize: pageSize)
            && value.baseAddress != nil
    }

    /// The map's address, from the header of the overflow pages holding `value` (which ``holds(_:pageSize:)``);
    /// nil if the header is not what LMDB 0.9 writes there.
    static func mapAddress(from value: UnsafeRawBufferPointer, pageSize: Int) -> UInt? {
        guard self.holds(value, pageSize: pageSize), let start = value.baseAddress else { return nil }
        let header = start - self.headerBytes
        // The map is page-aligned, so a page header is too.
        guard UInt(bitPattern: header) % UInt(pageSize) == 0 else { return nil }
        let page = header.loadUnaligned(as: UInt64.self)
        let flags = header.loadUnaligned(fromByteOffset: 10, as: UInt16.self)
        let pages = header.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
        guard flags & self.overflowFlag != 0, flags & self.otherPageKinds == 0,
            Int(pages) * pageSize >= value.count + self.headerBytes,
            page <= UInt64(UInt(bitPattern: header)) / UInt64(pageSize)
        else { return nil }
        return UInt(bitPattern: header) - UInt(page) * UInt(pageSize)
    }
}
