import AWSProtocol
import PatchCore
import Testing

@Suite("AWS JSON 1.1: the request and error envelope")
struct AWSJSONProtocolTests {
    static let ssm = AWSJSONService.ssm

    @Test("a request is a POST / with the JSON 1.1 content type, the target, and the input as compact JSON")
    func request() throws {
        let input = JSONValue.object([
            ("InstanceId", .string("mi-0123456789abcdef0")), ("SnapshotId", .string("4c1e…")),
            ("BaselineOverride", .object([("OperatingSystem", .string("DEBIAN"))])),
        ])
        let request = try Self.ssm.request(
            operation: "GetDeployablePatchSnapshotForInstance", input: input,
            endpoint: "https://ssm.eu-west-3.amazonaws.com")
        #expect(request.method == "POST")
        #expect(request.path == "/")
        #expect(request.hostHeader == "ssm.eu-west-3.amazonaws.com")
        #expect(request.header("content-type") == "application/x-amz-json-1.1")
        #expect(request.header("x-amz-target") == "AmazonSSM.GetDeployablePatchSnapshotForInstance")
        #expect(
            String(decoding: request.body, as: UTF8.self)
                == #"{"InstanceId":"mi-0123456789abcdef0","SnapshotId":"4c1e…","BaselineOverride":{"OperatingSystem":"DEBIAN"}}"#
        )
        // Signed as SSM: the target and content type are covered, no payload header is added.
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret"), region: "eu-west-3",
            service: Self.ssm.signingName)
        let signed = signer.signed(request, at: UTCInstant(secondsSinceEpoch: 1_780_000_000))
        #expect(
            signed.header("Authorization")?.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-target,") == true
        )
        #expect(signed.header("X-Amz-Content-SHA256") == nil)
    }

    @Test("an operation without input sends {}, and a hub endpoint keeps its port and path")
    func emptyInput() throws {
        let request = try Self.ssm.request(
            operation: "DescribeInstanceInformation", input: .null, endpoint: "https://hub.internal:8443/ssm")
        #expect(request.body == Array("{}".utf8))
        #expect(request.url == "https://hub.internal:8443/ssm")
    }

    @Test("a 2xx response's JSON object is the output; an empty body is {}")
    func output() throws {
        let out = try Self.ssm.output(
            operation: "PutInventory", status: 200, headers: [],
            body: Array(#"{"Message":"ok"}"#.utf8))
        #expect(out["Message"]?.stringValue == "ok")
        #expect(try Self.ssm.output(operation: "PutInventory", status: 200, headers: [], body: []) == .object([]))
        #expect {
            _ = try Self.ssm.output(operation: "PutInventory", status: 200, headers: [], body: Array("[1]".utf8))
        } throws: { ($0 as? AWSServiceError)?.type == "MalformedResponse" }
    }

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: String
        var type: String
        var message: String
        var testDescription: String { body.isEmpty ? "HTTP \(status)" : body }
    }

    @Test(
        "error responses become typed errors",
        arguments: [
            ErrorCase(
                status: 400, headers: [],
                body: #"{"__type":"com.amazonaws.ssm#InvalidInstanceId","message":"Instance mi-1 is not registered"}"#,
                type: "InvalidInstanceId", message: "Instance mi-1 is not registered"),
            ErrorCase(
                status: 400, headers: [], body: #"{"__type":"ThrottlingException","Message":"Rate exceeded"}"#,
                type: "ThrottlingException", message: "Rate exceeded"),
            ErrorCase(
                status: 400, headers: [],
                body: #"{"__type":"ValidationException:http://internal.amazon.com/coral/","message":"bad"}"#,
                type: "ValidationException", message: "bad"),
            ErrorCase(
                status: 403, headers: [("x-amzn-ErrorType", "UnrecognizedClientException:http://internal/")],
                body: #"{"message":"The security token included in the request is invalid."}"#,
                type: "UnrecognizedClientException", message: "The security token included in the request is invalid."),
            ErrorCase(
                status: 502, headers: [], body: "<html><body>\n  <h1>502 Bad Gateway</h1>\n</body></html>",
                type: "HTTP 502", message: "<html><body> <h1>502 Bad Gateway</h1> </body></html>"),
            ErrorCase(status: 500, headers: [], body: "", type: "HTTP 500", message: ""),
        ])
    func errors(_ c: ErrorCase) {
        let headers = c.headers + [("x-amzn-RequestId", "req-1")]
        #expect {
            _ = try Self.ssm.output(
                operation: "PutInventory", status: c.status, headers: headers, body: Array(c.body.utf8))
        } throws: { error in
            guard let error = error as? AWSServiceError else { return false }
            return error.operation == "AmazonSSM.PutInventory" && error.status == c.status && error.type == c.type
                && error.message == c.message && error.requestID == "req-1"
        }
    }

    @Test("the error says the operation, status, type, message and request id")
    func description() {
        let error = Self.ssm.error(
            operation: "PutInventory", status: 400, headers: [("X-Amzn-RequestId", "abc")],
            body: Array(#"{"__type":"com.amazonaws.ssm#InvalidInstanceId","message":"nope"}"#.utf8))
        #expect(error.description == "AmazonSSM.PutInventory: HTTP 400 InvalidInstanceId: nope (request id abc)")
        #expect(!error.isRetryable)
        #expect(
            Self.ssm.error(operation: "PutInventory", status: 503, headers: [], body: []).description
                == "AmazonSSM.PutInventory: HTTP 503")
        #expect(Self.ssm.error(operation: "X", status: 503, headers: [], body: []).isRetryable)
        #expect(
            Self.ssm.error(
                operation: "X", status: 400, headers: [], body: Array(#"{"__type":"ThrottlingException"}"#.utf8)
            )
            .isRetryable)
    }

    @Test("the server side reads the operation and input back, and answers errors in the same envelope")
    func serverSide() throws {
        let request = try Self.ssm.request(
            operation: "PutInventory", input: .object([("InstanceId", .string("mi-1"))]),
            endpoint: "https://hub.internal:8443/")
        let (name, input) = try Self.ssm.operation(of: request)
        #expect(name == "PutInventory")
        #expect(input["InstanceId"]?.stringValue == "mi-1")

        var foreign = request
        foreign.setHeader("X-Amz-Target", "AmazonEC2.DescribeInstances")
        #expect { _ = try Self.ssm.operation(of: foreign) } throws: {
            ($0 as? AWSServiceError)?.type == "UnknownOperationException"
        }
        var garbage = request
        garbage.body = Array("{".utf8)
        #expect { _ = try Self.ssm.operation(of: garbage) } throws: {
            ($0 as? AWSServiceError)?.type == "SerializationException"
        }

        let body = AWSJSONService.errorBody(type: "InvalidInstanceId", message: "no \"mi-2\"")
        let error = Self.ssm.error(operation: "PutInventory", status: 400, headers: [], body: body)
        #expect(error.type == "InvalidInstanceId")
        #expect(error.message == "no \"mi-2\"")
    }
}
