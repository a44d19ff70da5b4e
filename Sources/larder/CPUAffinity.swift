#if canImport(Glibc)
import Glibc
#endif

/// The CPUs this process may run on (its affinity mask), so `taskset -c 0 larder` runs one event
/// loop rather than one per core of the machine.
enum CPUAffinity {
    /// Counts the bits of `Cpus_allowed` in /proc/self/status; falls back to the online CPU count.
    static func availableCount() -> Int {
        let online = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        guard let file = fopen("/proc/self/status", "r") else { return online }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 4096)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("Cpus_allowed:") else { continue }
            let mask = text.dropFirst("Cpus_allowed:".count)
            let count = mask.reduce(0) { total, character in
                total + (character.hexDigitValue.map { $0.nonzeroBitCount } ?? 0)
            }
            return count > 0 ? min(count, online) : online
        }
        return online
    }
}
