import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A deliberately simple HTTP/1.1 client over a Unix socket, for tests of the daemon: one request per
/// connection, `Connection: close`, the whole response read (chunked bodies decoded), a receive timeout.
public enum UnixHTTPClient {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        /// A header's value by case-insensitive name.
        public func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    public static func connect(_ path: String, timeoutSeconds: Int = 30) throws -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw TestSupportError("path too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket: errno \(errno)") }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let e = errno
            close(fd)
            throw TestSupportError("connect \(path): \(String(cString: strerror(e)))")
        }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Sends raw bytes and reads until the server closes (for malformed-request tests).
    public static func raw(_ path: String, _ bytes: [UInt8], timeoutSeconds: Int = 10) throws -> [UInt8] {
        let fd = try connect(path, timeoutSeconds: timeoutSeconds)
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            offset += n
        }
        shutdown(fd, Int32(SHUT_WR))
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return out
    }

    public static func request(
        _ path: String, method: String = "GET", _ target: String, body: String? = nil,
        headers: [(String, String)] = [], timeoutSeconds: Int = 30
    ) throws -> Response {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: patchd\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        head += "\r\n"
        let raw = try raw(path, Array((head + (body ?? "")).utf8), timeoutSeconds: timeoutSeconds)
        return try parse(raw)
    }

    public static func parse(_ raw: [UInt8]) throws -> Response {
        guard let end = find([13, 10, 13, 10], in: raw) else {
            throw TestSupportError(
                "no HTTP response head in \(raw.count) bytes: \(String(decoding: raw, as: UTF8.self))")
        }
        let lines = String(decoding: raw[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw TestSupportError("bad status line: \(lines[0])")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        var body = Array(raw[(end + 4)...])
        if headers["transfer-encoding"] == "chunked" {
            var decoded: [UInt8] = []
            var rest = body[...]
            while let lineEnd = find([13, 10], in: Array(rest)) {
                let size = Int(String(decoding: rest.prefix(lineEnd), as: UTF8.self), radix: 16) ?? 0
                rest = rest.dropFirst(lineEnd + 2)
                if size == 0 { break }
                decoded += rest.prefix(size)
                rest = rest.dropFirst(size + 2)
            }
            body = decoded
        }
        return Response(status: status, headers: headers, body: body)
    }

    static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i..<i + needle.count].elementsEqual(needle) { return i }
        return nil
    }
}
