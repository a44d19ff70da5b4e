import CacheStore
import Glibc
import TestSupport
import Testing

/// Real crashes: a child process (Tests/StoreCrashChild) writes to the store and is killed with
/// SIGKILL; this process then opens the store and checks it.
@Suite("Crash safety", .serialized)
struct CrashTests {
    /// The child's budget, so reopening here does not evict what the child kept.
    static var configuration: CacheStore.Configuration {
        var configuration = CacheStore.Configuration()
        configuration.maxBytes = 48 << 20
        return configuration
    }

    @Test("kill -9 at random points loses nothing committed and leaves nothing partial")
    func survivesKillNine() async throws {
        let child = try ChildProcess.siblingExecutable(named: "StoreCrashChild")
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var killedMidFill = 0
        var checked = 0
        // The child never aborts a fill itself: a rise in aborted fills is the start-up cleanup
        // finding the fills the kill interrupted.
        var abortedBefore: UInt64 = 0
        for round in 1...50 {
            let process = try ChildProcess(child, ["fill", directory.path, String(round)], captureOutput: true)
            // Kill after K reported fills plus a random delay: anywhere from during open to mid-fill.
            let linesBeforeKill = Int.random(in: 0...3)
            var reported: [String] = []
            while reported.count < linesBeforeKill, let line = process.readLine() {
                reported.append(line)
            }
            usleep(UInt32.random(in: 0...20_000))
            process.signal(SIGKILL)
            // Every line the child wrote before dying was written after its commit: collect them all.
            while let line = process.readLine() { reported.append(line) }
            process.wait()

            let store = try CacheStore.open(directory: directory.path, configuration: Self.configuration)
            defer { store.close() }
            let report = try store.checkIntegrity(verifyDigests: round % 10 == 0)
            #expect(report.isConsistent, "round \(round): \(report.problems)")
            #expect(report.pendingBodies == 0, "round \(round): start-up cleanup left filling bodies")
            #expect(report.orphanChunks == 0, "round \(round): orphan chunks")
            let aborted = try store.stats().fillsAborted
            if aborted > abortedBefore { killedMidFill += 1 }
            abortedBefore = aborted
            for line in reported {
                let fields = line.split(separator: " ").map(String.init)
                guard fields.count == 4, fields[0] == "done" else {
                    Issue.record("round \(round): child said \(line)")
                    continue
                }
                let variant = try #require(try store.variant(forKey: fields[1]), "round \(round): \(fields[1]) lost")
                #expect(String(variant.bodySize) == fields[2])
                #expect(variant.digest.hex == fields[3])
                var hasher = SHA256()
                var size: Int64 = 0
                let reader = try store.openBody(variant)
                while case .data(let bytes) = try reader.read() {
                    hasher.update(bytes)
                    size += Int64(bytes.count)
                }
                reader.close()
                #expect(size == variant.bodySize && hasher.finish() == variant.digest, "round \(round): \(fields[1])")
                checked += 1
            }
        }
        #expect(killedMidFill >= 5, "kills should often land in the middle of fills")
        #expect(checked > 50)
    }

    @Test("start-up cleanup removes the chunks of a fill the crash interrupted")
    func cleansUpInterruptedFill() async throws {
        let child = try ChildProcess.siblingExecutable(named: "StoreCrashChild")
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let process = try ChildProcess(child, ["hang", directory.path], captureOutput: true)
        let ready = process.readLine()
        #expect(ready?.hasPrefix("ready ") == true, "child said \(ready ?? "nothing")")
        process.signal(SIGKILL)
        process.wait()

        let store = try CacheStore.open(directory: directory.path, configuration: Self.configuration)
        defer { store.close() }
        let report = try store.checkIntegrity()
        #expect(report.isConsistent, "\(report.problems)")
        #expect(report.chunks == 0)
        #expect(report.pendingBodies == 0)
        #expect(try store.variant(forKey: "http://crash.test/hanging") == nil)
        let stats = try store.stats()
        #expect(stats.fillsAborted == 1)
        #expect(stats.pendingBytes == 0)
        #expect(stats.budgetedBytes == 0)
    }
}
