import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Turns process signals into an async sequence point: each `await next()` returns the next one received.
final class SignalWaiter {
    private var iterator: AsyncStream<Int32>.AsyncIterator
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.iterator = stream.makeAsyncIterator()
        self.sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    func next() async -> Int32 {
        await self.iterator.next() ?? SIGTERM
    }
}
