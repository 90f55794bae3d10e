/// patchctl's client for the local patchd API: HTTP over the daemon's Unix socket, through libcurl.
public struct UnixSocketClient: Sendable {
    /// The daemon's socket.
    public var socketPath: String
    /// The limit for one request.
    public var timeout: Duration

    /// A client for the daemon listening on `socketPath`.
    public init(socketPath: String, timeout: Duration = .seconds(30)) {
        self.socketPath = socketPath
        self.timeout = timeout
    }

    private var client: HTTPSClient {
        var options = HTTPSClient.Options()
        options.totalTimeout = timeout
        options.connectTimeout = .seconds(5)
        options.maximumBytes = 256 << 20
        options.retry = .none
        return HTTPSClient(options: options)
    }

    /// One request; any status is returned (the API's errors are JSON bodies the caller shows).
    public func request(_ method: String, _ path: String, body: [UInt8]? = nil) throws(TransportError) -> HTTPSResponse
    {
        let request = HTTPRequest(method: HTTPMethod(method), url: "http://patchd" + path, body: body ?? [])
        return try client.perform(request, socketPath: socketPath)
    }

    /// A streamed GET (NDJSON progress): each piece of the body goes to `onData` as it arrives.
    public func stream(_ path: String, timeout: Duration, onData: @escaping (UnsafeBufferPointer<UInt8>) -> Void)
        throws(TransportError) -> Int
    {
        var streaming = self
        streaming.timeout = timeout
        let request = HTTPRequest(url: "http://patchd" + path)
        return try streaming.client.perform(request, socketPath: socketPath, onData: onData).status
    }
}
