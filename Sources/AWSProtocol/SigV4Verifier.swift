public import PatchCore

/// What a request claims in its `Authorization` header or presigned query: who signed, for which scope, when, which
/// headers, and the signature. Parsed before the secret is looked up, so a server can fetch the key (from a
/// database, asynchronously) between `SigV4Verifier.claim(in:)` and `SigV4Verifier.verify(_:claim:credentials:now:)`.
public struct SigV4Claim: Sendable, Equatable {
    /// The access key id of the credential.
    public var accessKeyID: String
    /// The credential scope's date, `YYYYMMDD`.
    public var dateStamp: String
    /// The credential scope's region.
    public var region: String
    /// The credential scope's service.
    public var service: String
    /// `X-Amz-Date` as sent.
    public var amzDate: String
    /// The instant `amzDate` names.
    public var time: UTCInstant
    /// The signed header names as listed.
    public var signedHeaders: [String]
    /// The hex signature.
    public var signature: String
    /// A presigned URL's lifetime in seconds; nil for an `Authorization` header.
    public var expires: Int?
}

/// Why a request's signature was not accepted.
public struct SigV4VerificationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, for code that branches on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// Neither an `Authorization` header nor a presigned query.
        public static let missingAuthentication = Code(name: "missingAuthentication")
        /// An `Authorization` header or presigned query that does not parse, or another algorithm.
        public static let malformed = Code(name: "malformed")
        /// No credentials for the access key id.
        public static let unknownAccessKey = Code(name: "unknownAccessKey")
        /// A credential scope for another region or service, or whose date is not `X-Amz-Date`'s.
        public static let wrongScope = Code(name: "wrongScope")
        /// `X-Amz-Date` further from the server's clock than the allowed skew.
        public static let requestTimeTooSkewed = Code(name: "requestTimeTooSkewed")
        /// A presigned URL used after its lifetime.
        public static let expired = Code(name: "expired")
        /// A header listed in `SignedHeaders` is not in the request.
        public static let missingSignedHeader = Code(name: "missingSignedHeader")
        /// A header that must be signed (`host`, `x-amz-*`) is not.
        public static let unsignedHeader = Code(name: "unsignedHeader")
        /// `X-Amz-Content-SHA256` is not the body's hash (or is `UNSIGNED-PAYLOAD` where that is not allowed).
        public static let payloadHashMismatch = Code(name: "payloadHashMismatch")
        /// A session token missing, unexpected, or not the one the credentials have.
        public static let invalidSecurityToken = Code(name: "invalidSecurityToken")
        /// The recomputed signature differs.
        public static let signatureMismatch = Code(name: "signatureMismatch")
        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// What was wrong (never a secret, never the expected signature).
    public var message: String

    /// An error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The `__type` an AWS JSON service answers this failure with (HTTP 400, or 403 for `expired`).
    public var awsErrorType: String {
        switch code {
        case .missingAuthentication: return "MissingAuthenticationTokenException"
        case .malformed, .missingSignedHeader, .unsignedHeader, .wrongScope: return "IncompleteSignatureException"
        case .unknownAccessKey, .invalidSecurityToken: return "UnrecognizedClientException"
        case .requestTimeTooSkewed: return "InvalidSignatureException"
        case .expired: return "AccessDeniedException"
        default: return "InvalidSignatureException"
        }
    }

    public var description: String { message }
}

/// Checks SigV4 signatures on the server side: parses the claim, checks the time, the scope and the headers that
/// must be signed, recomputes the signature with the secret the server knows, and compares in constant time.
public struct SigV4Verifier: Sendable {
    /// The region a scope must name; nil accepts any.
    public var region: String?
    /// The service a scope must name; nil accepts any.
    public var service: String?
    /// How far `X-Amz-Date` may be from the server's clock, either way (AWS allows 15 minutes).
    public var maximumSkewSeconds: Int64
    /// Accept `X-Amz-Content-SHA256: UNSIGNED-PAYLOAD` (the body then is not covered by the signature).
    public var allowsUnsignedPayload: Bool

    /// A verifier for a region and service (nil: any), with AWS's 15-minute skew.
    public init(
        region: String? = nil, service: String? = nil, maximumSkewSeconds: Int64 = 900,
        allowsUnsignedPayload: Bool = false
    ) {
        self.region = region
        self.service = service
        self.maximumSkewSeconds = maximumSkewSeconds
        self.allowsUnsignedPayload = allowsUnsignedPayload
    }

    /// Verifies `request` against the credentials `lookUp` returns for its access key id; the claim on success.
    public func verify(
        _ request: SigV4Request, now: UTCInstant, lookUp: (String) -> AWSCredentials?
    ) throws(SigV4VerificationError) -> SigV4Claim {
        let claim = try claim(in: request)
        guard let credentials = lookUp(claim.accessKeyID) else {
            throw SigV4VerificationError(.unknownAccessKey, "the access key id \(claim.accessKeyID) is not known")
        }
        try verify(request, claim: claim, credentials: credentials, now: now)
        return claim
    }

    /// The claim in an `Authorization` header, or else in a presigned URL's query (`X-Amz-Signature`).
    public func claim(in request: SigV4Request) throws(SigV4VerificationError) -> SigV4Claim {
        let authorizations = request.headerValues("Authorization")
        if authorizations.count > 1 {
            throw SigV4VerificationError(.malformed, "more than one Authorization header")
        }
        if let authorization = authorizations.first {
            guard request.headerValues("X-Amz-Date").count == 1, let amzDate = request.header("X-Amz-Date") else {
                throw SigV4VerificationError(.malformed, "a signed request needs exactly one X-Amz-Date header")
            }
            return try Self.parseAuthorization(authorization, amzDate: amzDate)
        }
        if request.query.contains(where: { $0.name == "X-Amz-Signature" }) {
            return try Self.parsePresignedQuery(request.query)
        }
        throw SigV4VerificationError(
            .missingAuthentication, "the request has neither an Authorization header nor a presigned query")
    }

    /// Checks `claim` (from `claim(in:)`) for `request` with the signer's `credentials` at the server's time `now`.
    public func verify(
        _ request: SigV4Request, claim: SigV4Claim, credentials: AWSCredentials, now: UTCInstant
    ) throws(SigV4VerificationError) {
        if let region, claim.region != region {
            throw SigV4VerificationError(
                .wrongScope, "the credential scope is for region \(claim.region), not \(region)")
        }
        if let service, claim.service != service {
            throw SigV4VerificationError(
                .wrongScope, "the credential scope is for service \(claim.service), not \(service)")
        }
        guard claim.amzDate.hasPrefix(claim.dateStamp) else {
            throw SigV4VerificationError(
                .wrongScope, "the credential scope's date \(claim.dateStamp) is not X-Amz-Date's \(claim.amzDate)")
        }
        let skew = now.secondsSinceEpoch - claim.time.secondsSinceEpoch
        if let expires = claim.expires {
            guard skew >= -maximumSkewSeconds else {
                throw SigV4VerificationError(
                    .requestTimeTooSkewed, "the URL was signed for \(claim.time), later than now (\(now))")
            }
            guard skew <= Int64(expires) else {
                throw SigV4VerificationError(
                    .expired,
                    "the URL expired at \(UTCInstant(secondsSinceEpoch: claim.time.secondsSinceEpoch + Int64(expires)))"
                )
            }
        } else if abs(skew) > maximumSkewSeconds {
            throw SigV4VerificationError(
                .requestTimeTooSkewed,
                "the request was signed at \(claim.time), more than \(maximumSkewSeconds) seconds from now (\(now))")
        }

        // Headers: every listed one present; Host, and each x-amz-* header sent as a header, signed.
        let present = Set(request.headers.map { $0.name.lowercased().trimmedOfSpaces })
        for name in claim.signedHeaders where !present.contains(name) {
            throw SigV4VerificationError(.missingSignedHeader, "the signed header \(name) is not in the request")
        }
        let signed = Set(claim.signedHeaders)
        for name in present.sorted()
        where (name == "host" || name.hasPrefix("x-amz-")) && !signed.contains(name) {
            throw SigV4VerificationError(.unsignedHeader, "the header \(name) must be signed")
        }
        guard signed.contains("host") else {
            throw SigV4VerificationError(.unsignedHeader, "the header host must be signed")
        }

        let token =
            claim.expires == nil
            ? request.header("X-Amz-Security-Token")
            : request.query.last { $0.name == "X-Amz-Security-Token" }?.value
        switch (credentials.sessionToken, token) {
        case (nil, nil): break
        case (let expected?, let sent?) where SigV4.constantTimeEqual(expected, sent): break
        default:
            throw SigV4VerificationError(.invalidSecurityToken, "the security token in the request is not valid")
        }

        let rules = SigV4.Rules.forService(claim.service)
        let payloadHash: String
        if claim.expires != nil && rules.sendsContentSHA256 {
            payloadHash = SigV4.unsignedPayload
        } else if let declared = request.header("X-Amz-Content-SHA256") {
            if declared == SigV4.unsignedPayload {
                guard allowsUnsignedPayload else {
                    throw SigV4VerificationError(.payloadHashMismatch, "an unsigned payload is not accepted")
                }
            } else if declared != SigV4.hexSHA256(request.body) {
                throw SigV4VerificationError(
                    .payloadHashMismatch, "X-Amz-Content-SHA256 is not the SHA-256 of the body received")
            }
            payloadHash = declared
        } else {
            payloadHash = SigV4.hexSHA256(request.body)
        }

        let query = claim.expires == nil ? request.query : request.query.filter { $0.name != "X-Amz-Signature" }
        let expected = SigV4.sign(
            method: request.method, path: request.path, query: query, headers: request.headers,
            signedNames: claim.signedHeaders, payloadHash: payloadHash, amzDate: claim.amzDate,
            secret: credentials.secretAccessKey, region: claim.region, service: claim.service, rules: rules
        ).signature
        guard SigV4.constantTimeEqual(expected, claim.signature) else {
            throw SigV4VerificationError(
                .signatureMismatch,
                "the signature does not match: check the secret key and how the request is canonicalised")
        }
    }

    /// Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
    static func parseAuthorization(
        _ header: String, amzDate: String
    ) throws(SigV4VerificationError) -> SigV4Claim {
        func malformed(_ why: String) -> SigV4VerificationError {
            SigV4VerificationError(.malformed, "Authorization header: \(why)")
        }
        let trimmed = header.trimmedOfSpaces
        guard let space = trimmed.firstIndex(of: " ") else { throw malformed("no credential after the algorithm") }
        guard trimmed[..<space] == SigV4.algorithm else {
            throw malformed("the algorithm is not \(SigV4.algorithm)")
        }
        var fields: [String: String] = [:]
        for part in trimmed[space...].split(separator: ",") {
            let item = String(part).trimmedOfSpaces
            guard let equals = item.firstIndex(of: "=") else { throw malformed("\(item) is not name=value") }
            let name = String(item[..<equals])
            guard fields[name] == nil else { throw malformed("\(name) is given twice") }
            fields[name] = String(item[item.index(after: equals)...])
        }
        guard let credential = fields["Credential"], let signedHeaders = fields["SignedHeaders"],
            let signature = fields["Signature"], fields.count == 3
        else { throw malformed("it needs exactly Credential, SignedHeaders and Signature") }
        return try makeClaim(
            credential: credential, signedHeaders: signedHeaders, signature: signature, amzDate: amzDate,
            expires: nil, context: "Authorization header")
    }

    /// Parses a presigned URL's `X-Amz-*` parameters.
    static func parsePresignedQuery(
        _ query: [(name: String, value: String)]
    ) throws(SigV4VerificationError) -> SigV4Claim {
        func single(_ name: String) throws(SigV4VerificationError) -> String {
            let values = query.filter { $0.name == name }.map(\.value)
            guard values.count == 1 else {
                throw SigV4VerificationError(.malformed, "presigned URL: it needs exactly one \(name)")
            }
            return values[0]
        }
        guard try single("X-Amz-Algorithm") == SigV4.algorithm else {
            throw SigV4VerificationError(.malformed, "presigned URL: the algorithm is not \(SigV4.algorithm)")
        }
        guard let expires = Int(try single("X-Amz-Expires")), (1...604_800).contains(expires) else {
            throw SigV4VerificationError(.malformed, "presigned URL: X-Amz-Expires is not 1 to 604800 seconds")
        }
        return try makeClaim(
            credential: single("X-Amz-Credential"), signedHeaders: single("X-Amz-SignedHeaders"),
            signature: single("X-Amz-Signature"), amzDate: single("X-Amz-Date"), expires: expires,
            context: "presigned URL")
    }

    private static func makeClaim(
        credential: String, signedHeaders: String, signature: String, amzDate: String, expires: Int?,
        context: String
    ) throws(SigV4VerificationError) -> SigV4Claim {
        func malformed(_ why: String) -> SigV4VerificationError {
            SigV4VerificationError(.malformed, "\(context): \(why)")
        }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, scope[4] == "aws4_request", scope.dropLast().allSatisfy({ !$0.isEmpty }),
            scope[1].utf8.count == 8, scope[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else { throw malformed("the credential is not key/YYYYMMDD/region/service/aws4_request") }
        let names = signedHeaders.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty && $0 == $0.lowercased() }) else {
            throw malformed("SignedHeaders is not a list of lower-case names")
        }
        guard signature.utf8.count == 64,
            signature.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else { throw malformed("the signature is not 64 lower-case hex digits") }
        guard let time = SigV4.parseAmzDate(amzDate) else {
            throw malformed("X-Amz-Date \(amzDate) is not YYYYMMDDTHHMMSSZ")
        }
        return SigV4Claim(
            accessKeyID: scope[0], dateStamp: scope[1], region: scope[2], service: scope[3], amzDate: amzDate,
            time: time, signedHeaders: names, signature: signature, expires: expires)
    }
}
