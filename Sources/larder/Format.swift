/// Number formatting for the CLI's tables.
enum Format {
    /// `1.2 MiB`, `512 B`.
    static func bytes(_ value: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value)
        var unit = 0
        while abs(amount) >= 1024, unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : "\(Self.decimal(amount, places: 1)) \(units[unit])"
    }

    /// `58.3%`.
    static func percent(_ fraction: Double) -> String {
        "\(Self.decimal(fraction * 100, places: 1))%"
    }

    /// `2h 3m`, `4m 10s`, `12s`; negative durations get a minus sign.
    static func duration(_ seconds: Int64) -> String {
        if seconds < 0 { return "-" + Self.duration(-seconds) }
        if seconds >= 86_400 { return "\(seconds / 86_400)d \(seconds % 86_400 / 3600)h" }
        if seconds >= 3600 { return "\(seconds / 3600)h \(seconds % 3600 / 60)m" }
        if seconds >= 60 { return "\(seconds / 60)m \(seconds % 60)s" }
        return "\(seconds)s"
    }

    static func decimal(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        let whole = abs(scaled) / Int64(scale)
        let fraction = String(abs(scaled) % Int64(scale))
        let sign = scaled < 0 ? "-" : ""
        guard places > 0 else { return "\(sign)\(whole)" }
        return "\(sign)\(whole)." + String(repeating: "0", count: places - fraction.count) + fraction
    }

    /// Pads to `width` (left-aligned text, or right-aligned numbers with `right`).
    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}
