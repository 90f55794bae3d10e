import AWSProtocol
import PatchCore
import Testing

@Suite("SigV4: requests, URLs and encoding")
struct SigV4RequestTests {
    @Test("URLs: default ports left out of Host, IPv6 literals, user information and fragments dropped")
    func urls() throws {
        let a = try SigV4Request(method: "GET", url: "HTTPS://User:pw@Example.COM:443/a%20b/?x=1&y#frag")
        #expect(a.scheme == "https")
        #expect(a.hostHeader == "example.com")
        #expect(a.path == "/a%20b/")
        #expect(a.query.map(\.name) == ["x", "y"])
        #expect(a.query.map(\.value) == ["1", ""])
        #expect(try SigV4Request(method: "GET", url: "http://h:80").hostHeader == "h")
        #expect(try SigV4Request(method: "GET", url: "http://h:443").hostHeader == "h:443")
        let v6 = try SigV4Request(method: "GET", url: "https://[::1]:8443?a=%2B+b")
        #expect(v6.host == "::1")
        #expect(v6.hostHeader == "[::1]:8443")
        #expect(v6.path == "/")
        #expect(v6.query.first?.value == "++b")
    }

    @Test(
        "URLs that are refused",
        arguments: [
            "ftp://h/x", "h/x", "https:///x", "https://h:99999/", "https://h/?a=%zz", "https://h/?a=%FF",
            "https://[::1/",
        ])
    func badURLs(url: String) {
        #expect(throws: SigV4Error.self) { _ = try SigV4Request(method: "GET", url: url) }
    }

    @Test("a request as a server receives it takes host and port from Host")
    func target() throws {
        let r = try SigV4Request(
            method: "POST", target: "/x/y?b=2&a=1", headers: [("host", "hub.internal:8443"), ("X-A", "1")])
        #expect(r.host == "hub.internal")
        #expect(r.port == 8443)
        #expect(r.path == "/x/y")
        #expect(r.query.map(\.name) == ["b", "a"])
        #expect(throws: SigV4Error.self) { _ = try SigV4Request(method: "GET", target: "/x", headers: []) }
        #expect(throws: SigV4Error.self) {
            _ = try SigV4Request(method: "GET", target: "http://other/x", headers: [("Host", "h")])
        }
    }

    @Test("encoding: the unreserved set stays, everything else is %XY of its UTF-8 bytes")
    func encoding() {
        #expect(AWSURIEncoding.encode("AZaz09-._~") == "AZaz09-._~")
        #expect(AWSURIEncoding.encode("a b+c/d=é*") == "a%20b%2Bc%2Fd%3D%C3%A9%2A")
        #expect(AWSURIEncoding.path("/a b/ä") == "/a%20b/%C3%A4")
        #expect(AWSURIEncoding.decode("a%20b%2b+") == "a b++")
        #expect(AWSURIEncoding.decode("%") == nil)
    }

    @Test(
        "canonical paths: dot segments and empty segments removed, then encoded again (not for S3)",
        arguments: [
            ("/", "/"), ("", "/"), ("/a/./b/../c", "/a/c"), ("//a///b//", "/a/b/"), ("/..", "/"), ("/a/..", "/"),
            ("/a%20b", "/a%2520b"), ("/ä", "/%C3%A4"), ("/a/b/.", "/a/b"),
        ])
    func canonicalPaths(path: String, canonical: String) {
        #expect(SigV4.canonicalURI(path, rules: .standard) == canonical)
        #expect(SigV4.canonicalURI(path, rules: .s3) == (path.isEmpty ? "/" : path))
    }

    @Test("canonical query: encoded, sorted by name then value, empty values kept")
    func canonicalQuery() {
        let items: [(name: String, value: String)] = [
            ("b", "2"), ("a", "z"), ("a", "y"), ("A", ""), ("c d", "e/f"), ("a", ""),
        ]
        #expect(SigV4.canonicalQuery(items) == "A=&a=&a=y&a=z&b=2&c%20d=e%2Ff")
    }

    @Test("header values: trimmed, inner runs of white space made one space")
    func headerValues() {
        #expect(SigV4.trimmedHeaderValue("  a   b\t\tc  ") == "a b c")
        #expect(SigV4.trimmedHeaderValue("\"a   b\"") == "\"a b\"")
        #expect(SigV4.trimmedHeaderValue(" \t ") == "")
    }

    @Test("X-Amz-Date round trips, and malformed dates are refused")
    func dates() throws {
        let t = try #require(UTCInstant(iso8601: "2024-02-29T23:59:59Z"))
        #expect(SigV4.amzDate(t) == "20240229T235959Z")
        #expect(SigV4.dateStamp(t) == "20240229")
        #expect(SigV4.parseAmzDate("20240229T235959Z") == t)
        for bad in ["20230229T000000Z", "20240229T240000Z", "20240229 235959Z", "2024-02-29T23:59:59Z", ""] {
            #expect(SigV4.parseAmzDate(bad) == nil)
        }
    }

    @Test("credentials never print their secret")
    func credentials() {
        let c = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "topsecret", sessionToken: "tok")
        #expect(!"\(c)".contains("topsecret"))
        #expect(!String(reflecting: c).contains("topsecret"))
        var dumped = ""
        dump(c, to: &dumped)
        #expect(!dumped.contains("topsecret") && !dumped.contains("\"tok\""))
    }

    @Test("signing replaces stale Authorization, date and token headers rather than adding more")
    func resigning() {
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", sessionToken: "t"), region: "r",
            service: "s3")
        let request = SigV4Request(method: "GET", host: "h", path: "/k")
        let once = signer.signed(request, at: UTCInstant(secondsSinceEpoch: 0))
        let twice = signer.signed(once, at: UTCInstant(secondsSinceEpoch: 60))
        for name in ["Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256"] {
            #expect(twice.headerValues(name).count == 1)
        }
        let fresh = signer.signed(request, at: UTCInstant(secondsSinceEpoch: 60))
        #expect(twice.headers.map { "\($0.name): \($0.value)" } == fresh.headers.map { "\($0.name): \($0.value)" })
    }
}
