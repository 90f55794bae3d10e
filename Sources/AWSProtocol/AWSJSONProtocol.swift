public import PatchCore

/// A service that speaks AWS JSON 1.1 (SSM does): every operation is a `POST /` with
/// `Content-Type: application/x-amz-json-1.1`, `X-Amz-Target: <prefix>.<Operation>` and the input as a JSON object;
/// errors come back as `{"__type": "…", "message": "…"}` with a 4xx or 5xx status.
public struct AWSJSONService: Sendable, Hashable {
    /// `AmazonSSM`: the part of `X-Amz-Target` before the operation.
    public var targetPrefix: String
    /// `ssm`: the service name in the SigV4 credential scope.
    public var signingName: String

    /// A service from its target prefix and signing name.
    public init(targetPrefix: String, signingName: String) {
        self.targetPrefix = targetPrefix
        self.signingName = signingName
    }

    /// AWS Systems Manager.
    public static let ssm = AWSJSONService(targetPrefix: "AmazonSSM", signingName: "ssm")
    /// The content type of requests and responses.
    public static let contentType = "application/x-amz-json-1.1"

    /// The unsigned request for `operation` with `input` at `endpoint` (`https://ssm.us-east-1.amazonaws.com`, or
    /// the hub's URL; its path, if any, is kept). Sign it with a `SigV4Signer` for `signingName`.
    /// - Throws: `SigV4Error` `invalidURL` for an endpoint that is not an absolute HTTP(S) URL.
    public func request(operation: String, input: JSONValue, endpoint: String) throws(SigV4Error) -> SigV4Request {
        let body: JSONValue
        if case .object = input { body = input } else { body = .object([]) }
        return try SigV4Request(
            method: "POST", url: endpoint,
            headers: [("Content-Type", Self.contentType), ("X-Amz-Target", "\(targetPrefix).\(operation)")],
            body: Array(JSONWriter.write(body, pretty: false).utf8))
    }

    /// The output of a response to `operation`: the JSON object of a 2xx response (an empty body is `{}`).
    /// - Throws: `AWSServiceError` for any other status (typed by `error(operation:status:headers:body:)`), or for a
    ///   2xx body that is not a JSON object (type `MalformedResponse`).
    public func output(
        operation: String, status: Int, headers: [(name: String, value: String)], body: [UInt8]
    ) throws(AWSServiceError) -> JSONValue {
        guard (200...299).contains(status) else {
            throw error(operation: operation, status: status, headers: headers, body: body)
        }
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .object([]) }
        let requestID = Self.header("x-amzn-RequestId", in: headers)
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes: body)
        } catch {
            throw AWSServiceError(
                operation: "\(targetPrefix).\(operation)", status: status, type: "MalformedResponse",
                message: "the response body is not JSON: \(error)", requestID: requestID)
        }
        guard case .object = value else {
            throw AWSServiceError(
                operation: "\(targetPrefix).\(operation)", status: status, type: "MalformedResponse",
                message: "the response body is \(value.typeName), not an object", requestID: requestID)
        }
        return value
    }

    /// The error an error response carries: the type from `__type` (else the `x-amzn-ErrorType` header, else
    /// `HTTP <status>`) without any `namespace#` prefix or `:…` suffix, the message from `message` or `Message`
    /// (else the start of a body that is not JSON, as a proxy's error page is), and the request id.
    public func error(
        operation: String, status: Int, headers: [(name: String, value: String)], body: [UInt8]
    ) -> AWSServiceError {
        let document = try? JSONParser.parse(bytes: body)
        let rawType = document?["__type"]?.stringValue ?? Self.header("x-amzn-ErrorType", in: headers)
        var type = rawType.map(Self.shortType) ?? ""
        if type.isEmpty { type = "HTTP \(status)" }
        let message: String
        if let document {
            message = document["message"]?.stringValue ?? document["Message"]?.stringValue ?? ""
        } else {
            let text = String(decoding: body.prefix(200), as: UTF8.self)
            message = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        return AWSServiceError(
            operation: "\(targetPrefix).\(operation)", status: status, type: type, message: message,
            requestID: Self.header("x-amzn-RequestId", in: headers))
    }

    /// `com.amazonaws.ssm#InvalidInstanceId` and `InvalidInstanceId:http://…` are both `InvalidInstanceId`.
    static func shortType(_ raw: String) -> String {
        var type = Substring(raw)
        if let colon = type.firstIndex(of: ":") { type = type[..<colon] }
        if let hash = type.lastIndex(of: "#") { type = type[type.index(after: hash)...] }
        return String(type)
    }

    static func header(_ name: String, in headers: [(name: String, value: String)]) -> String? {
        let lower = name.lowercased()
        return headers.last { $0.name.lowercased() == lower }?.value
    }

    // MARK: The server's side

    /// The operation and input of a request to this service, as a server reads it.
    /// - Throws: `AWSServiceError` with the type AWS answers with: `UnknownOperationException` for a missing or
    ///   foreign `X-Amz-Target`, `SerializationException` for a body that is not a JSON object.
    public func operation(of request: SigV4Request) throws(AWSServiceError) -> (name: String, input: JSONValue) {
        let target = request.header("X-Amz-Target") ?? ""
        let prefix = targetPrefix + "."
        guard request.method.uppercased() == "POST", target.hasPrefix(prefix), target.count > prefix.count else {
            throw AWSServiceError(
                operation: target, status: 400, type: "UnknownOperationException",
                message: "expected POST with X-Amz-Target: \(targetPrefix).<Operation>")
        }
        let name = String(target.dropFirst(prefix.count))
        if request.body.isEmpty { return (name, .object([])) }
        guard let input = try? JSONParser.parse(bytes: request.body), case .object = input else {
            throw AWSServiceError(
                operation: target, status: 400, type: "SerializationException",
                message: "the request body is not a JSON object")
        }
        return (name, input)
    }

    /// The body of an error response: `{"__type":"<type>","message":"<message>"}`.
    public static func errorBody(type: String, message: String) -> [UInt8] {
        Array(
            JSONWriter.write(.object([("__type", .string(type)), ("message", .string(message))]), pretty: false).utf8)
    }
}

/// An error answer from an AWS JSON service: which operation, the HTTP status, the error type and the message.
public struct AWSServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `AmazonSSM.PutInventory`.
    public var operation: String
    /// The HTTP status.
    public var status: Int
    /// The error type without its namespace: `InvalidInstanceId`, `ThrottlingException`, or `HTTP 502` when the
    /// response named none.
    public var type: String
    /// The service's message (may be empty).
    public var message: String
    /// `x-amzn-RequestId`, for a support case or the hub's log.
    public var requestID: String?

    /// An error from its parts.
    public init(operation: String, status: Int, type: String, message: String, requestID: String? = nil) {
        self.operation = operation
        self.status = status
        self.type = type
        self.message = message
        self.requestID = requestID
    }

    /// Whether trying again later may succeed: throttling, 429 and 5xx.
    public var isRetryable: Bool {
        status == 429 || (500...599).contains(status)
            || [
                "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded",
                "ServiceUnavailable", "InternalServerError",
            ].contains(type)
    }

    public var description: String {
        var text = "\(operation): HTTP \(status)"
        if type != "HTTP \(status)" { text += " \(type)" }
        if !message.isEmpty { text += ": \(message)" }
        if let requestID { text += " (request id \(requestID))" }
        return text
    }
}
