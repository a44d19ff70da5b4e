import NIOCore

/// Holds back `read()` calls while the other side of the proxy cannot take more bytes.
///
/// Backpressure in both directions is the same move: when the peer channel stops being writable,
/// stop reading from this one, and read again once it drains. A `ChannelDuplexHandler` owns a gate
/// and routes its `read(context:)` through ``read(context:)``.
public struct ReadGate {
    private var paused = false
    private var readPending = false

    public init() {}

    public var isPaused: Bool { self.paused }

    /// Forwards the read unless paused, in which case it is remembered.
    public mutating func read(context: ChannelHandlerContext) {
        if self.paused {
            self.readPending = true
        } else {
            context.read()
        }
    }

    public mutating func pause() {
        self.paused = true
    }

    /// Lifts the pause and issues the read that was held back, if any.
    public mutating func resume(context: ChannelHandlerContext) {
        self.paused = false
        if self.readPending {
            self.readPending = false
            context.read()
        }
    }
}
