import CacheStore
import Dispatch
import TestSupport
import Testing

@Suite("Streaming fills")
struct FillTests {
    @Test("a reader following a fill in progress gets exactly the final bytes")
    func readerFollowsFill() async throws {
        try await withStore { store, _ in
            let bytes = testBytes(seed: 11, count: 10 << 20)
            let fill = try store.beginFill(primaryKey: "http://fill.test/big", metadata: testMetadata())
            let reader = try fill.view.openReader()
            let readBeforeFinish = Shared(0)
            let finished = Shared(false)
            async let followed: [UInt8] = {
                var collected: [UInt8] = []
                while let piece = try await reader.next() {
                    collected += piece
                    let count = collected.count
                    if !finished.current { readBeforeFinish.update { $0 = count } }
                }
                return collected
            }()
            // Write half, then wait until the reader has read committed bytes before going on.
            let half = bytes.count / 2
            try await fill.write(Array(bytes[..<half]))
            for await event in fill.view.events() {
                if case .committed(let committed) = event, committed >= Int64(store.chunkSize) { break }
            }
            while readBeforeFinish.current == 0 {
                await withCheckedContinuation { continuation in
                    reader.whenReadable { continuation.resume() }
                }
                await Task.yield()
            }
            try await fill.write(Array(bytes[half...]))
            let variant = try await fill.finish()
            finished.update { $0 = true }
            let result = try await followed
            #expect(readBeforeFinish.current > 0, "the reader read while the fill was in progress")
            #expect(result.count == bytes.count)
            #expect(SHA256.hash(result) == variant.digest)
            #expect(variant.digest == SHA256.hash(bytes))
        }
    }

    @Test("a reader that caught up before the first commit is woken by that commit, not by the end")
    func readerBeforeFirstCommit() async throws {
        try await withStore { store, _ in
            let fill = try store.beginFill(primaryKey: "http://fill.test/early", metadata: testMetadata())
            let reader = try fill.view.openReader()
            guard case .waiting = try reader.read() else {
                Issue.record("nothing is committed yet: the reader waits")
                return
            }
            let chunk = testBytes(seed: 5, count: store.chunkSize)
            try await fill.write(chunk)
            await withCheckedContinuation { continuation in
                reader.whenReadable { continuation.resume() }
            }
            guard case .data(let bytes) = try reader.read() else {
                Issue.record("the first committed chunk is readable before the fill ends")
                return
            }
            #expect(bytes == chunk)
            #expect(fill.view.progress.outcome == nil)
            fill.abort()
        }
    }

    @Test("bytes appended but not yet committed are readable at once, and an append wakes a waiting reader")
    func readerGetsBufferedBytes() async throws {
        try await withStore { store, _ in
            let fill = try store.beginFill(primaryKey: "http://fill.test/buffered", metadata: testMetadata())
            let reader = try fill.view.openReader()
            let first = testBytes(seed: 7, count: 1000)
            try fill.append(first)
            guard case .data(let bytes) = try reader.read() else {
                Issue.record("appended bytes are readable before any commit")
                return
            }
            #expect(bytes == first)
            #expect(fill.view.progress.committedBytes == 0)
            guard case .waiting = try reader.read() else {
                Issue.record("caught up: the reader waits")
                return
            }
            let woken = Shared(false)
            reader.whenReadable { woken.update { $0 = true } }
            #expect(!woken.current)
            let second = testBytes(seed: 8, count: store.chunkSize + 10)  // completes chunk 0, starts chunk 1
            try fill.append(second)
            #expect(woken.current)
            var rest: [UInt8] = []
            while case .data(let more) = try reader.read() { rest += more }
            let variant = try await fill.finish()
            while let more = try await reader.next() { rest += more }
            #expect(rest == second)
            #expect(variant.bodySize == Int64(first.count + second.count))
        }
    }

    @Test("a reader of a fill whose body turns out to be a duplicate still reads it all")
    func readerFollowsDeduplicatedFill() async throws {
        try await withStore { store, _ in
            let bytes = testBytes(seed: 12, count: 3 << 20)
            let original = try await store.store("http://dup.test/original", bytes)
            let fill = try store.beginFill(primaryKey: "http://dup.test/copy", metadata: testMetadata())
            let early = try fill.view.openReader()
            try await fill.write(Array(bytes[..<(1 << 20)]))
            try await store.flush()
            guard case .data(let first) = try early.read() else {
                Issue.record("committed bytes were not readable")
                return
            }
            try await fill.write(Array(bytes[(1 << 20)...]))
            let variant = try await fill.finish()
            #expect(variant.bodyID == original.bodyID)
            let late = try fill.view.openReader()
            #expect(try await first + early.readAll() == bytes)
            #expect(try await late.readAll() == bytes)
            try await store.flush()
            let report = try store.checkIntegrity()
            #expect(report.isConsistent, "\(report.problems)")
            #expect(report.pendingBodies == 0, "the duplicate's own chunks are freed once its reader closed")
        }
    }

    @Test("observers see commits in order, then the completion")
    func observerSeesEvents() async throws {
        try await withStore { store, _ in
            let fill = try store.beginFill(primaryKey: "http://events.test/a", metadata: testMetadata())
            let events = fill.view.events()
            let collected = Task {
                var seen: [FillEvent] = []
                for await event in events { seen.append(event) }
                return seen
            }
            for index in 0..<6 { try await fill.write(testBytes(seed: UInt64(index), count: 200_000)) }
            let variant = try await fill.finish()
            let seen = await collected.value
            var last: Int64 = -1
            for event in seen.dropLast() {
                guard case .committed(let bytes) = event else {
                    Issue.record("unexpected \(event)")
                    continue
                }
                #expect(bytes >= last)
                last = bytes
            }
            guard case .completed(let completed)? = seen.last else {
                Issue.record("no completion event")
                return
            }
            #expect(completed == variant)
            #expect(fill.view.progress.committedBytes == 1_200_000)
        }
    }

    @Test("an aborted fill leaves nothing servable and no chunks")
    func abortLeavesNothing() async throws {
        try await withStore { store, _ in
            let fill = try store.beginFill(primaryKey: "http://abort.test/a", metadata: testMetadata())
            let reader = try fill.view.openReader()
            try await fill.write(testBytes(seed: 1, count: 3 * store.chunkSize + 10))
            try await store.flush()
            #expect(fill.view.progress.committedBytes == Int64(3 * store.chunkSize))
            fill.abort()
            var readerError: StoreError?
            do throws(StoreError) {
                while try await reader.next() != nil {}
            } catch {
                readerError = error
            }
            #expect(readerError == .aborted)
            reader.close()
            try await store.flush()
            #expect(try store.variant(forKey: "http://abort.test/a") == nil)
            #expect(throws: StoreError.aborted) { try fill.append([1, 2, 3]) }
            let stats = try store.stats()
            #expect(stats.fillsAborted == 1)
            #expect(stats.pendingBytes == 0)
            let report = try store.checkIntegrity()
            #expect(report.chunks == 0)
            #expect(report.pendingBodies == 0)
            #expect(report.isConsistent, "\(report.problems)")
        }
    }

    @Test("a fill dropped without finishing is aborted")
    func droppedFillAborts() async throws {
        try await withStore { store, _ in
            var view: FillView?
            do {
                let fill = try store.beginFill(primaryKey: "http://abort.test/dropped", metadata: testMetadata())
                try await fill.write(testBytes(seed: 1, count: 500_000))
                view = fill.view
            }
            try await store.flush()
            guard case .aborted(let error)? = view?.progress.outcome else {
                Issue.record("the dropped fill did not end aborted")
                return
            }
            #expect(error == .aborted)
            #expect(try store.checkIntegrity().chunks == 0)
        }
    }

    @Test("a fill past the maximum object size is aborted with tooLarge")
    func enforcesMaximumSize() async throws {
        var configuration = CacheStore.Configuration()
        configuration.maxObjectBytes = 1 << 20
        try await withStore(configuration) { store, _ in
            let fill = try store.beginFill(primaryKey: "http://big.test/a", metadata: testMetadata())
            try fill.append(testBytes(seed: 1, count: 1 << 20))
            #expect(throws: StoreError.tooLarge) { try fill.append([0]) }
            try await store.flush()
            #expect(try store.stats().fillsAborted == 1)
            #expect(try store.checkIntegrity().chunks == 0)
        }
    }

    @Test("append asks to pause above the high-water mark and whenWritable resumes it")
    func appliesBackpressure() async throws {
        var configuration = CacheStore.Configuration()
        configuration.fillHighWaterBytes = 1 << 20
        try await withStore(configuration) { store, _ in
            // Hold the writer thread inside an observer callback so the queue cannot drain.
            let release = DispatchSemaphore(value: 0)
            let blocker = try store.beginFill(primaryKey: "http://pressure.test/blocker", metadata: testMetadata())
            await withCheckedContinuation { (held: CheckedContinuation<Void, Never>) in
                let once = Shared(false)
                _ = blocker.view.observe { _ in
                    guard !once.update({ seen in defer { seen = true }; return seen }) else { return }
                    held.resume()
                    release.wait()
                }
                _ = try? blocker.append(testBytes(seed: 0, count: store.chunkSize))
            }
            let fill = try store.beginFill(primaryKey: "http://pressure.test/a", metadata: testMetadata())
            var pressures: [Backpressure] = []
            for index in 0..<5 {
                pressures.append(try fill.append(testBytes(seed: UInt64(index), count: store.chunkSize)))
            }
            #expect(pressures == [.ready, .ready, .ready, .ready, .pause], "over 1 MiB queued after 5 chunks")
            let resumed = Shared(false)
            fill.whenWritable { resumed.update { $0 = true } }
            #expect(!resumed.current, "not writable while the writer is held")
            release.signal()
            await withCheckedContinuation { continuation in
                fill.whenWritable { continuation.resume() }
            }
            _ = try await fill.finish()
            _ = try await blocker.finish()
            #expect(resumed.current)
        }
    }

    @Test("concurrent fills are committed together and all complete")
    func groupsConcurrentFills() async throws {
        try await withStore { store, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<16 {
                    group.addTask {
                        let bytes = testBytes(seed: UInt64(worker), count: 700_000 + worker * 1_000)
                        let variant = try await store.store("http://group.test/\(worker)", bytes, piece: 50_000)
                        #expect(variant.digest == SHA256.hash(bytes))
                    }
                }
                try await group.waitForAll()
            }
            let stats = try store.stats()
            #expect(stats.fillsCompleted == 16)
            #expect(try store.checkIntegrity(verifyDigests: true).isConsistent)
        }
    }
}
