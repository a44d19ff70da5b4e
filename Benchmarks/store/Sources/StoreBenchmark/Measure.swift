import Glibc

/// Monotonic seconds.
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Seconds `body` takes.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = now()
    try body()
    return now() - start
}

func megabytesPerSecond(_ bytes: Int, _ seconds: Double) -> Double {
    Double(bytes) / 1_048_576 / seconds
}

/// Deterministic incompressible-looking bytes.
func payload(seed: UInt64, count: Int) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        var state = seed | 1
        for index in stride(from: 0, to: count & ~7, by: 8) {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            UnsafeMutableRawPointer(buffer.baseAddress!).storeBytes(of: state, toByteOffset: index, as: UInt64.self)
        }
        for index in (count & ~7)..<count { buffer[index] = UInt8(truncatingIfNeeded: index) }
        initialized = count
    }
}

/// One row of the result table.
struct Row {
    var measure: String
    var store: Double
    var baseline: Double?
    var unit: String

    var line: String {
        let ratio = self.baseline.map { decimal(self.store / $0, places: 2) } ?? "–"
        let baseline = self.baseline.map { decimal($0, places: 0) } ?? "–"
        return "| \(self.measure) | \(decimal(self.store, places: 0)) | \(baseline) | \(ratio) | \(self.unit) |"
    }
}

/// `value` with `places` decimals (no Foundation formatter).
func decimal(_ value: Double, places: Int) -> String {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    guard places > 0 else { return String(scaled) }
    let whole = String(scaled / Int(scale))
    let fraction = String(scaled % Int(scale))
    return whole + "." + String(repeating: "0", count: places - fraction.count) + fraction
}
