import CCurl

// The one file that speaks to libcurl: one blocking transfer per call.

extension HTTPSClient {
    /// Opens libcurl (once per process; it also runs curl_global_init).
    static func loadLibrary(_ url: String) throws(TransportError) {
        var message = [CChar](repeating: 0, count: 256)
        guard patchd_curl_load(&message, UInt(message.count)) == 0 else {
            throw TransportError(
                code: .setup, url: url,
                message: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
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

    private func milliseconds(_ d: Duration) -> Int {
        Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }

    /// The header lines for libcurl: the caller's, then blanks that remove libcurl's defaults the caller did not
    /// replace (`Expect: 100-continue`, and a form `Content-Type` for a body without one).
    private func headerLines(_ request: HTTPRequest, sendsBody: Bool) throws(TransportError) -> [String] {
        var lines: [String] = []
        for (name, value) in request.headers {
            let badName = name.isEmpty || name.utf8.contains { $0 <= 0x20 || $0 == UInt8(ascii: ":") || $0 >= 0x7F }
            guard !badName, !value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) else {
                throw TransportError(
                    code: .invalidRequest, url: request.url, message: "header \(name.debugDescription) cannot be sent")
            }
            // "Name;" is libcurl's way to send a header with an empty value.
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        if request.header("Expect") == nil { lines.append("Expect:") }
        if sendsBody, request.header("Content-Type") == nil { lines.append("Content-Type:") }
        return lines
    }

    /// One blocking transfer, bounded by the total timeout; any status is returned. `socketPath` sends plain HTTP
    /// over a Unix socket (the local daemon; there is no network then), `onData` streams the body.
    func perform(
        _ request: HTTPRequest, socketPath: String? = nil, onData: ((UnsafeBufferPointer<UInt8>) -> Void)? = nil
    ) throws(TransportError) -> HTTPSResponse {
        let url = request.url
        try HTTPSClient.loadLibrary(url)
        let sendsBody = request.method != .get && request.method != .head
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { patchd_curl_slist_free_all(headerList) }
        for line in try headerLines(request, sendsBody: sendsBody) {
            guard let appended = patchd_curl_slist_append(headerList, line) else {
                throw TransportError(code: .setup, url: url, message: "out of memory for the request headers")
            }
            headerList = appended
        }
        guard let handle = patchd_curl_easy_init() else {
            throw TransportError(code: .setup, url: url, message: "curl_easy_init failed")
        }
        defer { patchd_curl_easy_cleanup(handle) }
        let sink = Sink(limit: options.maximumBytes, onData: onData)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var code = CURLE_OK
        func set(_ result: CURLcode) { if code == CURLE_OK { code = result } }
        func set(_ option: CURLoption, _ value: String) {
            value.withCString { set(patchd_curl_set_string(handle, option, $0)) }
        }
        let protocols = options.allowPlainHTTP || socketPath != nil ? "https,http" : "https"
        if let socketPath { set(CURLOPT_UNIX_SOCKET_PATH, socketPath) }
        set(CURLOPT_URL, url)
        set(CURLOPT_PROTOCOLS_STR, protocols)
        set(CURLOPT_REDIR_PROTOCOLS_STR, protocols)
        switch request.method {
        case .get: set(patchd_curl_set_long(handle, CURLOPT_HTTPGET, 1))
        case .head: set(patchd_curl_set_long(handle, CURLOPT_NOBODY, 1))
        case .post: set(patchd_curl_set_long(handle, CURLOPT_POST, 1))
        default: set(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
        }
        set(patchd_curl_set_slist(handle, CURLOPT_HTTPHEADER, headerList))
        set(patchd_curl_set_long(handle, CURLOPT_SSL_VERIFYPEER, 1))
        set(patchd_curl_set_long(handle, CURLOPT_SSL_VERIFYHOST, 2))
        if let ca = options.caFile { set(CURLOPT_CAINFO, ca) }
        if let pin = options.pinnedPublicKey { set(CURLOPT_PINNEDPUBLICKEY, pin) }
        if let client = options.clientCertificate {
            set(CURLOPT_SSLCERT, client.certificateFile)
            set(CURLOPT_SSLKEY, client.keyFile)
        }
        // Always set both, so that libcurl reads no proxy variable of its own: "" means none and no exceptions.
        let (proxy, noProxy) = socketPath == nil ? options.effectiveProxy(for: url) : (nil, "")
        set(CURLOPT_PROXY, proxy ?? "")
        set(CURLOPT_NOPROXY, noProxy)
        // Redirects only for GET and HEAD: a body is never re-sent somewhere else.
        set(patchd_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, sendsBody ? 0 : 1))
        set(patchd_curl_set_long(handle, CURLOPT_MAXREDIRS, 5))
        set(patchd_curl_set_long(handle, CURLOPT_NOSIGNAL, 1))
        set(patchd_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(options.connectTimeout)))
        set(patchd_curl_set_long(handle, CURLOPT_TIMEOUT_MS, milliseconds(options.totalTimeout)))
        set(patchd_curl_set_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(options.maximumBytes)))
        // "": every encoding this libcurl decodes (gzip, deflate, …); the body arrives decoded.
        set(CURLOPT_ACCEPT_ENCODING, "")
        set(CURLOPT_USERAGENT, "patchd")
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
                // A redirect's, a proxy's CONNECT answer's or a 100's headers are not ours.
                if line.hasPrefix("HTTP/") { sink.headers.removeAll() }
                if let colon = line.firstIndex(of: ":") {
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: " \r\n\t")
                    sink.headers.append((String(line[..<colon]), value))
                }
                return n
            })
        // The request body: libcurl copies it (COPYPOSTFIELDS), so no pointer outlives this call, and every retry
        // sends it again.
        if sendsBody {
            var requestBody = request.body
            set(patchd_curl_set_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(requestBody.count)))
            if requestBody.isEmpty { requestBody = [0] }  // a valid pointer; the size above says 0
            requestBody.withUnsafeMutableBytes {
                set(patchd_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS, $0.baseAddress))
            }
        }
        errorBuffer.withUnsafeMutableBufferPointer {
            set(patchd_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, $0.baseAddress))
        }
        guard code == CURLE_OK else {
            throw TransportError(
                code: .setup, url: url, message: "libcurl setup: \(String(cString: patchd_curl_easy_strerror(code)))")
        }
        let result = patchd_curl_easy_perform(handle)
        let detail = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let message = detail.isEmpty ? String(cString: patchd_curl_easy_strerror(result)) : detail
        func failure(_ code: TransportError.Code, _ message: String) -> TransportError {
            TransportError(code: code, url: url, message: message)
        }
        switch result {
        case CURLE_OK:
            var status = 0
            patchd_curl_info_long(handle, CURLINFO_RESPONSE_CODE, &status)
            return HTTPSResponse(status: status, body: sink.body, headers: sink.headers)
        case CURLE_WRITE_ERROR where sink.exceeded, CURLE_FILESIZE_EXCEEDED:
            throw failure(.tooLarge, "response larger than \(options.maximumBytes) bytes; the transfer was stopped")
        case CURLE_OPERATION_TIMEDOUT:
            throw failure(.timeout, "timed out: \(message)")
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            throw failure(.tls, "TLS: the server's public key does not match the pinned public key (\(message))")
        case CURLE_SSL_CLIENTCERT:
            throw failure(.tls, "TLS: the server requires a client certificate (\(message))")
        case CURLE_SSL_CERTPROBLEM:
            throw failure(.tls, "TLS: the client certificate or its key cannot be used (\(message))")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CIPHER,
            CURLE_SSL_ISSUER_ERROR:
            throw failure(.tls, "TLS: \(message)")
        case CURLE_RECV_ERROR where message.contains("alert certificate required"):
            // TLS 1.3: the server refuses the missing certificate after the client's side of the handshake is done.
            throw failure(.tls, "TLS: the server requires a client certificate (\(message))")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            throw failure(.invalidURL, message)
        default:
            throw failure(.connection, message)
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
