import CCurl

/// An HTTPS request's outcome.
public struct HTTPSResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    public var headers: [(name: String, value: String)]

    public func header(_ name: String) -> String? {
        headers.last { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// What went wrong, with an opaque code, a message that names the URL, and libcurl's own words.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public static let invalidURL = Code(name: "invalidURL")
        public static let connection = Code(name: "connection")
        public static let tls = Code(name: "tls")
        public static let timeout = Code(name: "timeout")
        public static let tooLarge = Code(name: "tooLarge")
        public static let httpStatus = Code(name: "httpStatus")
        public static let setup = Code(name: "setup")
        public var description: String { name }
    }

    public var code: Code
    public var url: String
    public var message: String
    public var status: Int?

    public var description: String { "\(url): \(message)" }
}

/// HTTPS GETs with libcurl. Certificate and host verification are always on (there is no switch to turn them off);
/// a CA bundle may be added for a private control plane. Connect and total timeouts, a response size limit,
/// retries with exponential backoff on connection errors, 429 and 5xx (never on other 4xx), gzip, proxies from
/// `https_proxy`/`no_proxy` (libcurl's own handling).
public struct HTTPSClient: Sendable {
    public struct Options: Sendable {
        /// A PEM file of CA certificates to trust (default: the system bundle).
        public var caFile: String?
        public var connectTimeout: Duration = .seconds(10)
        public var totalTimeout: Duration = .seconds(60)
        public var maximumBytes: Int = 64 << 20
        public var retries: Int = 2
        public var initialBackoff: Duration = .milliseconds(500)
        /// Accept plain `http://` (only for loopback tests of things that are not about transport security).
        public var allowPlainHTTP = false

        public init(caFile: String? = nil) { self.caFile = caFile }
    }

    public var options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Opens libcurl (once per process; it also runs curl_global_init).
    static func loadLibrary(_ url: String) throws(TransportError) {
        var message = [CChar](repeating: 0, count: 256)
        guard patchd_curl_load(&message, UInt(message.count)) == 0 else {
            throw TransportError(
                code: .setup, url: url,
                message: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                status: nil)
        }
    }

    public func get(_ url: String) async throws(TransportError) -> HTTPSResponse {
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || (options.allowPlainHTTP && lower.hasPrefix("http://")) else {
            throw TransportError(code: .invalidURL, url: url, message: "only https:// URLs are fetched", status: nil)
        }
        var attempt = 0
        var backoff = options.initialBackoff
        while true {
            do throws(TransportError) {
                let response = try perform(url)
                if response.status == 429 || (500...599).contains(response.status), attempt < options.retries {
                    attempt += 1
                    try? await Task.sleep(for: jitter(backoff))
                    backoff *= 2
                    continue
                }
                guard (200...299).contains(response.status) else {
                    throw TransportError(
                        code: .httpStatus, url: url, message: "HTTP status \(response.status)",
                        status: response.status)
                }
                return response
            } catch {
                guard error.code == .connection || error.code == .timeout, attempt < options.retries else {
                    throw error
                }
                attempt += 1
                try? await Task.sleep(for: jitter(backoff))
                backoff *= 2
            }
        }
    }

    private func jitter(_ d: Duration) -> Duration {
        d
            + .milliseconds(
                Int64.random(
                    in: 0...Int64(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000) / 4
                        + 1))
    }

    /// Collects the body, refusing beyond the limit (the write callback's context).
    final class Sink {
        var body: [UInt8] = []
        var headers: [(name: String, value: String)] = []
        let limit: Int
        var exceeded = false
        /// Streaming: each piece of the body as it arrives (then `body` is not kept).
        let onData: ((UnsafeBufferPointer<UInt8>) -> Void)?
        init(limit: Int, onData: ((UnsafeBufferPointer<UInt8>) -> Void)? = nil) {
            self.limit = limit
            self.onData = onData
        }
    }

    /// A request to a local daemon over a Unix socket (plain HTTP on the socket; there is no network).
    struct LocalRequest {
        var socketPath: String
        var method: String
        var body: [UInt8]?
        var onData: ((UnsafeBufferPointer<UInt8>) -> Void)?
    }

    private func milliseconds(_ d: Duration) -> Int {
        Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }

    /// One blocking transfer. (The daemon calls it off the cooperative pool's hot paths; a transfer is bounded by
    /// the total timeout.)
    func perform(_ url: String, local: LocalRequest? = nil) throws(TransportError) -> HTTPSResponse {
        try HTTPSClient.loadLibrary(url)
        guard let handle = patchd_curl_easy_init() else {
            throw TransportError(code: .setup, url: url, message: "curl_easy_init failed", status: nil)
        }
        defer { patchd_curl_easy_cleanup(handle) }
        let sink = Sink(limit: options.maximumBytes, onData: local?.onData)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var code = CURLE_OK
        func set(_ result: CURLcode) { if code == CURLE_OK { code = result } }
        let protocols = options.allowPlainHTTP || local != nil ? "https,http" : "https"
        if let local {
            local.socketPath.withCString { set(patchd_curl_set_string(handle, CURLOPT_UNIX_SOCKET_PATH, $0)) }
            local.method.withCString { set(patchd_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, $0)) }
        }
        url.withCString { set(patchd_curl_set_string(handle, CURLOPT_URL, $0)) }
        protocols.withCString {
            set(patchd_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, $0))
            set(patchd_curl_set_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, $0))
        }
        set(patchd_curl_set_long(handle, CURLOPT_SSL_VERIFYPEER, 1))
        set(patchd_curl_set_long(handle, CURLOPT_SSL_VERIFYHOST, 2))
        set(patchd_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 1))
        set(patchd_curl_set_long(handle, CURLOPT_MAXREDIRS, 5))
        set(patchd_curl_set_long(handle, CURLOPT_NOSIGNAL, 1))
        set(patchd_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(options.connectTimeout)))
        set(patchd_curl_set_long(handle, CURLOPT_TIMEOUT_MS, milliseconds(options.totalTimeout)))
        set(patchd_curl_set_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(options.maximumBytes)))
        "".withCString { set(patchd_curl_set_string(handle, CURLOPT_ACCEPT_ENCODING, $0)) }
        "patchd".withCString { set(patchd_curl_set_string(handle, CURLOPT_USERAGENT, $0)) }
        if let ca = options.caFile { ca.withCString { set(patchd_curl_set_string(handle, CURLOPT_CAINFO, $0)) } }
        set(patchd_curl_set_pointer(handle, CURLOPT_WRITEDATA, context))
        set(patchd_curl_set_pointer(handle, CURLOPT_HEADERDATA, context))
        set(
            patchd_curl_set_write(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
                let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
                let n = size * count
                if let onData = sink.onData {
                    data!.withMemoryRebound(to: UInt8.self, capacity: n) {
                        onData(UnsafeBufferPointer(start: $0, count: n))
                    }
                    return n
                }
                if sink.body.count + n > sink.limit {
                    sink.exceeded = true
                    return 0  // makes libcurl stop with CURLE_WRITE_ERROR
                }
                data!.withMemoryRebound(to: UInt8.self, capacity: n) {
                    sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n))
                }
                return n
            })
        set(
            patchd_curl_set_write(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
                let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
                let n = size * count
                let line = data!.withMemoryRebound(to: UInt8.self, capacity: n) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
                }
                if line.hasPrefix("HTTP/") { sink.headers.removeAll() }  // a redirect's headers are not ours
                if let colon = line.firstIndex(of: ":") {
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: " \r\n\t")
                    sink.headers.append((String(line[..<colon]), value))
                }
                return n
            })
        // The request body, when there is one: libcurl copies it (COPYPOSTFIELDS), so no pointer outlives this call.
        if var requestBody = local?.body {
            set(patchd_curl_set_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(requestBody.count)))
            requestBody.withUnsafeMutableBytes {
                set(patchd_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS, $0.baseAddress))
            }
        }
        errorBuffer.withUnsafeMutableBufferPointer {
            set(patchd_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, $0.baseAddress))
        }
        guard code == CURLE_OK else {
            throw TransportError(
                code: .setup, url: url, message: "libcurl setup: \(String(cString: patchd_curl_easy_strerror(code)))",
                status: nil)
        }
        let result = patchd_curl_easy_perform(handle)
        let detail = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let message = detail.isEmpty ? String(cString: patchd_curl_easy_strerror(result)) : detail
        switch result {
        case CURLE_OK:
            var status = 0
            patchd_curl_info_long(handle, CURLINFO_RESPONSE_CODE, &status)
            return HTTPSResponse(status: status, body: sink.body, headers: sink.headers)
        case CURLE_WRITE_ERROR where sink.exceeded, CURLE_FILESIZE_EXCEEDED:
            throw TransportError(
                code: .tooLarge, url: url, message: "response larger than \(options.maximumBytes) bytes", status: nil)
        case CURLE_OPERATION_TIMEDOUT:
            throw TransportError(code: .timeout, url: url, message: "timed out: \(message)", status: nil)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR:
            throw TransportError(code: .tls, url: url, message: "TLS: \(message)", status: nil)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            throw TransportError(code: .invalidURL, url: url, message: message, status: nil)
        default:
            throw TransportError(code: .connection, url: url, message: message, status: nil)
        }
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
