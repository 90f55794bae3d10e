import PatchTestSupport
import Testing
import Transport

@Suite("HTTPS with libcurl against a real TLS server on loopback", .serialized)
struct HTTPSClientTests {
    let server: TLSTestServer

    init() throws { server = try TLSTestServer() }

    func client(_ configure: (inout HTTPSClient.Options) -> Void = { _ in }) -> HTTPSClient {
        var options = HTTPSClient.Options(caFile: server.caFile)
        options.retry.initialBackoff = .milliseconds(50)
        configure(&options)
        return HTTPSClient(options: options)
    }

    @Test("a file over HTTPS with the test CA")
    func fetch() async throws {
        try server.serve("list.yaml", "patches:\n  - id: a\n")
        let r = try await client().get(server.baseURL + "/list.yaml")
        #expect(r.status == 200)
        #expect(String(decoding: r.body, as: UTF8.self) == "patches:\n  - id: a\n")
    }

    @Test("a certificate from an unknown CA is refused; there is no way to turn verification off")
    func untrusted() async throws {
        try server.serve("x", "x")
        await #expect {
            _ = try await HTTPSClient(options: HTTPSClient.Options()).get(server.baseURL + "/x")
        } throws: { ($0 as? TransportError)?.code == .tls }
    }

    @Test("plain http and other schemes are refused")
    func schemes() async {
        for url in ["http://127.0.0.1:1/x", "file:///etc/passwd", "ftp://x/y", "s3://bucket/key"] {
            await #expect(throws: TransportError.self) { _ = try await client().get(url) }
        }
    }

    @Test("4xx is not retried; 503 is, with backoff, until it succeeds")
    func retries() async throws {
        await #expect {
            _ = try await client().get(server.baseURL + "/status-404")
        } throws: { ($0 as? TransportError)?.status == 404 }
        let r = try await client { $0.retry.maximumRetries = 3 }.get(server.baseURL + "/flaky-3")
        #expect(r.status == 200)
        await #expect {
            _ = try await client { $0.retry.maximumRetries = 1 }.get(server.baseURL + "/flaky-5")
        } throws: { ($0 as? TransportError)?.status == 503 }
    }

    @Test("a response larger than the limit is refused")
    func sizeLimit() async throws {
        try server.serve("big", String(repeating: "x", count: 200_000))
        await #expect {
            _ = try await client { $0.maximumBytes = 100_000 }.get(server.baseURL + "/big")
        } throws: { ($0 as? TransportError)?.code == .tooLarge }
    }

    @Test("a server that does not answer times out")
    func timeout() async {
        await #expect {
            _ = try await client {
                $0.totalTimeout = .milliseconds(500)
                $0.retry.maximumRetries = 0
            }.get(server.baseURL + "/slow")
        } throws: { ($0 as? TransportError)?.code == .timeout }
    }
}
