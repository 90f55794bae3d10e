/// An HTTP method: the four the control plane uses, and any other a caller names (the local API's `DELETE`).
public struct HTTPMethod: Hashable, Sendable, CustomStringConvertible {
    /// The method as sent, upper-case.
    public var rawValue: String

    /// A method from its name (upper-cased).
    public init(_ name: String) { rawValue = name.uppercased() }

    /// `GET`: redirects are followed.
    public static let get = HTTPMethod("GET")
    /// `POST`: the body is sent (again on every retry); redirects are not followed.
    public static let post = HTTPMethod("POST")
    /// `PUT`: as `POST`.
    public static let put = HTTPMethod("PUT")
    /// `HEAD`: the response has headers and no body.
    public static let head = HTTPMethod("HEAD")
    /// `DELETE`: as `POST`.
    public static let delete = HTTPMethod("DELETE")

    public var description: String { rawValue }
}

/// A request: method, URL, headers and body bytes.
public struct HTTPRequest: Sendable {
    /// The method.
    public var method: HTTPMethod
    /// An absolute `https://` URL (`http://` only with `Options.allowPlainHTTP`).
    public var url: String
    /// Headers to send, in order. They replace libcurl's own of the same name (`User-Agent`, `Accept`); a request
    /// with a body and no `Content-Type` is sent without one.
    public var headers: [(name: String, value: String)]
    /// The body, sent for any method but `GET` and `HEAD` (`Content-Length`, never chunked).
    public var body: [UInt8]

    /// A request from its parts.
    public init(
        method: HTTPMethod = .get, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The value of the last header called `name` (any case).
    public func header(_ name: String) -> String? { headers.lastValue(of: name) }

    /// Replaces any headers called `name` (any case) with one `name: value`.
    public mutating func setHeader(_ name: String, _ value: String) {
        let lower = name.lowercased()
        headers.removeAll { $0.name.lowercased() == lower }
        headers.append((name, value))
    }
}

/// An HTTPS request's outcome.
public struct HTTPSResponse: Sendable {
    /// The status of the final response (after redirects).
    public var status: Int
    /// The body, decoded when the server compressed it (gzip, deflate); empty for `HEAD`.
    public var body: [UInt8]
    /// The final response's headers, in order.
    public var headers: [(name: String, value: String)]
    /// How many attempts it took (1 when the first one was answered).
    public var attempts: Int = 1

    /// A response from its parts.
    public init(status: Int, body: [UInt8], headers: [(name: String, value: String)], attempts: Int = 1) {
        self.status = status
        self.body = body
        self.headers = headers
        self.attempts = attempts
    }

    /// The value of the last header called `name` (any case).
    public func header(_ name: String) -> String? { headers.lastValue(of: name) }

    /// The `ETag` header, quotes and any `W/` included, as `If-None-Match` wants it back.
    public var etag: String? { header("ETag") }

    /// `Retry-After` in seconds (the HTTP-date form is not honoured: it needs a clock we trust).
    public var retryAfter: Duration? {
        guard let text = header("Retry-After"), let seconds = Int64(text), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }

    /// 429 or 5xx: the statuses worth another attempt.
    public var isRetryableStatus: Bool { status == 429 || (500...599).contains(status) }
}

/// What a conditional GET (`If-None-Match`) found.
public enum ConditionalResponse: Sendable {
    /// 304: what the caller has (the ETag it gave) is current.
    case notModified
    /// 2xx: new content; its `etag` is the one to store for next time.
    case modified(HTTPSResponse)
}

extension [(name: String, value: String)] {
    func lastValue(of name: String) -> String? {
        let lower = name.lowercased()
        return last { $0.name.lowercased() == lower }?.value
    }
}
