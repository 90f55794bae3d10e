internal import Crypto
public import PatchCore

/// The pieces of Signature Version 4 that the signer and the verifier share: timestamps, the canonical request, the
/// string to sign, the signing key and the signature.
public enum SigV4 {
    /// The only algorithm there is.
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// The payload hash that stands for a body that is not signed (S3 presigned URLs).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// Headers that are never signed: hop-by-hop headers a proxy may change, and ones an HTTP library adds or
    /// rewrites on its own (the same list as botocore's).
    public static let unsignedHeaderNames: Set<String> = [
        "authorization", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    /// How a service wants its requests canonicalised.
    public struct Rules: Sendable, Hashable {
        /// Remove `.`/`..` segments and empty segments from the path, then percent-encode the (already encoded) path
        /// again. True for every service but S3, which signs the path as it is sent.
        public var normalizesPath: Bool
        /// Send the payload hash as `X-Amz-Content-SHA256` (S3 requires it).
        public var sendsContentSHA256: Bool

        /// Rules given explicitly.
        public init(normalizesPath: Bool, sendsContentSHA256: Bool) {
            self.normalizesPath = normalizesPath
            self.sendsContentSHA256 = sendsContentSHA256
        }

        /// S3: the path signed as sent, and the payload hash in a header.
        public static let s3 = Rules(normalizesPath: false, sendsContentSHA256: true)
        /// Every other service (SSM among them).
        public static let standard = Rules(normalizesPath: true, sendsContentSHA256: false)

        /// The rules for a service name (`s3` or anything else).
        public static func forService(_ service: String) -> Rules { service == "s3" ? .s3 : .standard }
    }

    // MARK: Time

    /// `YYYYMMDDTHHMMSSZ`, the `X-Amz-Date` form.
    public static func amzDate(_ time: UTCInstant) -> String {
        let date = time.date
        let seconds = time.secondsSinceEpoch - date.daysSinceEpoch * 86_400
        return dateStamp(time) + "T" + pad(seconds / 3600, 2) + pad(seconds / 60 % 60, 2) + pad(seconds % 60, 2) + "Z"
    }

    /// `YYYYMMDD`, the date in a credential scope.
    public static func dateStamp(_ time: UTCInstant) -> String {
        let date = time.date
        return pad(Int64(date.year), 4) + pad(Int64(date.month), 2) + pad(Int64(date.day), 2)
    }

    /// Parses `YYYYMMDDTHHMMSSZ` exactly; nil otherwise.
    public static func parseAmzDate(_ text: String) -> UTCInstant? {
        let u = Array(text.utf8)
        guard u.count == 16, u[8] == UInt8(ascii: "T"), u[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range {
                guard u[i] >= UInt8(ascii: "0"), u[i] <= UInt8(ascii: "9") else { return nil }
                n = n * 10 + Int(u[i] - UInt8(ascii: "0"))
            }
            return n
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15),
            hour < 24, minute < 60, second < 60,
            let date = CalendarDate(parsing: "\(pad(Int64(year), 4))-\(pad(Int64(month), 2))-\(pad(Int64(day), 2))")
        else { return nil }
        return UTCInstant(date, hour: hour, minute: minute, second: second)
    }

    private static func pad(_ n: Int64, _ width: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    // MARK: Canonical request

    /// The canonical URI: for S3 the path as sent; otherwise with dot segments and empty segments removed and then
    /// percent-encoded once more (so `%20` becomes `%2520`).
    public static func canonicalURI(_ path: String, rules: Rules) -> String {
        let path = path.isEmpty ? "/" : path
        guard rules.normalizesPath else { return path }
        return AWSURIEncoding.encode(removingDotSegments(path), keepingSlashes: true)
    }

    /// RFC 3986 section 5.2.4 on segments, with empty segments (repeated slashes) dropped as AWS services expect. A
    /// trailing slash stays when anything is left; an absolute path stays absolute.
    static func removingDotSegments(_ path: String) -> String {
        var kept: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = kept.popLast()
            default: kept.append(segment)
            }
        }
        let first = path.hasPrefix("/") ? "/" : ""
        let last = path.hasSuffix("/") && !kept.isEmpty ? "/" : ""
        let joined = first + kept.joined(separator: "/") + last
        return joined.isEmpty ? "/" : joined
    }

    /// The canonical query string: every name and value encoded, sorted by encoded name and then by encoded value,
    /// joined with `&`.
    public static func canonicalQuery(_ items: [(name: String, value: String)]) -> String {
        let encoded = items.map {
            (name: Array(AWSURIEncoding.encode($0.name).utf8), value: AWSURIEncoding.encode($0.value))
        }
        let sorted = encoded.sorted { a, b in
            if a.name != b.name { return a.name.lexicographicallyPrecedes(b.name) }
            return a.value.utf8.lexicographicallyPrecedes(b.value.utf8)
        }
        return sorted.map { String(decoding: $0.name, as: UTF8.self) + "=" + $0.value }.joined(separator: "&")
    }

    /// A header value as signed: leading and trailing ASCII white space (space, tab, CR, LF, VT, FF) removed, each
    /// run of it inside made one space.
    public static func trimmedHeaderValue(_ value: String) -> String {
        var scalars = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in value.unicodeScalars {
            switch scalar {
            case " ", "\t", "\n", "\r", "\u{0B}", "\u{0C}":
                pendingSpace = !scalars.isEmpty
            default:
                if pendingSpace { scalars.append(" ") }
                pendingSpace = false
                scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    /// Header names (lower-case, sorted, unique) and the canonical headers block for them: `name:value\n` for each,
    /// repeated headers' values joined with `,` in the order they came.
    /// - Parameter names: the lower-case names to sign; each must be present in `headers` (the caller checks).
    static func canonicalHeaders(_ headers: [(name: String, value: String)], names: [String]) -> String {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            values[name.lowercased().trimmedOfSpaces, default: []].append(trimmedHeaderValue(value))
        }
        var block = ""
        for name in names {
            block += name + ":" + (values[name] ?? []).joined(separator: ",") + "\n"
        }
        return block
    }

    /// The names `headers` would sign by default: every header present except `unsignedHeaderNames`, lower-case,
    /// sorted by byte order, unique.
    static func defaultSignedNames(_ headers: [(name: String, value: String)]) -> [String] {
        let names = Set(headers.map { $0.name.lowercased().trimmedOfSpaces }).subtracting(unsignedHeaderNames)
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The canonical request's six lines.
    static func canonicalRequest(
        method: String, canonicalURI: String, canonicalQuery: String, canonicalHeaders: String,
        signedHeaders: String, payloadHash: String
    ) -> String {
        [method.uppercased(), canonicalURI, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash]
            .joined(separator: "\n")
    }

    /// Signs a request whose every part is already decided: the names to sign (present in `headers`, lower-case),
    /// the query as it is signed, the payload hash and the time. The signature, and the canonical request behind it.
    static func sign(
        method: String, path: String, query: [(name: String, value: String)],
        headers: [(name: String, value: String)], signedNames: [String], payloadHash: String, amzDate: String,
        secret: String, region: String, service: String, rules: Rules
    ) -> (signature: String, canonicalRequest: String) {
        let dateStamp = String(amzDate.prefix(8))
        let canonical = canonicalRequest(
            method: method, canonicalURI: canonicalURI(path, rules: rules), canonicalQuery: canonicalQuery(query),
            canonicalHeaders: canonicalHeaders(headers, names: signedNames),
            signedHeaders: signedNames.joined(separator: ";"), payloadHash: payloadHash)
        let scope = credentialScope(dateStamp: dateStamp, region: region, service: service)
        let signature = signature(
            stringToSign: stringToSign(canonicalRequest: canonical, amzDate: amzDate, scope: scope), secret: secret,
            dateStamp: dateStamp, region: region, service: service)
        return (signature, canonical)
    }

    // MARK: Signing

    /// `date/region/service/aws4_request`.
    public static func credentialScope(dateStamp: String, region: String, service: String) -> String {
        "\(dateStamp)/\(region)/\(service)/aws4_request"
    }

    /// The string to sign for a canonical request.
    public static func stringToSign(canonicalRequest: String, amzDate: String, scope: String) -> String {
        [algorithm, amzDate, scope, hexSHA256(Array(canonicalRequest.utf8))].joined(separator: "\n")
    }

    /// The signing key: HMACs of date, region, service and `aws4_request`, starting from `AWS4` + the secret.
    static func signingKey(secret: String, dateStamp: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + secret).utf8))
        for part in [dateStamp, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// The signing key in hex, as AWS's key-derivation examples print it.
    public static func signingKeyHex(secret: String, dateStamp: String, region: String, service: String) -> String {
        signingKey(secret: secret, dateStamp: dateStamp, region: region, service: service)
            .withUnsafeBytes { hex($0) }
    }

    /// The hex signature of `stringToSign`.
    public static func signature(
        stringToSign: String, secret: String, dateStamp: String, region: String, service: String
    ) -> String {
        let key = signingKey(secret: secret, dateStamp: dateStamp, region: region, service: service)
        return hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    /// Lower-case hex SHA-256 of `bytes`.
    public static func hexSHA256(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares two strings in time that depends only on their lengths.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmedOfSpaces: String {
        let u = utf8
        guard let first = u.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
        let last = u.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })!
        return String(self[first...last])
    }
}
