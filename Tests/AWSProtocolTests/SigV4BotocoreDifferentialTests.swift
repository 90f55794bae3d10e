import AWSProtocol
import Foundation
import PatchCore
import PatchTestSupport
import Testing

/// The Swift signer against botocore's (`SigV4Auth`, `S3SigV4Auth` and their presigning variants) on the same
/// seeded random requests: odd paths, repeated and reserved query parameters, untidy headers, session tokens.
@Suite("SigV4: the same signatures as botocore on seeded random requests")
struct SigV4BotocoreDifferentialTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/botocore_sign.py").path

    /// One generated request and how to sign it.
    struct Case {
        var presign: Bool
        var service: String
        var region: String
        var request: SigV4Request
        var credentials: AWSCredentials
        var time: UTCInstant
        var expires: Int

        var json: JSONValue {
            func pairs(_ items: [(name: String, value: String)]) -> JSONValue {
                .array(items.map { .array([.string($0.name), .string($0.value)]) })
            }
            var members: [(key: String, value: JSONValue)] = [
                ("kind", .string(presign ? "presign" : "header")), ("service", .string(service)),
                ("region", .string(region)), ("method", .string(request.method)),
                ("url", .string("\(request.scheme)://\(request.hostHeader)\(request.path)")),
                ("query", pairs(request.query)), ("headers", pairs(request.headers)),
                ("body", .string(request.body.map { String(format: "%02x", $0) }.joined())),
                ("accessKey", .string(credentials.accessKeyID)), ("secret", .string(credentials.secretAccessKey)),
                ("token", credentials.sessionToken.map(JSONValue.string) ?? .null),
                ("amzDate", .string(SigV4.amzDate(time))),
            ]
            if presign { members.append(("expires", .number(String(expires)))) }
            return .object(members)
        }
    }

    /// Generates `count` cases from `seed`.
    static func cases(seed: UInt64, count: Int) -> [Case] {
        var g = SplitMix64(seed: seed)
        return (0..<count).map { _ in makeCase(&g) }
    }

    static let segmentPieces = [
        "a", "b c", "..", ".", "", "é", "日本", "😀", "x%y", "a+b", "key=v", "~tilde", "semi;colon", "Q!*'()", "a:b@c",
        "UPPER", "dash-_.", "%41", "sp  ace",
    ]
    static let characters: [String] =
        Array("abcXYZ019-._~/?#[]@!$&'()*+,;= %").map(String.init) + ["é", "日", "😀", "\u{7F}", "\""]

    static func randomText(_ g: inout SplitMix64, maximum: Int) -> String {
        (0..<g.below(maximum + 1)).map { _ in g.pick(characters) }.joined()
    }

    static func randomPath(_ g: inout SplitMix64) -> String {
        var segments: [String] = []
        for _ in 0..<g.below(7) {
            segments.append(g.chance(60) ? g.pick(segmentPieces) : randomText(&g, maximum: 6))
        }
        var raw = "/" + segments.joined(separator: "/")
        if g.chance(25) { raw += "/" }
        if g.chance(75) { return AWSURIEncoding.path(raw) }
        // As a careless client might send it: characters left unencoded (but nothing that would end the path).
        raw = String(raw.filter { !"%?#".contains($0) })
        if raw.hasSuffix(" ") { raw += "z" }
        return raw
    }

    static func randomHeaderValue(_ g: inout SplitMix64) -> String {
        let spaces = ["", " ", "  ", "\t", " \t "]
        var value = g.pick(spaces)
        for i in 0..<g.below(4) {
            if i > 0 { value += g.pick([" ", "   ", "\t", " \t  "]) }
            value += (0..<(1 + g.below(8))).map { _ in String(UnicodeScalar(UInt8(0x21 + g.below(94)))) }.joined()
        }
        return value + g.pick(spaces)
    }

    static func base64ish(_ g: inout SplitMix64, count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
        return String((0..<count).map { _ in g.pick(alphabet) })
    }

    static func makeCase(_ g: inout SplitMix64) -> Case {
        let presign = g.chance(25)
        let service = g.pick(["ssm", "s3"])
        let region = g.pick(["us-east-1", "eu-west-3", "ap-southeast-2", "hub-1"])
        let method = g.pick(["GET", "POST", "PUT", "DELETE", "HEAD"])
        let scheme = g.chance(85) ? "https" : "http"
        let host = g.pick([
            "\(service).\(region).amazonaws.com", "Bucket-Name.s3.amazonaws.com", "hub.example.internal", "127.0.0.1",
        ])
        let port: Int? = g.chance(70) ? nil : g.pick([443, 80, 8443])
        var query: [(name: String, value: String)] = []
        for _ in 0..<g.below(6) {
            let name =
                !query.isEmpty && g.chance(20)
                ? g.pick(query).name : randomText(&g, maximum: 5) + (g.chance(50) ? "" : "k")
            let value = g.chance(20) ? "" : randomText(&g, maximum: 8)
            if presign && query.contains(where: { $0.name == name }) { continue }
            query.append((name, value))
        }
        var headers: [(name: String, value: String)] = []
        let names = [
            "Content-Type", "x-amz-meta-Owner", "X-Custom", "x-custom", "Accept", "User-Agent", "X-Amzn-Trace-Id",
            "X-Amz-Target", "Content-MD5", "If-None-Match", "Range", "Expect", "Connection",
        ]
        for _ in 0..<g.below(6) { headers.append((g.pick(names), randomHeaderValue(&g))) }
        let body = presign || g.chance(30) ? [] : (0..<g.below(200)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
        var request = SigV4Request(
            method: method, scheme: scheme, host: host, port: port, path: randomPath(&g), query: query,
            headers: headers, body: body)
        if g.chance(15) { request.headers.insert((g.pick(["Host", "host", "HOST"]), request.hostHeader), at: 0) }
        let credentials = AWSCredentials(
            accessKeyID: "AKID" + base64ish(&g, count: 16).filter { $0.isLetter || $0.isNumber },
            secretAccessKey: base64ish(&g, count: 40),
            sessionToken: g.chance(30) ? base64ish(&g, count: 60 + g.below(200)) : nil)
        let time = UTCInstant(secondsSinceEpoch: 946_684_800 + Int64(g.below(3_155_760_000)))
        return Case(
            presign: presign, service: service, region: region, request: request, credentials: credentials, time: time,
            expires: 1 + g.below(604_800))
    }

    /// Runs the cases through botocore; one JSON result per case.
    static func botocore(_ cases: [Case]) throws -> [JSONValue] {
        let input = JSONWriter.write(.object([("cases", .array(cases.map(\.json)))]), pretty: false)
        let output = try TestProcess.runChecked(["python3", script], input: input, timeout: .seconds(120))
        guard case .array(let results) = try JSONParser.parse(output.stdout), results.count == cases.count else {
            throw TestProcessError(.nonZeroExit, argv: ["python3", script], message: "unexpected output")
        }
        return results
    }

    /// The query of a URL as sorted raw pairs, and the part before `?`.
    static func split(_ url: String) -> (base: Substring, items: [Substring]) {
        let parts = url.split(separator: "?", maxSplits: 1)
        let items = parts.count > 1 ? parts[1].split(separator: "&").sorted() : []
        return (parts[0], items)
    }

    @Test("400 seeded requests for ssm and s3, Authorization headers and presigned URLs", arguments: [1 as UInt64, 2])
    func sameAsBotocore(seed: UInt64) throws {
        let cases = Self.cases(seed: seed, count: 200)
        let results = try Self.botocore(cases)
        var failures = 0
        for (index, (c, result)) in zip(cases, results).enumerated() {
            let signer = SigV4Signer(credentials: c.credentials, region: c.region, service: c.service)
            if c.presign {
                let ours = try signer.presignedURL(for: c.request, expiresIn: c.expires, at: c.time)
                let theirs = result["url"]?.stringValue ?? ""
                let (a, b) = (Self.split(ours), Self.split(theirs))
                if a.base != b.base || a.items != b.items {
                    failures += 1
                    Issue.record("case \(index) (seed \(seed)), presigned:\n ours:   \(ours)\n theirs: \(theirs)")
                }
            } else {
                let ours = signer.signingHeaders(for: c.request, at: c.time).map { "\($0.name): \($0.value)" }
                guard case .array(let added)? = result["added"] else {
                    Issue.record("case \(index): no result from botocore")
                    continue
                }
                let theirs = added.map { pair -> String in
                    guard case .array(let nv) = pair, nv.count == 2 else { return "?" }
                    return "\(nv[0].stringValue ?? "?"): \(nv[1].stringValue ?? "?")"
                }
                if ours != theirs {
                    failures += 1
                    Issue.record(
                        """
                        case \(index) (seed \(seed)): \(c.request.method) \(c.request.url) headers \(c.request.headers)
                         ours:   \(ours)
                         theirs: \(theirs)
                        canonical request:
                        \(signer.canonicalRequest(for: c.request, at: c.time))
                        """)
                }
            }
            if failures >= 5 { break }
        }
    }

    @Test("a request parsed back from its own URL signs the same")
    func urlRoundTrip() throws {
        for c in Self.cases(seed: 3, count: 300) where !c.presign && c.request.path.allSatisfy(\.isASCII) {
            let signer = SigV4Signer(credentials: c.credentials, region: c.region, service: c.service)
            let parsed = try SigV4Request(
                method: c.request.method, url: c.request.url, headers: c.request.headers, body: c.request.body)
            #expect(parsed.path == c.request.path)
            #expect(parsed.query.map(\.name) == c.request.query.map(\.name))
            #expect(parsed.query.map(\.value) == c.request.query.map(\.value))
            #expect(
                signer.signingHeaders(for: parsed, at: c.time).last?.value
                    == signer.signingHeaders(for: c.request, at: c.time).last?.value)
        }
    }
}
