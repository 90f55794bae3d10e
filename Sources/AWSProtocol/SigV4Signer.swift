public import PatchCore

/// An access key: its id, its secret, and the session token that temporary credentials come with.
///
/// Printing, debug-printing and `dump` show the key id only.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// `AKIA…`, `ASIA…`, or the hub's own key ids.
    public var accessKeyID: String
    /// The secret; never printed.
    public var secretAccessKey: String
    /// Sent as `X-Amz-Security-Token` (or in a presigned URL's query) when present.
    public var sessionToken: String?

    /// Credentials from their parts.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// The key id only: descriptions end up in logs.
    public var description: String {
        "AWSCredentials(\(accessKeyID)\(sessionToken == nil ? "" : ", with session token"))"
    }

    /// The same as `description`.
    public var debugDescription: String { description }

    /// The key id only, so that `dump` and test failure messages leave the secret out.
    public var customMirror: Mirror {
        Mirror(self, children: ["accessKeyID": accessKeyID, "hasSessionToken": sessionToken != nil])
    }
}

/// Signs requests with AWS Signature Version 4, in an `Authorization` header or as a presigned URL.
///
/// Pure: the time is a parameter, nothing is sent. The canonical request follows AWS's rules: the path normalised and
/// encoded twice for every service but S3 (once, as sent), query parameters encoded with the RFC 3986 unreserved set
/// and sorted, header names lower-cased and sorted, values trimmed with inner runs of white space made one space,
/// the payload's SHA-256.
public struct SigV4Signer: Sendable {
    /// Whose key signs.
    public var credentials: AWSCredentials
    /// `us-east-1`, …
    public var region: String
    /// `ssm`, `s3`, …
    public var service: String
    /// How this service canonicalises (from `service` unless given).
    public var rules: SigV4.Rules

    /// A signer for one service in one region.
    public init(credentials: AWSCredentials, region: String, service: String, rules: SigV4.Rules? = nil) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.rules = rules ?? .forService(service)
    }

    /// The headers to add to `request` so that it is signed at `time`: `X-Amz-Date`, `X-Amz-Security-Token` (with a
    /// session token), `X-Amz-Content-SHA256` (S3), and `Authorization`, in that order.
    ///
    /// Every header of the request is signed except `SigV4.unsignedHeaderNames`; `Host` is signed as
    /// `request.hostHeader` unless the request carries its own. A request that already has an
    /// `X-Amz-Content-SHA256` header (say `UNSIGNED-PAYLOAD`, or the hash of a body sent as a stream) is signed with
    /// that payload hash; otherwise with the hash of `body`.
    public func signingHeaders(for request: SigV4Request, at time: UTCInstant) -> [(name: String, value: String)] {
        let prepared = prepare(request, at: time)
        return prepared.added + [("Authorization", authorization(for: prepared.request, at: time).value)]
    }

    /// `request` with the headers of `signingHeaders(for:at:)` added (replacing any it had of those names).
    public func signed(_ request: SigV4Request, at time: UTCInstant) -> SigV4Request {
        var result = request
        for (name, value) in signingHeaders(for: request, at: time) { result.setHeader(name, value) }
        return result
    }

    /// The canonical request `signingHeaders(for:at:)` signs, for diagnosing a signature a server refuses.
    public func canonicalRequest(for request: SigV4Request, at time: UTCInstant) -> String {
        authorization(for: prepare(request, at: time).request, at: time).canonicalRequest
    }

    /// A URL that grants `request`'s method on its path and query until `expiresIn` seconds after `time`, with the
    /// signature in the query (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
    /// `X-Amz-SignedHeaders`, `X-Amz-Security-Token`, `X-Amz-Signature`).
    ///
    /// The request's headers are signed (at least `Host`), so whoever uses the URL must send the same ones. For S3
    /// the payload is `UNSIGNED-PAYLOAD`; other services sign the hash of `body` (normally empty).
    /// - Throws: `SigV4Error` `invalidExpiry` outside 1 … 604800 seconds (7 days, as AWS allows).
    public func presignedURL(
        for request: SigV4Request, expiresIn: Int, at time: UTCInstant
    ) throws(SigV4Error) -> String {
        guard (1...604_800).contains(expiresIn) else {
            throw SigV4Error(.invalidExpiry, "a presigned URL expires after 1 to 604800 seconds, not \(expiresIn)")
        }
        var headers = request.headers.filter { $0.name.lowercased() != "authorization" }
        if !headers.contains(where: { $0.name.lowercased() == "host" }) { headers.append(("host", request.hostHeader)) }
        let names = SigV4.defaultSignedNames(headers)
        let amzDate = SigV4.amzDate(time)
        let scope = SigV4.credentialScope(dateStamp: SigV4.dateStamp(time), region: region, service: service)
        var query = request.query
        query.append(("X-Amz-Algorithm", SigV4.algorithm))
        query.append(("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope)"))
        query.append(("X-Amz-Date", amzDate))
        query.append(("X-Amz-Expires", String(expiresIn)))
        query.append(("X-Amz-SignedHeaders", names.joined(separator: ";")))
        if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token)) }
        let payloadHash =
            rules.sendsContentSHA256
            ? SigV4.unsignedPayload
            : request.header("X-Amz-Content-SHA256") ?? SigV4.hexSHA256(request.body)
        let signature = SigV4.sign(
            method: request.method, path: request.path, query: query, headers: headers, signedNames: names,
            payloadHash: payloadHash, amzDate: amzDate, secret: credentials.secretAccessKey, region: region,
            service: service, rules: rules
        ).signature
        return "\(request.scheme)://\(request.hostHeader)\(request.path)?\(SigV4.canonicalQuery(query))"
            + "&X-Amz-Signature=\(signature)"
    }

    /// The request with the date, token and payload headers in place, and the headers that were added.
    private func prepare(
        _ request: SigV4Request, at time: UTCInstant
    ) -> (request: SigV4Request, added: [(name: String, value: String)]) {
        var request = request
        for name in ["Authorization", "X-Amz-Date", "X-Amz-Security-Token"] { request.removeHeaders(name) }
        var added: [(name: String, value: String)] = [("X-Amz-Date", SigV4.amzDate(time))]
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token)) }
        if rules.sendsContentSHA256 {
            let hash = request.header("X-Amz-Content-SHA256") ?? SigV4.hexSHA256(request.body)
            request.removeHeaders("X-Amz-Content-SHA256")
            added.append(("X-Amz-Content-SHA256", hash))
        }
        request.headers += added
        return (request, added)
    }

    /// The `Authorization` value for a prepared request, and the canonical request behind it.
    private func authorization(
        for request: SigV4Request, at time: UTCInstant
    ) -> (value: String, canonicalRequest: String) {
        var headers = request.headers
        if !headers.contains(where: { $0.name.lowercased() == "host" }) { headers.append(("host", request.hostHeader)) }
        let names = SigV4.defaultSignedNames(headers)
        let (signature, canonical) = SigV4.sign(
            method: request.method, path: request.path, query: request.query, headers: headers, signedNames: names,
            payloadHash: request.header("X-Amz-Content-SHA256") ?? SigV4.hexSHA256(request.body),
            amzDate: SigV4.amzDate(time), secret: credentials.secretAccessKey, region: region, service: service,
            rules: rules)
        let scope = SigV4.credentialScope(dateStamp: SigV4.dateStamp(time), region: region, service: service)
        let signedHeaders = names.joined(separator: ";")
        let value =
            "\(SigV4.algorithm) Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), "
            + "Signature=\(signature)"
        return (value, canonical)
    }
}
