import Foundation
import PatchTestSupport
import Testing

@Suite("The OpenAPI document of the local API")
struct OpenAPIDocumentTests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../docs/openapi.yaml").standardized.path

    @Test("it is a valid OpenAPI 3 document (openapi-spec-validator) and lists every route patchd serves")
    func valid() throws {
        let script = """
            import sys
            from openapi_spec_validator import validate
            from openapi_spec_validator.readers import read_from_filename
            spec, _ = read_from_filename(sys.argv[1])
            validate(spec)
            print(" ".join(sorted(spec["paths"].keys())))
            """
        let out = try TestProcess.run(["python3", "-c", script, Self.document], timeout: .seconds(60))
        #expect(out.status == 0, "\(out.stderr)")
        let paths = Set(out.stdout.split(whereSeparator: \.isWhitespace).map(String.init))
        let served: Set<String> = [
            "/v1/status", "/v1/patches", "/v1/operations", "/v1/operations/{id}", "/v1/operations/{id}/events",
            "/v1/operations/{id}/cancel", "/v1/explain/{package}", "/metrics",
        ]
        #expect(paths == served)
    }
}
