/// An HTTP/1.1 request as the socket server parsed it.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path without the query (`/v1/operations/abc`), percent-decoding not applied.
    public var path: String
    public var query: [String: String]
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Who is on the other end of the socket (SO_PEERCRED).
    public var peer: PeerCredentials

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// The process on the other end of a Unix socket, as the kernel reports it.
public struct PeerCredentials: Sendable, Hashable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}

/// A response: status, headers, and a body that is either whole or streamed in chunks.
public struct HTTPResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        /// Pulled until it returns nil; each element goes out as one chunk (NDJSON lines, say).
        case stream(@Sendable () async -> [UInt8]?)
    }

    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Body

    public init(status: Int, headers: [(name: String, value: String)] = [], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [("Content-Type", "application/json")], body: .bytes(Array((text + "\n").utf8)))
    }

    public static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8")
        -> HTTPResponse
    {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: .bytes(Array(text.utf8)))
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status"
        }
    }
}

/// Parses HTTP/1.1 requests from bytes, with hard limits: a hostile client gets an error status, never the
/// daemon's memory.
public struct HTTPRequestParser: Sendable {
    public static let maximumHeaderBytes = 16 << 10
    public static let maximumBodyBytes = 1 << 20

    public enum Outcome: Sendable {
        /// More bytes are needed.
        case incomplete
        /// A request, and how many bytes of the buffer it used.
        case request(method: String, target: String, headers: [(name: String, value: String)], body: [UInt8], used: Int)
        /// The request is unacceptable: answer with this status and close.
        case failure(status: Int, message: String)
    }

    public static func parse(_ buffer: [UInt8]) -> Outcome {
        // Find the end of the head: CRLF CRLF (a bare LF LF is tolerated, as most servers do).
        var headEnd: Int?
        var bodyStart = 0
        var i = 0
        while i + 1 < buffer.count {
            if buffer[i] == 0x0A && buffer[i + 1] == 0x0A {
                headEnd = i
                bodyStart = i + 2
                break
            }
            if i + 3 < buffer.count && buffer[i] == 0x0D && buffer[i + 1] == 0x0A && buffer[i + 2] == 0x0D
                && buffer[i + 3] == 0x0A
            {
                headEnd = i
                bodyStart = i + 4
                break
            }
            i += 1
        }
        guard let headEnd else {
            if buffer.count > maximumHeaderBytes {
                return .failure(status: 431, message: "request head larger than \(maximumHeaderBytes) bytes")
            }
            return .incomplete
        }
        guard headEnd <= maximumHeaderBytes else {
            return .failure(status: 431, message: "request head larger than \(maximumHeaderBytes) bytes")
        }
        let head = buffer[0..<headEnd]
        guard head.allSatisfy({ $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || ($0 >= 0x20 && $0 < 0x7F) }) else {
            return .failure(status: 400, message: "request head has bytes that are not printable ASCII")
        }
        // Split on bytes: as Swift characters, "\r\n" is one grapheme and would not split on "\n".
        let lines = head.split(separator: 0x0A, omittingEmptySubsequences: false).map { line -> Substring in
            let bytes = line.last == 0x0D ? line.dropLast() : line
            return Substring(String(decoding: bytes, as: UTF8.self))
        }
        let requestLine = lines[0].split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3, !requestLine[0].isEmpty, requestLine[1].hasPrefix("/") else {
            return .failure(status: 400, message: "malformed request line")
        }
        guard requestLine[2] == "HTTP/1.1" || requestLine[2] == "HTTP/1.0" else {
            return .failure(status: 505, message: "only HTTP/1.1 is spoken here")
        }
        guard requestLine[1].utf8.count <= 2048 else {
            return .failure(status: 414, message: "request target too long")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                !line[..<colon].contains(where: { $0 == " " || $0 == "\t" })
            else { return .failure(status: 400, message: "malformed header line") }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            headers.append((String(line[..<colon]), value))
        }
        guard headers.count <= 100 else { return .failure(status: 431, message: "too many header fields") }
        if headers.contains(where: { $0.name.lowercased() == "transfer-encoding" }) {
            return .failure(status: 411, message: "send a Content-Length body, not chunked")
        }
        var length = 0
        let lengths = headers.filter { $0.name.lowercased() == "content-length" }
        if !lengths.isEmpty {
            guard lengths.count == 1, let n = Int(lengths[0].value), n >= 0 else {
                return .failure(status: 400, message: "invalid Content-Length")
            }
            guard n <= maximumBodyBytes else {
                return .failure(status: 413, message: "body larger than \(maximumBodyBytes) bytes")
            }
            length = n
        }
        guard buffer.count - bodyStart >= length else { return .incomplete }
        return .request(
            method: String(requestLine[0]), target: String(requestLine[1]), headers: headers,
            body: Array(buffer[bodyStart..<bodyStart + length]), used: bodyStart + length)
    }

    /// Splits `/path?a=1&b=2` (values percent-decoded, `+` as space).
    public static func splitTarget(_ target: String) -> (path: String, query: [String: String]) {
        guard let q = target.firstIndex(of: "?") else { return (target, [:]) }
        var query: [String: String] = [:]
        for pair in target[target.index(after: q)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(String(kv[0]))
            query[key] = kv.count > 1 ? percentDecode(String(kv[1])) : ""
        }
        return (String(target[..<q]), query)
    }

    public static func percentDecode(_ s: String) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%"), bytes.count >= 2,
                let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16)
            {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
