import Synchronization

/// What the store's public objects share: the environment, the writer and the in-memory
/// bookkeeping. One per open store.
final class StoreContext: Sendable {
    let environment: Environment
    let db: Databases
    let pins: BodyPins
    let recency: Recency
    let writer: Writer
    let chunkSize: Int
    let maxObjectBytes: Int64?
    /// Variant records decoded by lookups, reused while unchanged.
    let decodedRecords = DecodedRecords()
    /// Serving lookups' answers, reused until the next commit.
    let lookups = LookupMemo()
    /// Copies of small bodies, served without a read transaction.
    let smallBodies = SmallBodies()
    private let nextBodyID: Atomic<UInt64>

    init(environment: Environment, opened: StoreOpening.Opened, pins: BodyPins, writer: Writer, maxObjectBytes: Int64?)
    {
        self.environment = environment
        self.db = opened.db
        self.pins = pins
        self.recency = opened.recency
        self.writer = writer
        self.chunkSize = opened.chunkSize
        self.maxObjectBytes = maxObjectBytes
        self.nextBodyID = Atomic(opened.nextBodyID)
    }

    func allocateBodyID() -> BodyID {
        BodyID(rawValue: self.nextBodyID.wrappingAdd(1, ordering: .relaxed).oldValue)
    }

    /// Pins a complete body for reading and checks it is still there with the expected size.
    func pinStored(_ id: BodyID, size: Int64) throws(StoreError) {
        let pinned = try self.pin(id) { record in record.state != .filling && record.size == size }
        guard pinned else { throw .notFound("\(id) is gone") }
    }

    /// Pins a fill's body; false if it is already gone (the fill ended and freed it).
    func pinFilling(_ id: BodyID) throws(StoreError) -> Bool {
        try self.pin(id) { _ in true }
    }

    /// Pins, then checks in a transaction begun after the pin that the body exists and passes
    /// `isUsable`: from then on the writer can only release it, not free it.
    private func pin(_ id: BodyID, _ isUsable: (BodyRecord) -> Bool) throws(StoreError) -> Bool {
        guard self.pins.pin(id) else { return false }
        do throws(StoreError) {
            let record = try self.environment.read { (txn) throws(StoreError) -> BodyRecord? in
                guard let bytes = try txn.get(self.db.bodies, Keys.body(id)) else { return nil }
                return try BodyRecord(decoding: bytes)
            }
            guard let record, isUsable(record) else {
                self.unpin(id)
                return false
            }
            return true
        } catch {
            self.unpin(id)
            throw error
        }
    }

    /// Unpins; the last reader of a released body asks the writer to free it.
    func unpin(_ id: BodyID) {
        if self.pins.unpin(id) {
            _ = self.writer.enqueue(.release(id))
        }
    }
}
