import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Turns process signals into an async sequence point: `await next()` returns the first one received.
final class SignalWaiter {
    private let stream: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        self.sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    func next() async -> Int32 {
        var iterator = self.stream.makeAsyncIterator()
        return await iterator.next() ?? SIGTERM
    }
}
