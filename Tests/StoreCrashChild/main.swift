// A child process for the store's crash test.
//
//   StoreCrashChild fill DIR SEED   fill objects forever from 3 concurrent tasks; after each fill's
//                                   commit print `done KEY SIZE DIGEST` (so a printed line means
//                                   committed). The parent kills it with SIGKILL at a random point.
//   StoreCrashChild hang DIR        begin a fill, commit a few chunks, print `ready`, then wait to be
//                                   killed (a crash with a fill in progress).
//   StoreCrashChild verify DIR      open the store (start-up cleanup runs), check it, and check that
//                                   every `done` line on stdin is present with its size and digest.
//                                   Prints `ok …` and exits 0, or prints the problems and exits 1.
import CacheStore
import Glibc

/// Writes one whole line to stdout with a single write(2), so lines from concurrent tasks never
/// interleave and a line is either printed entirely or not at all.
func say(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    say("error \(message)")
    exit(1)
}

/// Deterministic bytes: a splitmix64 stream, so the same seed always gives the same body.
func body(seed: UInt64, count: Int) -> [UInt8] {
    var state = seed
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { raw in
        var index = 0
        while index < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            mixed ^= mixed >> 31
            withUnsafeBytes(of: mixed) { word in
                let take = min(8, count - index)
                raw.baseAddress!.advanced(by: index).copyMemory(from: word.baseAddress!, byteCount: take)
            }
            index += 8
        }
    }
    return bytes
}

func configuration() -> CacheStore.Configuration {
    var configuration = CacheStore.Configuration()
    configuration.maxBytes = 48 << 20
    return configuration
}

func open(_ directory: String) -> CacheStore {
    do {
        return try CacheStore.open(directory: directory, configuration: configuration())
    } catch {
        fail("open: \(error)")
    }
}

func metadata() -> ResponseMetadata {
    ResponseMetadata(
        status: 200,
        headers: [HeaderField(name: "content-type", value: "application/octet-stream")],
        requestTime: 1_700_000_000_000,
        responseTime: 1_700_000_000_100
    )
}

/// One worker: fills objects of 0 to 1.5 MiB, some with bodies shared across keys (dedup).
func fillForever(_ store: CacheStore, seed: UInt64, worker: UInt64) async {
    var generator = SystemRandomNumberGenerator()
    var round: UInt64 = 0
    while true {
        round += 1
        let key = "http://crash.test/\(seed)/\(worker)/\(round)"
        // Begin before making the bytes, so a kill almost always finds fills in progress.
        let fill: Fill
        do {
            fill = try store.beginFill(primaryKey: key, metadata: metadata())
        } catch {
            fail("begin \(key): \(error)")
        }
        // One body in four comes from a small shared pool, so identical bodies meet (dedup).
        let shared = Int.random(in: 0..<16, using: &generator)
        let bytes: [UInt8]
        if shared < 4 {
            bytes = body(seed: UInt64(shared) &+ 7, count: [0, 4000, 300_000, 1 << 20][shared])
        } else {
            let size = Int.random(in: 0...(3 << 19), using: &generator)
            bytes = body(seed: seed &* 1_000_003 &+ worker &* 7919 &+ round, count: size)
        }
        do {
            var offset = 0
            while offset < bytes.count {
                let piece = min(bytes.count - offset, Int.random(in: 1...(96 << 10), using: &generator))
                try await fill.write(Array(bytes[offset..<offset + piece]))
                offset += piece
            }
            let variant = try await fill.finish()
            say("done \(key) \(variant.bodySize) \(variant.digest.hex)")
        } catch {
            fail("fill \(key): \(error)")
        }
    }
}

func verify(_ directory: String) -> Int32 {
    let store = open(directory)
    defer { store.close() }
    var problems: [String] = []
    var checked = 0
    do {
        let report = try store.checkIntegrity(verifyDigests: true)
        problems += report.problems
        if report.pendingBodies != 0 { problems.append("\(report.pendingBodies) pending bodies after start-up") }
        if report.orphanChunks != 0 { problems.append("\(report.orphanChunks) orphan chunks") }
        while let line = readLine() {
            let fields = line.split(separator: " ")
            guard fields.count == 4, fields[0] == "done" else { continue }
            checked += 1
            let key = String(fields[1])
            guard let variant = try store.variant(forKey: key) else {
                problems.append("committed \(key) is missing")
                continue
            }
            if String(variant.bodySize) != fields[2] || variant.digest.hex != fields[3] {
                problems.append(
                    "\(key) is \(variant.bodySize) \(variant.digest.hex), expected \(fields[2]) \(fields[3])")
            }
            let reader = try store.openBody(variant)
            var hasher = SHA256()
            var total: Int64 = 0
            while case .data(let bytes) = try reader.read() {
                hasher.update(bytes)
                total += Int64(bytes.count)
            }
            if total != variant.bodySize || hasher.finish() != variant.digest {
                problems.append("\(key) body does not match its record")
            }
        }
        let stats = try store.stats()
        guard problems.isEmpty else {
            problems.prefix(20).forEach { say("problem \($0)") }
            return 1
        }
        say(
            "ok variants=\(report.variants) bodies=\(report.bodies) chunks=\(report.chunks) checked=\(checked) "
                + "aborted=\(stats.fillsAborted) completed=\(stats.fillsCompleted) evictions=\(stats.evictions)")
        return 0
    } catch {
        say("problem \(error)")
        return 1
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: StoreCrashChild fill DIR SEED | hang DIR | verify DIR") }
switch arguments[1] {
case "fill":
    let store = open(arguments[2])
    let seed = arguments.count > 3 ? UInt64(arguments[3]) ?? 1 : 1
    await withTaskGroup(of: Void.self) { group in
        for worker in 0..<3 {
            group.addTask { await fillForever(store, seed: seed, worker: UInt64(worker)) }
        }
    }
case "hang":
    let store = open(arguments[2])
    do {
        let fill = try store.beginFill(primaryKey: "http://crash.test/hanging", metadata: metadata())
        try await fill.write(body(seed: 99, count: 3 * store.chunkSize + 100))
        try await store.flush()
        say("ready \(fill.bodyID.rawValue)")
        while true { pause() }
    } catch {
        fail("hang: \(error)")
    }
case "verify":
    exit(verify(arguments[2]))
default:
    fail("unknown mode \(arguments[1])")
}
