import AWSClient
import AWSProtocol
import Foundation
import PatchCore
import PatchTestSupport
import Synchronization
import Testing
import Transport

/// Counts the client's retries: its sleeps, which return at once.
final class SleepCount: Sendable {
    let count = Mutex(0)
}

@Suite("AWS JSON 1.1 calls, SigV4-signed, against a server that checks each signature with botocore", .serialized)
struct AWSJSONClientTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/aws_json_server.py").path
    static let credentials = AWSCredentials(
        accessKeyID: "AKIDPATCHDTEST", secretAccessKey: "patchd/secret+key", sessionToken: "session-token-1")

    let server: TLSTestServer
    /// How many times the client slept before a retry.
    let sleeps = SleepCount()

    init() throws {
        let c = Self.credentials
        server = try TLSTestServer(
            script: Self.script,
            arguments: [c.accessKeyID, c.secretAccessKey, "eu-west-1", c.sessionToken ?? "-"])
    }

    func client(
        credentials: AWSCredentials = credentials, path: String = "/", maximumRetries: Int = 2
    ) -> AWSJSONClient {
        var options = HTTPSClient.Options(caFile: server.caFile)
        options.proxy = .direct
        options.retry = RetryPolicy(maximumRetries: maximumRetries, initialBackoff: .milliseconds(10))
        options.retry.sleep = { [sleeps] _ in sleeps.count.withLock { $0 += 1 } }
        return AWSJSONClient(
            endpoint: server.baseURL + path, region: "eu-west-1", credentials: credentials,
            transport: HTTPSClient(options: options))
    }

    func count(_ operation: String) async throws -> Int {
        var options = HTTPSClient.Options(caFile: server.caFile)
        options.proxy = .direct
        let body = try await HTTPSClient(options: options).get(server.baseURL + "/count/" + operation).body
        return Int(String(decoding: body, as: UTF8.self)) ?? -1
    }

    static let input: JSONValue = .object([
        ("InstanceId", .string("mi-0123456789abcdef0")), ("SnapshotId", .string("a b/c+d é")),
        ("Nested", .object([("List", .array([.number("1"), .bool(true), .null]))])),
    ])

    @Test("a signed call with a session token is accepted and returns the output object")
    func echo() async throws {
        let output = try await client().call(operation: "Echo", input: Self.input)
        #expect(output["Operation"] == .string("Echo"))
        #expect(output["Input"] == Self.input)
        #expect(output["Attempt"]?.integerValue == 1)
    }

    @Test("an endpoint with a path is signed with that path")
    func endpointPath() async throws {
        let output = try await client(path: "/hub/v1").call(operation: "Echo", input: .object([]))
        #expect(output["Input"] == .object([]))
    }

    @Test("a wrong secret is refused by the server's check: InvalidSignatureException, not retried")
    func wrongSecret() async throws {
        var credentials = Self.credentials
        credentials.secretAccessKey = "not the secret"
        await #expect {
            _ = try await client(credentials: credentials).call(operation: "Echo", input: Self.input)
        } throws: { error in
            let error = error as? AWSServiceError
            return error?.status == 403 && error?.type == "InvalidSignatureException"
        }
        #expect(sleeps.count.withLock { $0 } == 0)
    }

    @Test("an AWS error body becomes AWSServiceError with its short type, message and request id; not retried")
    func serviceError() async throws {
        await #expect {
            _ = try await client().call(operation: "Fail", input: Self.input)
        } throws: { error in
            (error as? AWSServiceError)
                == AWSServiceError(
                    operation: "AmazonSSM.Fail", status: 400, type: "InvalidInstanceId", message: "no such instance",
                    requestID: "req-1")
        }
        #expect(try await count("Fail") == 1)
        #expect(sleeps.count.withLock { $0 } == 0)
    }

    @Test("ThrottlingException (a 400) is retried, with a new signature each time, until it succeeds")
    func throttled() async throws {
        let output = try await client(maximumRetries: 3).call(operation: "Throttle", input: Self.input)
        #expect(output["Attempt"]?.integerValue == 3)
        #expect(sleeps.count.withLock { $0 } == 2)
    }

    @Test("a 503 is retried as the policy allows, then thrown as AWSServiceError")
    func unavailable() async throws {
        await #expect {
            _ = try await client(maximumRetries: 2).call(operation: "Unavailable", input: Self.input)
        } throws: { error in
            let error = error as? AWSServiceError
            return error?.status == 503 && error?.type == "ServiceUnavailable" && error?.isRetryable == true
        }
        #expect(try await count("Unavailable") == 3)
    }

    @Test("no server: TransportError after the retries")
    func unreachable() async {
        var client = client(maximumRetries: 1)
        client.endpoint = "https://127.0.0.1:1/"
        await #expect {
            _ = try await client.call(operation: "Echo", input: Self.input)
        } throws: { error in
            let error = error as? TransportError
            return error?.code == .connection && error?.attempts == 2
        }
    }
}

@Suite("AWS JSON 1.1 calls without a session token")
struct AWSJSONClientLongTermKeyTests {
    @Test("long-term keys sign without X-Amz-Security-Token, and the server's botocore check agrees")
    func noToken() async throws {
        let server = try TLSTestServer(
            script: AWSJSONClientTests.script, arguments: ["AKIDLONGTERM", "long-term-secret", "us-east-1", "-"])
        var options = HTTPSClient.Options(caFile: server.caFile)
        options.proxy = .direct
        let client = AWSJSONClient(
            endpoint: server.baseURL, region: "us-east-1",
            credentials: AWSCredentials(accessKeyID: "AKIDLONGTERM", secretAccessKey: "long-term-secret"),
            transport: HTTPSClient(options: options))
        let output = try await client.call(operation: "Echo", input: .object([("Key", .string("value"))]))
        #expect(output["Input"]?["Key"] == .string("value"))
    }
}
