/// An admin API request, as the routes see it: method, path, decoded parameters (query string and
/// a form-encoded body together) and the bearer token, if any.
struct AdminRequest: Sendable {
    var method: String
    var path: String
    var parameters: [String: String]
    var bearerToken: String?

    init(method: String, uri: String, authorization: String?, body: [UInt8]) {
        self.method = method
        var target = Substring(uri)
        // `PURGE http://host/path` (absolute form) names the URL to purge as the target.
        if let query = target.firstIndex(of: "?") {
            self.parameters = Self.decodeForm(target[target.index(after: query)...])
            target = target[..<query]
        } else {
            self.parameters = [:]
        }
        self.path = String(target)
        if !body.isEmpty {
            for (name, value) in Self.decodeForm(Substring(decoding: body, as: UTF8.self)) {
                self.parameters[name] = value
            }
        }
        if let authorization, authorization.lowercased().hasPrefix("bearer ") {
            self.bearerToken = String(authorization.dropFirst("bearer ".count)).trimmingSpaces
        }
    }

    /// `application/x-www-form-urlencoded`: `name=value&…`, `+` for space, percent escapes decoded.
    static func decodeForm(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first.map({ Self.percentDecoded($0) }), !name.isEmpty else { continue }
            result[name] = parts.count > 1 ? Self.percentDecoded(parts[1]) : ""
        }
        return result
    }

    static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else {
                    bytes.append(byte)
                    continue
                }
                bytes.append(value)
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    var trimmingSpaces: String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
