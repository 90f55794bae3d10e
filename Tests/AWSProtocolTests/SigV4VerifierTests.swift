import AWSProtocol
import PatchCore
import PatchTestSupport
import Testing

@Suite("SigV4: the server-side verifier")
struct SigV4VerifierTests {
    static let credentials = AWSCredentials(accessKeyID: "AKIDHUBNODE0001", secretAccessKey: "s3cr3t/Key+example")
    static let temporary = AWSCredentials(
        accessKeyID: "ASIAHUBNODE0002", secretAccessKey: "another/secret", sessionToken: "token/with+chars==")
    static let time = UTCInstant(iso8601: "2026-03-01T12:00:00Z")!

    static func lookUp(_ id: String) -> AWSCredentials? {
        [credentials, temporary].first { $0.accessKeyID == id }
    }

    /// What the server sees of a request the client signed: the target, the headers with `Host`, the body.
    static func received(_ signed: SigV4Request) throws -> SigV4Request {
        let query = signed.query.isEmpty ? "" : "?" + AWSURIEncoding.queryString(signed.query)
        return try SigV4Request(
            method: signed.method, scheme: signed.scheme, target: signed.path + query,
            headers: (signed.header("Host") == nil ? [("Host", signed.hostHeader)] : []) + signed.headers,
            body: signed.body)
    }

    static func ssmRequest(_ credentials: AWSCredentials = credentials) throws -> SigV4Request {
        var request = try SigV4Request(
            method: "POST", url: "https://hub.example.internal:8443/",
            headers: [
                ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", "AmazonSSM.GetDeployablePatchSnapshotForInstance"),
            ],
            body: Array(#"{"InstanceId":"mi-0123456789abcdef0","SnapshotId":"abc"}"#.utf8))
        request = SigV4Signer(credentials: credentials, region: "hub-1", service: "ssm").signed(request, at: time)
        return try received(request)
    }

    static func s3Request() throws -> SigV4Request {
        let request = SigV4Request(
            method: "PUT", host: "hub.example.internal", port: 8443, path: AWSURIEncoding.path("/bucket/a key/ä"),
            query: [("versionId", "1")], headers: [("x-amz-meta-owner", "ops")], body: Array("content".utf8))
        return try received(
            SigV4Signer(credentials: temporary, region: "hub-1", service: "s3").signed(request, at: time))
    }

    static func expectFailure(
        _ code: SigV4VerificationError.Code, _ request: SigV4Request, now: UTCInstant = time,
        verifier: SigV4Verifier = SigV4Verifier(), sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(sourceLocation: sourceLocation) {
            _ = try verifier.verify(request, now: now, lookUp: lookUp)
        } throws: { error in
            (error as? SigV4VerificationError)?.code == code
        }
    }

    @Test("a signed SSM request and a signed S3 request with a session token verify, and name their signer")
    func roundTrips() throws {
        let verifier = SigV4Verifier(region: "hub-1")
        let claim = try verifier.verify(Self.ssmRequest(), now: Self.time, lookUp: Self.lookUp)
        #expect(claim.accessKeyID == Self.credentials.accessKeyID)
        #expect(claim.service == "ssm")
        #expect(claim.signedHeaders == ["content-type", "host", "x-amz-date", "x-amz-target"])
        let s3 = try verifier.verify(Self.s3Request(), now: Self.time, lookUp: Self.lookUp)
        #expect(s3.accessKeyID == Self.temporary.accessKeyID)
        #expect(s3.signedHeaders.contains("x-amz-security-token"))
    }

    @Test("every request of the differential test's generator verifies after signing")
    func generatedRoundTrips() throws {
        let verifier = SigV4Verifier()
        for c in SigV4BotocoreDifferentialTests.cases(seed: 11, count: 300) where !c.presign {
            let signed = SigV4Signer(credentials: c.credentials, region: c.region, service: c.service)
                .signed(c.request, at: c.time)
            let received = try Self.received(signed)
            let claim = try verifier.verify(received, now: c.time) {
                $0 == c.credentials.accessKeyID ? c.credentials : nil
            }
            #expect(claim.region == c.region)
        }
    }

    @Test("the date may be 15 minutes off either way, not more")
    func skew() throws {
        let request = try Self.ssmRequest()
        let verifier = SigV4Verifier()
        for offset: Int64 in [-900, 0, 900] {
            let now = UTCInstant(secondsSinceEpoch: Self.time.secondsSinceEpoch + offset)
            _ = try verifier.verify(request, now: now, lookUp: Self.lookUp)
        }
        for offset: Int64 in [-901, 901, 86_400] {
            Self.expectFailure(
                .requestTimeTooSkewed, request, now: UTCInstant(secondsSinceEpoch: Self.time.secondsSinceEpoch + offset)
            )
        }
    }

    @Test("a wrong secret, an unknown key, another region or service")
    func wrongKeyOrScope() throws {
        let wrongSecret = AWSCredentials(accessKeyID: Self.credentials.accessKeyID, secretAccessKey: "not it")
        Self.expectFailure(.signatureMismatch, try Self.ssmRequest(wrongSecret))
        Self.expectFailure(
            .unknownAccessKey, try Self.ssmRequest(AWSCredentials(accessKeyID: "AKIDNOBODY", secretAccessKey: "x")))
        Self.expectFailure(.wrongScope, try Self.ssmRequest(), verifier: SigV4Verifier(region: "us-east-1"))
        Self.expectFailure(.wrongScope, try Self.ssmRequest(), verifier: SigV4Verifier(service: "s3"))
    }

    @Test("a tampered body, path, query, method or signed header value")
    func tampering() throws {
        var body = try Self.ssmRequest()
        body.body[5] ^= 1
        Self.expectFailure(.signatureMismatch, body)

        var s3Body = try Self.s3Request()
        s3Body.body.append(0x21)
        Self.expectFailure(.payloadHashMismatch, s3Body)

        var path = try Self.s3Request()
        path.path = AWSURIEncoding.path("/bucket/a key/b")
        Self.expectFailure(.signatureMismatch, path)

        var query = try Self.s3Request()
        query.query.append(("extra", ""))
        Self.expectFailure(.signatureMismatch, query)

        var method = try Self.ssmRequest()
        method.method = "PUT"
        Self.expectFailure(.signatureMismatch, method)

        var target = try Self.ssmRequest()
        target.setHeader("X-Amz-Target", "AmazonSSM.PutInventory")
        Self.expectFailure(.signatureMismatch, target)
    }

    @Test("a signed header removed, and an x-amz header added unsigned")
    func headers() throws {
        var missing = try Self.ssmRequest()
        missing.removeHeaders("Content-Type")
        Self.expectFailure(.missingSignedHeader, missing)

        var unsigned = try Self.ssmRequest()
        unsigned.headers.append(("X-Amz-Meta-Added", "later"))
        Self.expectFailure(.unsignedHeader, unsigned)

        // Unsigned headers that are not x-amz-* are the client library's business.
        var userAgent = try Self.ssmRequest()
        userAgent.headers.append(("User-Agent", "curl/8"))
        _ = try SigV4Verifier().verify(userAgent, now: Self.time, lookUp: Self.lookUp)
    }

    @Test("a session token must be the credentials' own, and present exactly when they have one")
    func sessionTokens() throws {
        var injected = try Self.ssmRequest()
        injected.headers.append(("X-Amz-Security-Token", Self.temporary.sessionToken!))
        Self.expectFailure(.unsignedHeader, injected)

        let forged = AWSCredentials(
            accessKeyID: Self.temporary.accessKeyID, secretAccessKey: Self.temporary.secretAccessKey,
            sessionToken: "forged")
        let forgedRequest = try Self.received(
            SigV4Signer(credentials: forged, region: "hub-1", service: "ssm").signed(
                SigV4Request(method: "POST", host: "hub.example.internal"), at: Self.time))
        Self.expectFailure(.invalidSecurityToken, forgedRequest)

        let tokenless = AWSCredentials(
            accessKeyID: Self.temporary.accessKeyID, secretAccessKey: Self.temporary.secretAccessKey)
        let tokenlessRequest = try Self.received(
            SigV4Signer(credentials: tokenless, region: "hub-1", service: "ssm").signed(
                SigV4Request(method: "POST", host: "hub.example.internal"), at: Self.time))
        Self.expectFailure(.invalidSecurityToken, tokenlessRequest)
    }

    @Test(
        "malformed or missing authentication",
        arguments: [
            "AWS4-HMAC-SHA1 Credential=AKIDHUBNODE0001/20260301/hub-1/ssm/aws4_request, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 Credential=AKIDHUBNODE0001/20260301/hub-1/ssm, SignedHeaders=host;x-amz-date, Signature="
                + String(repeating: "a", count: 64),
            "AWS4-HMAC-SHA256 Credential=AKIDHUBNODE0001/20260301/hub-1/ssm/aws4_request, SignedHeaders=host;x-amz-date",
            "AWS4-HMAC-SHA256 Credential=AKIDHUBNODE0001/20260301/hub-1/ssm/aws4_request, SignedHeaders=Host, Signature="
                + String(repeating: "a", count: 64),
            "AWS4-HMAC-SHA256 Credential=AKIDHUBNODE0001/20260301/hub-1/ssm/aws4_request, SignedHeaders=host, Signature=xyz",
        ])
    func malformed(authorization: String) throws {
        var request = try Self.ssmRequest()
        request.setHeader("Authorization", authorization)
        Self.expectFailure(.malformed, request)
    }

    @Test("no Authorization header and no presigned query")
    func missing() throws {
        var request = try Self.ssmRequest()
        request.removeHeaders("Authorization")
        Self.expectFailure(.missingAuthentication, request)
        #expect(
            SigV4VerificationError(.missingAuthentication, "").awsErrorType == "MissingAuthenticationTokenException")
    }

    @Test("a presigned download URL verifies until it expires, and not with its query changed")
    func presigned() throws {
        let signer = SigV4Signer(credentials: Self.temporary, region: "hub-1", service: "s3")
        let object = SigV4Request(
            method: "GET", host: "hub.example.internal", port: 8443, path: "/snapshots/abc.json.gz",
            query: [("response-content-type", "application/json")])
        let url = try signer.presignedURL(for: object, expiresIn: 600, at: Self.time)
        #expect(url.hasPrefix("https://hub.example.internal:8443/snapshots/abc.json.gz?X-Amz-Algorithm="))
        #expect(url.contains("X-Amz-Security-Token=token%2Fwith%2Bchars%3D%3D"))
        let parsed = try SigV4Request(method: "GET", url: url)
        let request = try Self.received(parsed)
        let verifier = SigV4Verifier()
        let claim = try verifier.verify(
            request, now: UTCInstant(secondsSinceEpoch: Self.time.secondsSinceEpoch + 600), lookUp: Self.lookUp)
        #expect(claim.expires == 600)
        Self.expectFailure(.expired, request, now: UTCInstant(secondsSinceEpoch: Self.time.secondsSinceEpoch + 601))
        Self.expectFailure(
            .requestTimeTooSkewed, request, now: UTCInstant(secondsSinceEpoch: Self.time.secondsSinceEpoch - 901))

        var changed = request
        let index = try #require(changed.query.firstIndex { $0.name == "response-content-type" })
        changed.query[index].value = "text/html"
        Self.expectFailure(.signatureMismatch, changed)
        var otherPath = request
        otherPath.path = "/snapshots/other.json.gz"
        Self.expectFailure(.signatureMismatch, otherPath)

        #expect(throws: SigV4Error.self) { try signer.presignedURL(for: object, expiresIn: 604_801, at: Self.time) }
        #expect(throws: SigV4Error.self) { try signer.presignedURL(for: object, expiresIn: 0, at: Self.time) }
    }
}
