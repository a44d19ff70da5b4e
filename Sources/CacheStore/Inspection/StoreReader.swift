import CLMDB
import Glibc

/// A read-only view of a store on disk, for `larder stats|ls|inspect --cache-dir DIR`.
///
/// Opens the LMDB environment with `MDB_RDONLY` and starts no writer, so it is safe beside a running
/// server that writes the same store (LMDB allows readers in other processes; each read is a
/// consistent snapshot of the last commit). It never cleans up, evicts or records hits. A server that
/// grows its map meanwhile makes later reads fail with `MDB_MAP_RESIZED`: open a new reader.
public final class StoreReader: StoreInspection {
    private let environment: Environment
    private let db: Databases
    /// The directory holding `data.mdb` and `lock.mdb`.
    public let directory: String

    private init(environment: Environment, db: Databases, directory: String) {
        self.environment = environment
        self.db = db
        self.directory = directory
    }

    deinit {
        self.environment.close()
    }

    /// Opens the store in `directory` read-only. Throws ``StoreError/notFound`` when there is no store.
    public static func open(directory: String) throws(StoreError) -> StoreReader {
        var status = stat()
        guard stat(directory + "/data.mdb", &status) == 0 else {
            throw .notFound("no cache store in \(directory) (no data.mdb)")
        }
        let environment = try Environment.open(
            directory: directory, mapSize: 0, maxReaders: 126, sync: .full, readOnly: true)
        do throws(StoreError) {
            let db = try environment.readCommitting { (txn) throws(StoreError) -> Databases in
                try Databases.open(in: environment, txn, create: false)
            }
            return StoreReader(environment: environment, db: db, directory: directory)
        } catch {
            environment.close()
            if error.lmdbCode == MDB_NOTFOUND { throw .notFound("\(directory) holds no Larder store") }
            throw error
        }
    }

    public func entries(prefix: String = "", limit: Int = .max) throws(StoreError) -> [StoredEntry] {
        try self.environment.read { (txn) throws(StoreError) -> [StoredEntry] in
            try StoreQueries(txn: txn, db: self.db).entries(prefix: prefix, limit: limit)
        }
    }

    public func variants(forKey primaryKey: String) throws(StoreError) -> [StoredVariant] {
        try self.environment.read { (txn) throws(StoreError) -> [StoredVariant] in
            try StoreQueries(txn: txn, db: self.db).variants(Keys.primaryHash(primaryKey))
        }
    }

    public func keys(sharingBody digest: Digest, limit: Int) throws(StoreError) -> [String] {
        try self.environment.read { (txn) throws(StoreError) -> [String] in
            try StoreQueries(txn: txn, db: self.db).keys(sharingBody: digest, limit: limit)
        }
    }

    /// The saved counters. Live figures of a writer (fills in progress, queued bytes, the budget) are
    /// not visible from here and read as zero.
    public func stats() throws(StoreError) -> StoreStats {
        let counters = try self.environment.read { (txn) throws(StoreError) -> Counters in
            try StoreQueries(txn: txn, db: self.db).counters()
        }
        return StoreStats(counters: counters, info: self.environment.info(), live: .init())
    }
}
