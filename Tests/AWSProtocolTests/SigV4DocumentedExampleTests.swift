import AWSProtocol
import PatchCore
import Testing

/// The worked examples in AWS's SigV4 documentation: the IAM ListUsers request of the general reference and the
/// S3 examples of "Authenticating Requests (AWS Signature Version 4)". Their inputs are reproduced exactly; the
/// expected signatures are the published ones.
@Suite("SigV4: AWS's published examples")
struct SigV4DocumentedExampleTests {
    static let iamCredentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let s3Credentials = AWSCredentials(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let s3Time = SigV4.parseAmzDate("20130524T000000Z")!

    @Test("IAM ListUsers (GET with a query, form content type): canonical request, string to sign, signature")
    func iamListUsers() throws {
        let signer = SigV4Signer(credentials: Self.iamCredentials, region: "us-east-1", service: "iam")
        let time = try #require(SigV4.parseAmzDate("20150830T123600Z"))
        let request = try SigV4Request(
            method: "GET", url: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")])
        let canonical = signer.canonicalRequest(for: request, at: time)
        #expect(
            canonical == """
                GET
                /
                Action=ListUsers&Version=2010-05-08
                content-type:application/x-www-form-urlencoded; charset=utf-8
                host:iam.amazonaws.com
                x-amz-date:20150830T123600Z

                content-type;host;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """)
        #expect(
            SigV4.hexSHA256(Array(canonical.utf8))
                == "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59")
        let headers = signer.signingHeaders(for: request, at: time)
        #expect(headers.map(\.name) == ["X-Amz-Date", "Authorization"])
        #expect(headers[0].value == "20150830T123600Z")
        #expect(
            headers[1].value
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-date, "
                + "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
    }

    @Test("S3 GET Object with a Range header")
    func s3GetObject() throws {
        let signer = SigV4Signer(credentials: Self.s3Credentials, region: "us-east-1", service: "s3")
        let request = SigV4Request(
            method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", headers: [("Range", "bytes=0-9")])
        let headers = signer.signingHeaders(for: request, at: Self.s3Time)
        #expect(headers.map(\.name) == ["X-Amz-Date", "X-Amz-Content-SHA256", "Authorization"])
        #expect(headers[1].value == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            headers[2].value
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test("S3 PUT Object: a body, a Date header, a storage class, a key with `$` encoded once")
    func s3PutObject() throws {
        let signer = SigV4Signer(credentials: Self.s3Credentials, region: "us-east-1", service: "s3")
        let request = SigV4Request(
            method: "PUT", host: "examplebucket.s3.amazonaws.com", path: AWSURIEncoding.path("/test$file.text"),
            headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
            body: Array("Welcome to Amazon S3.".utf8))
        #expect(request.path == "/test%24file.text")
        let authorization = try #require(signer.signingHeaders(for: request, at: Self.s3Time).last?.value)
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
                + "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test("S3 GET Bucket lifecycle: a query parameter without a value")
    func s3GetLifecycle() throws {
        let signer = SigV4Signer(credentials: Self.s3Credentials, region: "us-east-1", service: "s3")
        let request = try SigV4Request(method: "GET", url: "https://examplebucket.s3.amazonaws.com/?lifecycle")
        #expect(request.query.map(\.name) == ["lifecycle"])
        let authorization = try #require(signer.signingHeaders(for: request, at: Self.s3Time).last?.value)
        #expect(authorization.hasSuffix("Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"))
    }

    @Test("S3 GET Bucket (list objects): two parameters sorted")
    func s3ListObjects() throws {
        let signer = SigV4Signer(credentials: Self.s3Credentials, region: "us-east-1", service: "s3")
        let request = try SigV4Request(
            method: "GET", url: "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J")
        let authorization = try #require(signer.signingHeaders(for: request, at: Self.s3Time).last?.value)
        #expect(authorization.hasSuffix("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))
    }

    @Test("S3 presigned GET Object URL, valid for a day")
    func s3PresignedURL() throws {
        let signer = SigV4Signer(credentials: Self.s3Credentials, region: "us-east-1", service: "s3")
        let request = SigV4Request(method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt")
        let url = try signer.presignedURL(for: request, expiresIn: 86_400, at: Self.s3Time)
        #expect(
            url
                == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test("the signing key of the general reference's derivation example")
    func signingKey() {
        let published = "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        #expect(
            SigV4.signingKeyHex(
                secret: Self.iamCredentials.secretAccessKey, dateStamp: "20150830", region: "us-east-1",
                service: "iam") == published)
    }
}
