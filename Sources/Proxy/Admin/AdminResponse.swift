/// An admin API answer: status, content type and body text.
struct AdminResponse: Sendable {
    var status: Int
    var contentType: String
    var body: String
    var headers: [(String, String)] = []

    static func text(_ status: Int, _ text: String) -> AdminResponse {
        AdminResponse(status: status, contentType: "text/plain; charset=utf-8", body: text + "\n")
    }

    static func json(_ value: JSONValue, status: Int = 200) -> AdminResponse {
        AdminResponse(status: status, contentType: "application/json", body: value.serialized(pretty: true) + "\n")
    }

    /// A JSON error: `{"error": "…"}`.
    static func error(_ status: Int, _ message: String) -> AdminResponse {
        .json(.object([("error", .string(message))]), status: status)
    }
}
