import Proxy

/// The readable form of a `/stats` document: what the cache did, at a glance.
enum StatsTable {
    static func render(_ stats: JSONValue, origin: String) -> String {
        var lines: [String] = []
        func count(_ key: String, _ from: JSONValue? = nil) -> Int64 { (from ?? stats)[key]?.intValue ?? 0 }
        let isServer = stats["source"]?.stringValue == "server"
        var title = "Larder cache statistics, \(origin)"
        if isServer, let uptime = stats["uptime_seconds"]?.intValue { title += " (up \(Format.duration(uptime)))" }
        lines += [title, ""]

        if isServer {
            let requests = count("requests")
            lines.append("Requests       \(Format.pad(String(requests), 10, right: true))   hit ratio "
                + "\(Format.percent(stats["hit_ratio"]?.doubleValue ?? 0)), byte hit ratio "
                + "\(Format.percent(stats["byte_hit_ratio"]?.doubleValue ?? 0))")
            let rows: [(String, String, String)] = [
                ("hits", "hits", "answered from the store"),
                ("stale served", "stale_served", "stale answers (allowed by the request, or stale-if-error)"),
                ("revalidated", "revalidated", "origin said 304: stored body served"),
                ("misses", "misses", "fetched from the origin"),
                ("coalesced", "coalesced", "answered from another request's fetch in progress"),
                ("bypassed", "bypassed", "not for the cache (methods other than GET/HEAD)"),
                ("errors", "errors", "status 5xx or failed exchanges"),
            ]
            for (label, key, meaning) in rows {
                let number = Format.pad(String(count(key)), 10, right: true)
                lines.append("  \(Format.pad(label, 13))\(number)   \(meaning)")
            }
            lines.append("")
            lines.append("Bytes        from cache \(Format.bytes(count("bytes_from_cache"))), from origin "
                + "\(Format.bytes(count("bytes_from_origin"))), saved by coalescing "
                + "\(Format.bytes(count("bytes_saved_by_coalescing")))")
        } else {
            lines.append("Traffic counters are kept by a running server; this is what the store on disk holds.")
        }

        if let store = stats["store"] {
            lines.append("")
            let budget = store["bytes_budget"]?.intValue
            var used = "  used       \(Format.bytes(count("bytes_used", store)))"
            if let budget, budget > 0 {
                let share = Format.percent(Double(count("bytes_used", store)) / Double(budget))
                used += " of \(Format.bytes(budget)) budget (\(share))"
            } else {
                used += " (the budget is the server's cache.size)"
            }
            lines += [
                "Store        \(count("objects", store)) objects, \(count("variants", store)) variants, "
                    + "\(count("bodies", store)) distinct bodies",
                used,
                "  bodies     \(Format.bytes(count("body_bytes", store))) served size, "
                    + "\(Format.bytes(count("stored_body_bytes", store))) stored",
                "  dedup      \(Format.bytes(count("dedup_bytes_saved", store))) saved by bodies stored once; "
                    + "\(count("deduplicated_fills", store)) fill(s) so far found their body already stored",
                "  evictions  \(count("evictions", store)), purged \(count("purged", store)), saved hits "
                    + "\(count("saved_hits", store))",
            ]
        } else if isServer {
            lines += ["", "Store        caching is off"]
        }

        let fills = stats["fills_in_flight"]?.arrayValue ?? []
        if isServer {
            lines.append("")
            if fills.isEmpty {
                lines.append("Fills in flight: none")
            } else {
                lines.append("Fills in flight: \(fills.count)")
                for fill in fills.prefix(10) {
                    lines.append("  \(Format.pad(String(count("waiters", fill)), 4, right: true)) waiting  "
                        + (fill["key"]?.stringValue ?? "?"))
                }
            }
            for (title, key, measure) in [
                ("Top hosts by hits", "top_hosts_by_hits", "hits"),
                ("Top hosts by bytes", "top_hosts_by_bytes", "bytes"),
                ("Top URLs by hits", "top_urls_by_hits", "hits"), ("Top URLs by bytes", "top_urls_by_bytes", "bytes"),
            ] {
                let rows = stats[key]?.arrayValue ?? []
                guard !rows.isEmpty else { continue }
                lines += ["", title]
                for row in rows {
                    let value = count(measure, row)
                    let shown = measure == "bytes" ? Format.bytes(value) : String(value)
                    lines.append("  \(Format.pad(shown, 10, right: true))  \(row["key"]?.stringValue ?? "?")")
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}
