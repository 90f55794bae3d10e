import Foundation
import PatchCore
import PatchTestSupport
import Testing

/// patchd reporting to a control plane over HTTPS: a real TLS server on loopback (the test's CA) that checks every
/// SigV4 signature with botocore and records PutInventory, refusing the first attempts as a control plane in
/// maintenance would.
@Suite("patchd reports upstream", .serialized)
struct UpstreamDaemonTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../AWSClientTests/Fixtures/aws_json_server.py").standardized.path

    @Test("results go to the outbox first; a refused report waits, and the next one sends both, in order, signed")
    func outboxToControlPlane() throws {
        // Three refusals: the first report's attempt (with its transport retries) fails.
        let server = try TLSTestServer(
            script: Self.script, arguments: ["AKIDNODE", "node-secret", "eu-west-1", "-", "3"])
        let dir = try TestDirectory.make(prefix: "patchd-upstream-e2e")
        defer { try? TestDirectory.remove(dir) }
        let root = try DaemonProcessTests.emptyDebianRoot(in: dir)
        let state = dir + "/state"
        try TestDirectory.write(
            #"{"InstanceId": "mi-0123456789abcdef0", "AccessKeyId": "AKIDNODE", "SecretAccessKey": "node-secret"}"#,
            to: state + "/registration.json", mode: 0o600)
        let config =
            "root: \(root)\nupstream_endpoint: \(server.baseURL)\nupstream_region: eu-west-1\nca_file: \(server.caFile)\n"
        let daemon = try DaemonProcess(config: config, stateDirectory: state)
        try daemon.waitUntilServing()

        let (_, first) = try daemon.request("POST", "/v1/operations", body: #"{"operation": "Scan"}"#)
        let firstId = try #require(first["id"]?.stringValue)
        _ = try daemon.waitForOperation(firstId)
        var upstream: JSONValue = .null
        for _ in 0..<100 {
            upstream = try daemon.request("GET", "/v1/status").1["upstream"] ?? .null
            if upstream["lastError"]?.stringValue != nil { break }
            usleep(100_000)
        }
        #expect(upstream["configured"] == .bool(true) && upstream["instanceId"] == .string("mi-0123456789abcdef0"))
        #expect(upstream["outboxDepth"] == .number("1"), "\(upstream)")
        #expect(upstream["lastError"]?.stringValue?.contains("ServiceUnavailable") == true, "\(upstream)")
        #expect(!FileManager.default.fileExists(atPath: server.root + "/PutInventory.jsonl"))

        let (_, second) = try daemon.request("POST", "/v1/operations", body: #"{"operation": "Scan"}"#)
        let secondId = try #require(second["id"]?.stringValue)
        _ = try daemon.waitForOperation(secondId)
        var lines: [String] = []
        for _ in 0..<100 {
            lines = ((try? String(contentsOfFile: server.root + "/PutInventory.jsonl", encoding: .utf8)) ?? "")
                .split(separator: "\n").map(String.init)
            if lines.count >= 2 { break }
            usleep(100_000)
        }
        #expect(lines.count == 2, "\(daemon.logText)")
        let reports = try lines.map { try JSONParser.parse($0) }
        func items(_ report: JSONValue) -> [JSONValue] {
            guard case .array(let items)? = report["Items"] else { return [] }
            return items
        }
        func executionId(_ report: JSONValue) -> String? {
            guard case .array(let content)? = items(report).first?["Content"] else { return nil }
            return content.first?["ExecutionId"]?.stringValue
        }
        // In order, the older first; each as the node.
        #expect(reports.map(executionId) == [firstId, secondId])
        #expect(reports.allSatisfy { $0["InstanceId"] == .string("mi-0123456789abcdef0") })
        #expect(items(reports[0]).map { $0["TypeName"]?.stringValue } == ["AWS:PatchSummary", "AWS:ComplianceItem"])
        // The same compliance content again: only the summary goes.
        #expect(items(reports[1]).map { $0["TypeName"]?.stringValue } == ["AWS:PatchSummary"])
        let after = try daemon.request("GET", "/v1/status").1["upstream"] ?? .null
        #expect(after["outboxDepth"] == .number("0") && after["lastContact"]?.stringValue != nil, "\(after)")
        let metrics = try UnixHTTPClient.request(daemon.socket, "/metrics").text
        #expect(metrics.contains("patchd_upstream_outbox_depth 0"))
    }

    @Test("an endpoint but no registration: patchd serves, says so, and keeps results local")
    func notRegistered() throws {
        let dir = try TestDirectory.make(prefix: "patchd-upstream-unregistered")
        defer { try? TestDirectory.remove(dir) }
        let daemon = try DaemonProcess(config: "upstream_endpoint: https://localhost:9\n")
        try daemon.waitUntilServing()
        let upstream = try daemon.request("GET", "/v1/status").1["upstream"] ?? .null
        #expect(upstream["configured"] == .bool(true) && upstream["registered"] == .bool(false), "\(upstream)")
        #expect(daemon.logText.contains("not registered"))
    }
}
