/// Waits until `condition` holds, checking it every few milliseconds, for at most `timeout`. Returns
/// whether it held: for state that another thread reaches (a request queued, an origin request seen).
public func eventually(timeout: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return true
}
