// Store benchmark: chunk write and read throughput against plain files on the same disk, and
// small-entry lookups per second from several threads.
//
//   swift run -c release StoreBenchmark [DIRECTORY]     (default /tmp)
import CacheStore
import Dispatch
import Glibc

let base = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "/tmp"
let bodySize = 64 << 20
let bodyCount = 4
let piece = 64 << 10
let smallEntries = 20_000

func temporaryDirectory() -> String {
    var template = Array("\(base)/larder-bench-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp: errno \(errno)")
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func removeDirectory(_ path: String) {
    if let directory = opendir(path) {
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { unlink(path + "/" + name) }
        }
        closedir(directory)
    }
    rmdir(path)
}

func metadata() -> ResponseMetadata {
    ResponseMetadata(
        status: 200,
        headers: [
            HeaderField(name: "content-type", value: "application/octet-stream"),
            HeaderField(name: "etag", value: "\"abc123\""),
            HeaderField(name: "cache-control", value: "max-age=3600"),
        ],
        requestTime: 1_700_000_000_000,
        responseTime: 1_700_000_000_050
    )
}

/// Fills `body` in `piece`-sized appends, pausing when the store asks to.
func fill(_ store: CacheStore, _ key: String, _ body: [UInt8]) async throws -> StoredVariant {
    let fill = try store.beginFill(primaryKey: key, metadata: metadata())
    var offset = 0
    while offset < body.count {
        let end = min(offset + piece, body.count)
        let pressure = try body.withUnsafeBytes { raw in
            try fill.append(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
        }
        offset = end
        if pressure == .pause {
            await withCheckedContinuation { continuation in fill.whenWritable { continuation.resume() } }
        }
    }
    return try await fill.finish()
}

func configuration(_ durability: CacheStore.Durability) -> CacheStore.Configuration {
    var configuration = CacheStore.Configuration()
    configuration.maxBytes = 2 << 30
    configuration.durability = durability
    return configuration
}

/// Seconds to store `bodies`, one after another or all at once.
func storeWrite(_ bodies: [[UInt8]], _ durability: CacheStore.Durability, concurrent: Bool) async throws -> Double {
    let directory = temporaryDirectory()
    defer { removeDirectory(directory) }
    let store = try CacheStore.open(directory: directory, configuration: configuration(durability))
    defer { store.close() }
    let start = now()
    if concurrent {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, body) in bodies.enumerated() {
                group.addTask { _ = try await fill(store, "http://bench/\(index)", body) }
            }
            try await group.waitForAll()
        }
    } else {
        for (index, body) in bodies.enumerated() { _ = try await fill(store, "http://bench/\(index)", body) }
    }
    return now() - start
}

/// Reads every stored body through `BodyReader`, lending (no copy) or copying into arrays.
func storeRead(_ store: CacheStore, count: Int, copying: Bool) throws -> Double {
    var checksum: UInt8 = 0
    var sink = [UInt8](repeating: 0, count: 1 << 20)
    let elapsed = try seconds {
        for index in 0..<count {
            guard let variant = try store.variant(forKey: "http://bench/\(index)") else { fatalError("missing") }
            let reader = try store.openBody(variant)
            if copying {
                while case .data(let bytes) = try reader.read() { checksum &+= bytes[0] }
            } else {
                // Lent bytes copied once into a reused buffer, as a socket write would copy them.
                var offset = 0
                while case .data(let count) = try reader.withNext(
                    maxBytes: 1 << 20,
                    { lent -> Int in
                        sink.withUnsafeMutableBytes {
                            $0.baseAddress!.copyMemory(from: lent.baseAddress!, byteCount: lent.count)
                        }
                        return lent.count
                    })
                {
                    offset += count
                    checksum &+= sink[0]
                }
            }
            reader.close()
        }
    }
    blackHole(checksum)
    return elapsed
}

/// Lookups per second from `threads` threads for about a second, each picking random keys.
func lookupsPerSecond(threads: Int, _ lookup: @escaping @Sendable (Int) -> Void) -> Double {
    let perThread = 400_000 / threads
    let start = now()
    DispatchQueue.concurrentPerform(iterations: threads) { thread in
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<perThread { lookup(Int.random(in: 0..<smallEntries, using: &generator)) }
        blackHole(thread)
    }
    return Double(perThread * threads) / (now() - start)
}

var rows: [Row] = []
let repetitions = 3

/// The middle of the runs.
func middle(_ runs: [Double]) -> Double { runs.sorted()[runs.count / 2] }

/// The median of `repetitions` runs of `body`.
func median(_ body: () throws -> Double) rethrows -> Double {
    var runs: [Double] = []
    for _ in 0..<repetitions { runs.append(try body()) }
    return middle(runs)
}
let bodies = (0..<bodyCount).map { payload(seed: UInt64($0) + 1, count: bodySize) }
let totalBytes = bodySize * bodyCount

// Writes: plain file first, then the store in both durability modes, sequential and concurrent.
let plainDirectory = temporaryDirectory()
let plainMBs = median {
    megabytesPerSecond(totalBytes, PlainFile.write(bodies, directory: plainDirectory, piece: piece))
}
for (name, durability) in [("full sync", CacheStore.Durability.full), ("meta async", .metaAsync)] {
    for concurrent in [false, true] {
        var runs: [Double] = []
        for _ in 0..<repetitions {
            runs.append(
                megabytesPerSecond(totalBytes, try await storeWrite(bodies, durability, concurrent: concurrent)))
        }
        let how = concurrent ? "concurrently" : "one by one"
        rows.append(
            Row(
                measure: "write \(bodyCount) × 64 MiB \(how), \(name)", store: middle(runs), baseline: plainMBs,
                unit: "MB/s"))
    }
}

// Reads (warm page cache for both: the data was just written).
let readDirectory = temporaryDirectory()
let readStore = try CacheStore.open(directory: readDirectory, configuration: configuration(.full))
for (index, body) in bodies.enumerated() { _ = try await fill(readStore, "http://bench/\(index)", body) }
let plainRead = median {
    megabytesPerSecond(totalBytes, PlainFile.read(count: bodyCount, directory: plainDirectory, piece: 1 << 20))
}
let lent = try median { megabytesPerSecond(totalBytes, try storeRead(readStore, count: bodyCount, copying: false)) }
let copied = try median { megabytesPerSecond(totalBytes, try storeRead(readStore, count: bodyCount, copying: true)) }
rows.append(
    Row(
        measure: "read 4 × 64 MiB, lent, copied once into a buffer (warm)", store: lent, baseline: plainRead,
        unit: "MB/s"))
rows.append(
    Row(measure: "read 4 × 64 MiB, copied into new arrays (warm)", store: copied, baseline: plainRead, unit: "MB/s"))
readStore.close()
removeDirectory(readDirectory)
PlainFile.remove(count: bodyCount, directory: plainDirectory)

// Small entries: 20,000 variants with 1 KiB bodies, against 20,000 1 KiB files (open/read/close).
let smallDirectory = temporaryDirectory()
let smallStore = try CacheStore.open(directory: smallDirectory, configuration: configuration(.full))
let small = payload(seed: 77, count: 1024)
for batch in stride(from: 0, to: smallEntries, by: 500) {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for index in batch..<min(batch + 500, smallEntries) {
            group.addTask {
                _ = try await fill(smallStore, "http://small.bench/item/\(index)", small + [UInt8(index & 0xff)])
            }
        }
        try await group.waitForAll()
    }
}
for index in 0..<smallEntries {
    let descriptor = open("\(plainDirectory)/small-\(index)", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    _ = small.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    close(descriptor)
}
for threads in [1, 2, 4] {
    let lookups = lookupsPerSecond(threads: threads) { index in
        blackHole(try? smallStore.variants(forKey: "http://small.bench/item/\(index)"))
    }
    let files = lookupsPerSecond(threads: threads) { index in
        var buffer = [UInt8](repeating: 0, count: 2048)
        let descriptor = open("\(plainDirectory)/small-\(index)", O_RDONLY)
        _ = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
    }
    rows.append(
        Row(
            measure: "lookups (metadata), \(threads) thread\(threads > 1 ? "s" : "") vs open+read+close",
            store: lookups, baseline: files, unit: "ops/s"))
}
let hitAndRead = lookupsPerSecond(threads: 2) { index in
    guard let variant = try? smallStore.variant(forKey: "http://small.bench/item/\(index)"),
        let reader = try? smallStore.openBody(variant)
    else { return }
    blackHole(try? reader.read())
    reader.close()
}
rows.append(Row(measure: "lookup + read 1 KiB body, 2 threads", store: hitAndRead, baseline: nil, unit: "ops/s"))
smallStore.close()
removeDirectory(smallDirectory)
removeDirectory(plainDirectory)

print("| measure | store | plain file | store / file | unit |")
print("|---|---:|---:|---:|---|")
rows.forEach { print($0.line) }
