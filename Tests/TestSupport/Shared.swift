import Synchronization

/// A value shared between a test and callbacks on other threads.
public final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    public init(_ value: Value) {
        self.value = Mutex(value)
    }

    public func update<T: Sendable>(_ body: @Sendable (inout Value) -> T) -> T {
        self.value.withLock { body(&$0) }
    }

    public var current: Value { self.value.withLock { $0 } }
}
