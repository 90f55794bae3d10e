public import AWSProtocol
public import PatchCore
public import Transport

#if canImport(Glibc)
    import Glibc
#endif

/// Calls an AWS JSON 1.1 service (SSM, or the hub that speaks its protocol) over HTTPS: each call is signed with
/// SigV4 (a fresh signature for every attempt), sent with `HTTPSClient`, and its answer turned into the output
/// object or an `AWSServiceError`.
///
/// Retries: connection errors and timeouts, and the error answers AWS calls retryable (`AWSServiceError.isRetryable`:
/// throttling, 429, 5xx), as `transport.options.retry` allows; never another error answer.
public struct AWSJSONClient: Sendable {
    /// The service: its `X-Amz-Target` prefix and signing name.
    public var service: AWSJSONService
    /// `https://ssm.us-east-1.amazonaws.com`, or the hub's URL.
    public var endpoint: String
    /// The signing region.
    public var region: String
    /// Whose key signs.
    public var credentials: AWSCredentials
    /// The HTTPS client (CA file, pinning, proxy, timeouts, retries).
    public var transport: HTTPSClient
    /// The signing time (default: the system clock).
    public var clock: @Sendable () -> UTCInstant

    /// A client for `service` at `endpoint`.
    public init(
        service: AWSJSONService = .ssm, endpoint: String, region: String, credentials: AWSCredentials,
        transport: HTTPSClient = HTTPSClient(),
        clock: @escaping @Sendable () -> UTCInstant = AWSJSONClient.systemTime
    ) {
        self.service = service
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.transport = transport
        self.clock = clock
    }

    /// The system clock, to the second.
    public static let systemTime: @Sendable () -> UTCInstant = { UTCInstant(secondsSinceEpoch: Int64(time(nil))) }

    /// Calls `operation` with `input` (a JSON object) and returns the output object.
    /// - Throws: `AWSServiceError` for an error answer (after retries when it is retryable), `TransportError` when
    ///   no answer came, `SigV4Error` for an endpoint that is not an absolute URL.
    public func call(operation: String, input: JSONValue) async throws -> JSONValue {
        let service = self.service
        let unsigned = try service.request(operation: operation, input: input, endpoint: endpoint)
        let signer = SigV4Signer(credentials: credentials, region: region, service: service.signingName)
        let clock = self.clock
        let request = HTTPRequest(method: .post, url: unsigned.url, headers: unsigned.headers, body: unsigned.body)
        let response = try await transport.send(
            request,
            retryWhen: { response in
                !(200...299).contains(response.status)
                    && service.error(
                        operation: operation, status: response.status, headers: response.headers, body: response.body
                    ).isRetryable
            },
            prepare: { request in
                var signed = request
                signed.headers += signer.signingHeaders(for: unsigned, at: clock())
                return signed
            })
        return try service.output(
            operation: operation, status: response.status, headers: response.headers, body: response.body)
    }
}
