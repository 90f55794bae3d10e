/// An HTTP request as SigV4 sees it: method, where it goes, headers and body bytes.
///
/// `path` is the path as sent on the wire (already percent-encoded, as in the request line); `query` holds the
/// decoded name/value pairs in their order, duplicates included. The canonical form re-encodes both as SigV4 says.
public struct SigV4Request: Sendable {
    /// `GET`, `POST`, …; upper-cased when signed.
    public var method: String
    /// `https` or `http`: decides the default port left out of the `Host` header.
    public var scheme: String
    /// The host name, lower-case, without brackets for IPv6 literals.
    public var host: String
    /// The port when the URL gave one.
    public var port: Int?
    /// The percent-encoded path as sent, starting with `/`.
    public var path: String
    /// Decoded query parameters, in order.
    public var query: [(name: String, value: String)]
    /// Headers in order; names compare without regard to case.
    public var headers: [(name: String, value: String)]
    /// The exact body bytes.
    public var body: [UInt8]

    /// A request from its parts; an empty `path` is `/`.
    public init(
        method: String, scheme: String = "https", host: String, port: Int? = nil, path: String = "/",
        query: [(name: String, value: String)] = [], headers: [(name: String, value: String)] = [],
        body: [UInt8] = []
    ) {
        self.method = method
        self.scheme = scheme.lowercased()
        self.host = host.lowercased()
        self.port = port
        self.path = path.isEmpty ? "/" : path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// A request for an absolute `http(s)://host[:port]/path?query` URL (user information and any fragment are
    /// dropped; the query is decoded, `+` kept as it is).
    /// - Throws: `SigV4Error` with code `invalidURL` when the URL is not absolute HTTP(S) or a query escape is bad.
    public init(
        method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []
    ) throws(SigV4Error) {
        func invalid(_ why: String) -> SigV4Error { SigV4Error(.invalidURL, "\(url): \(why)") }
        var rest = Substring(url)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        guard let schemeEnd = rest.range(of: "://") else { throw invalid("not an absolute URL") }
        let scheme = rest[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else { throw invalid("not an http(s) URL") }
        rest = rest[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("unterminated IPv6 literal") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                throw invalid("bad host")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw invalid("no host") }
        var port: Int?
        if let portText, !portText.isEmpty {
            guard let number = Int(portText), (1...65535).contains(number) else { throw invalid("bad port") }
            port = number
        }
        var path = rest
        var query: [(name: String, value: String)] = []
        if let mark = rest.firstIndex(of: "?") {
            path = rest[..<mark]
            guard let items = AWSURIEncoding.queryItems(rest[rest.index(after: mark)...]) else {
                throw invalid("a query parameter has a malformed percent-escape or is not UTF-8")
            }
            query = items
        }
        self.init(
            method: method, scheme: String(scheme), host: String(host), port: port, path: String(path), query: query,
            headers: headers, body: body)
    }

    /// A request as a server receives it: the request target (`/path?query`) and the headers, `Host` among them,
    /// which gives `host` and `port`.
    /// - Throws: `SigV4Error` `invalidURL` when the target is not an origin-form path, or `Host` is missing or bad.
    public init(
        method: String, scheme: String = "https", target: String, headers: [(name: String, value: String)],
        body: [UInt8] = []
    ) throws(SigV4Error) {
        guard target.hasPrefix("/") else { throw SigV4Error(.invalidURL, "\(target): not a path") }
        guard let host = headers.last(where: { $0.name.lowercased() == "host" })?.value.trimmedOfSpaces,
            !host.isEmpty, !host.contains("/"), !host.contains("@")
        else { throw SigV4Error(.invalidURL, "\(target): no usable Host header") }
        try self.init(method: method, url: "\(scheme)://\(host)\(target)", headers: headers, body: body)
    }

    /// The `Host` header's value: the host, and the port unless it is the scheme's default.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        guard let port, port != (scheme == "http" ? 80 : 443) else { return name }
        return "\(name):\(port)"
    }

    /// The URL to send: scheme, `Host`, path and the query encoded as SigV4 encodes it, in the given order.
    public var url: String {
        let q = query.isEmpty ? "" : "?" + AWSURIEncoding.queryString(query)
        return "\(scheme)://\(hostHeader)\(path)\(q)"
    }

    /// The value of the last header called `name` (any case).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.last { $0.name.lowercased() == lower }?.value
    }

    /// All the values of headers called `name` (any case), in order.
    public func headerValues(_ name: String) -> [String] {
        let lower = name.lowercased()
        return headers.filter { $0.name.lowercased() == lower }.map(\.value)
    }

    /// Removes every header called `name` (any case).
    public mutating func removeHeaders(_ name: String) {
        let lower = name.lowercased()
        headers.removeAll { $0.name.lowercased() == lower }
    }

    /// Replaces any headers called `name` with one `name: value`.
    public mutating func setHeader(_ name: String, _ value: String) {
        removeHeaders(name)
        headers.append((name, value))
    }
}

/// Why a request could not be signed or parsed.
public struct SigV4Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, for code that branches on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// A URL that is not absolute HTTP(S), or whose query does not decode.
        public static let invalidURL = Code(name: "invalidURL")
        /// A presigned URL's lifetime outside 1 second … 7 days.
        public static let invalidExpiry = Code(name: "invalidExpiry")
        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// What was wrong, naming the input.
    public var message: String

    /// An error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
