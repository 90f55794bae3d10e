import Foundation
import PatchTestSupport
import Synchronization
import Testing
import Transport

/// The delays a client asked to sleep, recorded instead of slept.
final class RecordedSleeps: Sendable {
    private let delays = Mutex<[Duration]>([])
    var all: [Duration] { delays.withLock { $0 } }

    func policy(retries: Int, maximumRetryAfter: Duration = .seconds(60)) -> RetryPolicy {
        var policy = RetryPolicy(
            maximumRetries: retries, initialBackoff: .milliseconds(10), maximumRetryAfter: maximumRetryAfter)
        policy.sleep = { delay in self.delays.withLock { $0.append(delay) } }
        return policy
    }
}

/// The Transport fixtures: Tests/TransportTests/Fixtures.
enum Fixture {
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/" + name).path
    }
}

/// A CONNECT proxy on loopback that logs the tunnels it opens.
final class LoopbackProxy: Sendable {
    let process: PythonServerProcess
    let log: String
    var url: String { "http://127.0.0.1:\(process.port)" }
    /// The `CONNECT host:port` lines so far.
    var tunnels: [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    init(directory: String) throws {
        log = directory + "/proxy.log"
        process = try PythonServerProcess(script: Fixture.path("connect_proxy.py"), arguments: [log])
    }
}

@Suite("HTTPS requests: methods, pinning, client certificates, proxies, gzip, ETags, retries, limits", .serialized)
struct HTTPSRequestTests {
    let server: TLSTestServer

    init() throws { server = try TLSTestServer(script: Fixture.path("transport_server.py")) }

    func client(_ configure: (inout HTTPSClient.Options) -> Void = { _ in }) -> HTTPSClient {
        var options = HTTPSClient.Options(caFile: server.caFile)
        options.proxy = .direct
        options.retry = .none
        configure(&options)
        return HTTPSClient(options: options)
    }

    func json(_ response: HTTPSResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    func headers(_ echo: [String: Any]) -> [String: String] {
        let pairs = echo["headers"] as? [[String]] ?? []
        return Dictionary(pairs.map { ($0[0].lowercased(), $0[1]) }) { _, last in last }
    }

    @Test("POST and PUT send their body and headers; no form Content-Type or Expect is added")
    func postEcho() async throws {
        for method in [HTTPMethod.post, .put] {
            let request = HTTPRequest(
                method: method, url: server.baseURL + "/echo", headers: [("X-Patchd-Test", "one two")],
                body: Array("{\"a\": 1}".utf8))
            let response = try await client().send(request)
            #expect(response.status == 200)
            let echo = try json(response)
            #expect(echo["method"] as? String == method.rawValue)
            #expect(echo["body"] as? String == "{\"a\": 1}")
            let sent = headers(echo)
            #expect(sent["x-patchd-test"] == "one two")
            #expect(sent["content-length"] == "8")
            #expect(sent["content-type"] == nil)
            #expect(sent["expect"] == nil)
        }
        let typed = HTTPRequest(
            method: .post, url: server.baseURL + "/echo", headers: [("Content-Type", "application/json")], body: [])
        let echo = try json(try await client().send(typed))
        #expect(headers(echo)["content-type"] == "application/json")
        #expect(headers(echo)["content-length"] == "0")
    }

    @Test("HEAD has a status and headers and no body; GET sends no body")
    func headAndGet() async throws {
        let head = try await client().send(HTTPRequest(method: .head, url: server.baseURL + "/echo"))
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.header("content-type") == "application/json")
        let echo = try json(try await client().get(server.baseURL + "/echo"))
        #expect(echo["method"] as? String == "GET")
        #expect(echo["body"] as? String == "")
    }

    @Test("a header with a line break is refused before anything is sent")
    func headerInjection() async {
        let request = HTTPRequest(url: server.baseURL + "/echo", headers: [("X-A", "1\r\nX-B: 2")])
        await #expect {
            _ = try await client().send(request)
        } throws: { ($0 as? TransportError)?.code == .invalidRequest }
    }

    @Test("a pinned public key that matches, as a hash or as a key file, is accepted")
    func pinMatches() async throws {
        for pin in [server.serverPublicKeyPin, server.serverPublicKeyFile, "sha256//AAAA;" + server.serverPublicKeyPin]
        {
            let response = try await client { $0.pinnedPublicKey = pin }.get(server.baseURL + "/echo")
            #expect(response.status == 200)
        }
    }

    @Test("a pinned public key that does not match is refused, and the error says pinning")
    func pinMismatch() async throws {
        let other = "sha256//" + Data(repeating: 7, count: 32).base64EncodedString()
        await #expect {
            _ = try await client { $0.pinnedPublicKey = other }.get(server.baseURL + "/echo")
        } throws: { error in
            let error = error as? TransportError
            return error?.code == .tls && error?.message.contains("pinned public key") == true
        }
    }

    @Test("a size limit stops a body without Content-Length as soon as it is passed, not at the timeout")
    func sizeLimitMidStream() async {
        let start = ContinuousClock.now
        await #expect {
            _ = try await client {
                $0.maximumBytes = 100_000
                $0.totalTimeout = .seconds(20)
            }.get(server.baseURL + "/stream/10")
        } throws: { error in
            let error = error as? TransportError
            return error?.code == .tooLarge && error?.message.contains("100000") == true
        }
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test("a gzip-compressed body is asked for and arrives decoded")
    func gzip() async throws {
        let response = try await client().get(server.baseURL + "/gzip")
        #expect(response.header("Content-Encoding") == "gzip")
        #expect(
            String(decoding: response.body, as: UTF8.self) == String(repeating: "patchd gzip test line\n", count: 200))
    }

    @Test("a stored ETag gives notModified on 304; without one the content and its ETag come back")
    func etag() async throws {
        guard case .modified(let first) = try await client().get(server.baseURL + "/etag", ifNoneMatch: nil) else {
            Issue.record("expected content without an ETag")
            return
        }
        #expect(String(decoding: first.body, as: UTF8.self) == "version 1")
        #expect(first.etag == "\"v1\"")
        let again = try await client().get(server.baseURL + "/etag", ifNoneMatch: first.etag)
        guard case .notModified = again else {
            Issue.record("expected notModified, got \(again)")
            return
        }
        let stale = try await client().get(server.baseURL + "/etag", ifNoneMatch: "\"v0\"")
        guard case .modified = stale else {
            Issue.record("expected content for a stale ETag")
            return
        }
    }

    func count(_ key: String) async throws -> Int {
        Int(String(decoding: try await client().get(server.baseURL + "/count/" + key).body, as: UTF8.self)) ?? -1
    }

    @Test("503 twice, then 200: three attempts, two jittered backoffs, the POST body sent every time")
    func retriesUntilSuccess() async throws {
        let sleeps = RecordedSleeps()
        let request = HTTPRequest(method: .post, url: server.baseURL + "/flaky/a/3/503", body: Array("payload".utf8))
        let response = try await client { $0.retry = sleeps.policy(retries: 4) }.send(request)
        #expect(response.status == 200)
        #expect(response.attempts == 3)
        #expect(String(decoding: response.body, as: UTF8.self) == "attempt 3: payload")
        #expect(try await count("a") == 3)
        let delays = sleeps.all
        #expect(delays.count == 2)
        #expect(delays.count == 2 && (.milliseconds(5)...(.milliseconds(10))).contains(delays[0]))
        #expect(delays.count == 2 && (.milliseconds(10)...(.milliseconds(20))).contains(delays[1]))
    }

    @Test("429 is retried; the last 5xx is returned when the retries run out")
    func retriesRunOut() async throws {
        let sleeps = RecordedSleeps()
        let throttled = try await client { $0.retry = sleeps.policy(retries: 2) }.get(server.baseURL + "/flaky/t/2/429")
        #expect(throttled.attempts == 2)
        let response = try await client { $0.retry = sleeps.policy(retries: 2) }.send(
            HTTPRequest(url: server.baseURL + "/flaky/b/10/503"))
        #expect(response.status == 503)
        #expect(response.attempts == 3)
        #expect(try await count("b") == 3)
        await #expect {
            _ = try await client { $0.retry = sleeps.policy(retries: 1) }.get(server.baseURL + "/flaky/c/10/500")
        } throws: { error in
            let error = error as? TransportError
            return error?.status == 500 && error?.attempts == 2 && error?.description.contains("2 attempts") == true
        }
    }

    @Test("400 and other 4xx are never retried")
    func clientErrorsNotRetried() async throws {
        let sleeps = RecordedSleeps()
        for (key, status) in [("d", 400), ("e", 403), ("f", 404)] {
            let response = try await client { $0.retry = sleeps.policy(retries: 3) }.send(
                HTTPRequest(method: .post, url: server.baseURL + "/flaky/\(key)/3/\(status)", body: [1]))
            #expect(response.status == status)
            #expect(response.attempts == 1)
            #expect(try await count(key) == 1)
        }
        #expect(sleeps.all.isEmpty)
    }

    @Test("Retry-After is waited for instead of the shorter backoff, up to the cap")
    func retryAfter() async throws {
        let sleeps = RecordedSleeps()
        let response = try await client { $0.retry = sleeps.policy(retries: 2) }.get(
            server.baseURL + "/retry-after/g/7")
        #expect(response.attempts == 2)
        #expect(sleeps.all == [.seconds(7)])
        let capped = RecordedSleeps()
        _ = try await client { $0.retry = capped.policy(retries: 2, maximumRetryAfter: .seconds(2)) }.get(
            server.baseURL + "/retry-after/h/3600")
        #expect(capped.all == [.seconds(2)])
    }

    @Test("connection errors are retried, then reported with the number of attempts")
    func connectionErrorsRetried() async throws {
        let sleeps = RecordedSleeps()
        await #expect {
            _ = try await client { $0.retry = sleeps.policy(retries: 2) }.get("https://127.0.0.1:1/x")
        } throws: { error in
            let error = error as? TransportError
            return error?.code == .connection && error?.attempts == 3
        }
        #expect(sleeps.all.count == 2)
    }

    @Test("certificate errors are not retried")
    func tlsNotRetried() async throws {
        let sleeps = RecordedSleeps()
        var options = HTTPSClient.Options()
        options.proxy = .direct
        options.retry = sleeps.policy(retries: 3)
        await #expect {
            _ = try await HTTPSClient(options: options).get(server.baseURL + "/echo")
        } throws: { ($0 as? TransportError)?.code == .tls }
        #expect(sleeps.all.isEmpty)
    }
}

@Suite("HTTPS with a client certificate the server requires", .serialized)
struct ClientCertificateTests {
    let server: TLSTestServer

    init() throws {
        server = try TLSTestServer(script: Fixture.path("transport_server.py"), arguments: ["client-certificate"])
    }

    func client(certificate: Bool) -> HTTPSClient {
        var options = HTTPSClient.Options(caFile: server.caFile)
        options.proxy = .direct
        options.retry = .none
        if certificate {
            options.clientCertificate = .init(
                certificateFile: server.clientCertificateFile, keyFile: server.clientKeyFile)
        }
        return HTTPSClient(options: options)
    }

    /// How many requests the server's handler has seen (asked with the certificate).
    func handled() async throws -> Int {
        let body = try await client(certificate: true).get(server.baseURL + "/count/k").body
        return Int(String(decoding: body, as: UTF8.self)) ?? -1
    }

    // With TLS 1.3 the server refuses a missing certificate after the client's side of the handshake is complete,
    // so the client sees the alert (a TLS error) or, when the server has already closed, a broken connection.
    @Test("without a certificate the request is refused before the server handles it")
    func refusedWithout() async throws {
        await #expect {
            _ = try await client(certificate: false).get(server.baseURL + "/flaky/k/1/200")
        } throws: { error in
            let code = (error as? TransportError)?.code
            return code == .tls || code == .connection
        }
        #expect(try await handled() == 0)
    }

    @Test("with the certificate the request is answered, and the server saw who we are")
    func acceptedWith() async throws {
        let response = try await client(certificate: true).get(server.baseURL + "/echo")
        let echo = try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(echo["client"] as? String == "patchd test client")
        _ = try await client(certificate: true).get(server.baseURL + "/flaky/k/1/200")
        #expect(try await handled() == 1)
    }

    @Test("a key file that does not exist is a TLS error that names the client certificate")
    func missingKey() async {
        var options = HTTPSClient.Options(caFile: server.caFile)
        options.proxy = .direct
        options.clientCertificate = .init(certificateFile: server.clientCertificateFile, keyFile: "/nonexistent.key")
        await #expect {
            _ = try await HTTPSClient(options: options).get(server.baseURL + "/echo")
        } throws: { ($0 as? TransportError)?.code == .tls }
    }
}

@Suite("HTTPS through a CONNECT proxy: from the options and from the environment, and no_proxy", .serialized)
struct ProxyTests {
    let server: TLSTestServer
    let proxy: LoopbackProxy

    init() throws {
        server = try TLSTestServer(script: Fixture.path("transport_server.py"))
        proxy = try LoopbackProxy(directory: server.directory)
    }

    func get(_ configure: (inout HTTPSClient.Options) -> Void) async throws -> HTTPSResponse {
        var options = HTTPSClient.Options(caFile: server.caFile)
        options.retry = .none
        configure(&options)
        return try await HTTPSClient(options: options).get(server.baseURL + "/echo")
    }

    var tunnel: String { "CONNECT localhost:\(server.port)" }

    @Test("a proxy from the options carries the request (CONNECT), TLS still to the server")
    func fromOptions() async throws {
        let response = try await get { $0.proxy = .url(proxy.url) }
        #expect(response.status == 200)
        #expect(proxy.tunnels == [tunnel])
    }

    @Test("https_proxy, or HTTPS_PROXY, from the environment carries the request")
    func fromEnvironment() async throws {
        _ = try await get { $0.environment = ["https_proxy": proxy.url] }
        #expect(proxy.tunnels == [tunnel])
        _ = try await get { $0.environment = ["HTTPS_PROXY": proxy.url] }
        #expect(proxy.tunnels == [tunnel, tunnel])
    }

    @Test("no_proxy and the option's noProxy reach the server directly; .direct ignores https_proxy")
    func bypass() async throws {
        _ = try await get { $0.environment = ["https_proxy": proxy.url, "no_proxy": "example.com,localhost"] }
        _ = try await get { $0.environment = ["https_proxy": proxy.url, "NO_PROXY": "localhost"] }
        _ = try await get { $0.proxy = .url(proxy.url, noProxy: "localhost") }
        _ = try await get {
            $0.proxy = .direct
            $0.environment = ["https_proxy": proxy.url]
        }
        #expect(proxy.tunnels.isEmpty)
    }

    @Test("with no proxy configured and none in the environment, the request goes directly")
    func none() async throws {
        _ = try await get { $0.environment = ["http_proxy": proxy.url, "ALL_PROXY": proxy.url] }
        #expect(proxy.tunnels.isEmpty)
    }

    @Test("the effective proxy: the option first, then https_proxy before HTTPS_PROXY, no_proxy before NO_PROXY")
    func effective() {
        var options = HTTPSClient.Options()
        options.environment = [
            "https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:2", "NO_PROXY": "b",
            "http_proxy": "http://h:3",
        ]
        #expect(options.effectiveProxy(for: "https://x/").proxy == "http://lower:1")
        #expect(options.effectiveProxy(for: "https://x/").noProxy == "b")
        #expect(options.effectiveProxy(for: "http://x/").proxy == "http://h:3")
        options.environment?["https_proxy"] = ""
        #expect(options.effectiveProxy(for: "https://x/").proxy == "http://upper:2")
        options.proxy = .url("http://configured:4", noProxy: "c")
        #expect(options.effectiveProxy(for: "https://x/") == ("http://configured:4", "c"))
        options.proxy = .direct
        #expect(options.effectiveProxy(for: "https://x/") == (nil, ""))
    }
}

@Suite("The retry schedule")
struct RetryPolicyTests {
    let policy = RetryPolicy(
        maximumRetries: 5, initialBackoff: .milliseconds(100), maximumBackoff: .milliseconds(350),
        maximumRetryAfter: .seconds(10))

    @Test("exponential, half of it jittered, capped", arguments: [(0, 100), (1, 200), (2, 350), (9, 350)])
    func backoff(retry: Int, millis: Int) {
        let base = Duration.milliseconds(millis)
        #expect(policy.delay(beforeRetry: retry, retryAfter: nil, random: 0) == base / 2)
        #expect(policy.delay(beforeRetry: retry, retryAfter: nil, random: 0.5) == base * 0.75)
        #expect(policy.delay(beforeRetry: retry, retryAfter: nil, random: 0.999_999) <= base)
    }

    @Test("Retry-After wins when longer, up to its cap; a shorter one does not shorten the backoff")
    func retryAfter() {
        #expect(policy.delay(beforeRetry: 0, retryAfter: .seconds(3), random: 0.5) == .seconds(3))
        #expect(policy.delay(beforeRetry: 0, retryAfter: .seconds(3600), random: 0.5) == .seconds(10))
        #expect(policy.delay(beforeRetry: 1, retryAfter: .zero, random: 0) == .milliseconds(100))
    }
}
