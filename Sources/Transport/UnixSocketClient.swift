/// patchctl's client for the local patchd API: HTTP over the daemon's Unix socket, through libcurl.
public struct UnixSocketClient: Sendable {
    public var socketPath: String
    public var timeout: Duration

    public init(socketPath: String, timeout: Duration = .seconds(30)) {
        self.socketPath = socketPath
        self.timeout = timeout
    }

    private var client: HTTPSClient {
        var options = HTTPSClient.Options()
        options.totalTimeout = timeout
        options.connectTimeout = .seconds(5)
        options.maximumBytes = 256 << 20
        options.retries = 0
        return HTTPSClient(options: options)
    }

    /// One request; any status is returned (the API's errors are JSON bodies the caller shows).
    public func request(_ method: String, _ path: String, body: [UInt8]? = nil) throws(TransportError) -> HTTPSResponse
    {
        let local = HTTPSClient.LocalRequest(socketPath: socketPath, method: method, body: body, onData: nil)
        return try client.perform("http://patchd" + path, local: local)
    }

    /// A streamed GET (NDJSON progress): each piece of the body goes to `onData` as it arrives.
    public func stream(_ path: String, timeout: Duration, onData: @escaping (UnsafeBufferPointer<UInt8>) -> Void)
        throws(TransportError) -> Int
    {
        var streaming = self
        streaming.timeout = timeout
        let local = HTTPSClient.LocalRequest(socketPath: socketPath, method: "GET", body: nil, onData: onData)
        return try streaming.client.perform("http://patchd" + path, local: local).status
    }
}
