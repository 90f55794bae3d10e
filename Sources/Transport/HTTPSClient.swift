#if canImport(Glibc)
    import Glibc
#endif

/// What went wrong, with an opaque code, a message that names the URL, and libcurl's own words.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, for code that branches on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// A URL that is not `https://` (or not a URL).
        public static let invalidURL = Code(name: "invalidURL")
        /// A header that cannot be sent (a line break in it, an empty name).
        public static let invalidRequest = Code(name: "invalidRequest")
        /// No connection, or it broke: retried.
        public static let connection = Code(name: "connection")
        /// Certificate verification, public-key pinning, a client certificate refused or unreadable: not retried.
        public static let tls = Code(name: "tls")
        /// The connect or total timeout passed: retried.
        public static let timeout = Code(name: "timeout")
        /// The response grew beyond `Options.maximumBytes`; the transfer was stopped there.
        public static let tooLarge = Code(name: "tooLarge")
        /// A status the caller did not accept (`status` says which).
        public static let httpStatus = Code(name: "httpStatus")
        /// libcurl could not be loaded or set up.
        public static let setup = Code(name: "setup")
        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// The URL of the request.
    public var url: String
    /// What happened, in words.
    public var message: String
    /// The HTTP status, for `httpStatus`.
    public var status: Int?
    /// How many attempts were made before giving up.
    public var attempts: Int = 1

    /// An error from its parts.
    public init(code: Code, url: String, message: String, status: Int? = nil, attempts: Int = 1) {
        self.code = code
        self.url = url
        self.message = message
        self.status = status
        self.attempts = attempts
    }

    /// Connection errors and timeouts: another attempt may succeed.
    public var isRetryable: Bool { code == .connection || code == .timeout }

    public var description: String {
        "\(url): \(message)" + (attempts > 1 ? " (after \(attempts) attempts)" : "")
    }
}

/// HTTPS with libcurl. Certificate and host verification are always on (there is no switch to turn them off); a
/// CA file may be given for a private control plane, the server's public key may be pinned, and a client certificate
/// presented. Proxies come from the options or, explicitly, from `https_proxy`/`no_proxy`. Connect and total
/// timeouts, a response size limit enforced while the body arrives, gzip and deflate decoded, retries with
/// exponential backoff and jitter on connection errors, timeouts, 429 and 5xx (never on other 4xx).
///
/// A transfer blocks the calling thread (libcurl's easy interface) for at most `totalTimeout` per attempt.
public struct HTTPSClient: Sendable {
    /// A client certificate and its private key, both PEM files.
    public struct ClientCertificate: Sendable, Hashable {
        /// The certificate (CURLOPT_SSLCERT); it may carry its chain after it.
        public var certificateFile: String
        /// The unencrypted private key (CURLOPT_SSLKEY).
        public var keyFile: String

        /// A certificate and key from their paths.
        public init(certificateFile: String, keyFile: String) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
        }
    }

    /// How requests reach the server.
    public enum Proxy: Sendable, Hashable {
        /// `https_proxy`, else `HTTPS_PROXY` (`http_proxy` for plain-HTTP tests), with the hosts in `no_proxy`,
        /// else `NO_PROXY`, reached directly. `ALL_PROXY` and an upper-case `HTTP_PROXY` are not read. The
        /// environment is `Options.environment`, else the process's.
        case environment
        /// Straight to the server, whatever the environment says.
        case direct
        /// Through this proxy (`http://host:port`; HTTPS is tunnelled with CONNECT), except for the hosts in
        /// `noProxy` (comma-separated names, domains as `.example.com` or `example.com`, IP addresses, or `*`).
        case url(String, noProxy: String = "")
    }

    /// How the client connects and what it accepts.
    public struct Options: Sendable {
        /// A PEM file of CA certificates to trust (default: the system bundle).
        public var caFile: String?
        /// The server's public key, pinned (CURLOPT_PINNEDPUBLICKEY): `sha256//<base64>` hashes of the
        /// SubjectPublicKeyInfo separated by `;`, or a PEM or DER file holding the key. Checked in addition to the
        /// certificate chain, never instead of it.
        public var pinnedPublicKey: String?
        /// A certificate to present when the server asks for one.
        public var clientCertificate: ClientCertificate?
        /// The proxy (default: from the environment).
        public var proxy: Proxy = .environment
        /// The environment `Proxy.environment` reads (default: the process's).
        public var environment: [String: String]?
        /// The limit for connecting, TLS handshake included.
        public var connectTimeout: Duration = .seconds(10)
        /// The limit for one whole attempt.
        public var totalTimeout: Duration = .seconds(60)
        /// The largest body accepted, after decoding; a larger one stops the transfer as soon as it passes this.
        public var maximumBytes: Int = 64 << 20
        /// When and how often to try again.
        public var retry = RetryPolicy()
        /// Accept plain `http://` (only for loopback tests of things that are not about transport security).
        public var allowPlainHTTP = false

        /// Options with the defaults, trusting `caFile` when given.
        public init(caFile: String? = nil) { self.caFile = caFile }

        /// The proxy a request to `url` goes through (nil: direct) and the hosts that bypass it, as given to
        /// libcurl (which then reads no environment variable itself).
        public func effectiveProxy(for url: String) -> (proxy: String?, noProxy: String) {
            switch proxy {
            case .direct:
                return (nil, "")
            case .url(let proxy, let noProxy):
                return (proxy.isEmpty ? nil : proxy, noProxy)
            case .environment:
                let names = url.lowercased().hasPrefix("http://") ? ["http_proxy"] : ["https_proxy", "HTTPS_PROXY"]
                let proxy = names.lazy.compactMap(variable).first
                let noProxy = ["no_proxy", "NO_PROXY"].lazy.compactMap(variable).first ?? ""
                return (proxy, noProxy)
            }
        }

        private func variable(_ name: String) -> String? {
            let value = environment.map { $0[name] } ?? getenv(name).map { String(cString: $0) }
            guard let value, !value.isEmpty else { return nil }
            return value
        }
    }

    /// How the client connects and what it accepts.
    public var options: Options

    /// A client with these options.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// Sends `request`, trying again (with the same body) after connection errors, timeouts and the responses
    /// `shouldRetry` accepts (by default 429 and 5xx), as `options.retry` allows.
    ///
    /// Any final status is returned: a 4xx, or the last 5xx when the retries ran out. `prepare` makes each attempt's
    /// request from `request` (a signer adds a fresh signature there).
    /// - Throws: `TransportError` when no response came (after the retries), or for a URL that is not HTTPS.
    public func send(
        _ request: HTTPRequest,
        retryWhen shouldRetry: (HTTPSResponse) -> Bool = { $0.isRetryableStatus },
        prepare: (HTTPRequest) throws(TransportError) -> HTTPRequest = { $0 }
    ) async throws(TransportError) -> HTTPSResponse {
        try checkScheme(request.url)
        let policy = options.retry
        var retry = 0
        while true {
            var retryAfter: Duration?
            do throws(TransportError) {
                var response = try perform(prepare(request))
                response.attempts = retry + 1
                guard retry < policy.maximumRetries, shouldRetry(response), !Task.isCancelled else { return response }
                retryAfter = response.retryAfter
            } catch {
                var error = error
                error.attempts = retry + 1
                guard retry < policy.maximumRetries, error.isRetryable, !Task.isCancelled else { throw error }
            }
            await policy.sleep(policy.delay(beforeRetry: retry, retryAfter: retryAfter, random: .random(in: 0..<1)))
            retry += 1
        }
    }

    /// A GET that must succeed: the 2xx response.
    /// - Throws: `TransportError` (`httpStatus` for any other final status).
    public func get(_ url: String) async throws(TransportError) -> HTTPSResponse {
        let response = try await send(HTTPRequest(url: url))
        try expectSuccess(response, url: url)
        return response
    }

    /// A conditional GET: with the `ETag` stored from an earlier response, `.notModified` when it is still current.
    /// - Throws: `TransportError` (`httpStatus` for a final status that is neither 2xx nor 304).
    public func get(_ url: String, ifNoneMatch etag: String?) async throws(TransportError) -> ConditionalResponse {
        var request = HTTPRequest(url: url)
        if let etag { request.setHeader("If-None-Match", etag) }
        let response = try await send(request)
        if response.status == 304 { return .notModified }
        try expectSuccess(response, url: url)
        return .modified(response)
    }

    private func expectSuccess(_ response: HTTPSResponse, url: String) throws(TransportError) {
        guard (200...299).contains(response.status) else {
            throw TransportError(
                code: .httpStatus, url: url, message: "HTTP status \(response.status)", status: response.status,
                attempts: response.attempts)
        }
    }

    private func checkScheme(_ url: String) throws(TransportError) {
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || (options.allowPlainHTTP && lower.hasPrefix("http://")) else {
            throw TransportError(code: .invalidURL, url: url, message: "only https:// URLs are fetched")
        }
    }
}
