import AWSProtocol
import PatchAgent
import PatchCore
import Testing

/// PutInventory items as the SSM agent sends them, from a real evaluation: AWS:PatchSummary counts as strings, one
/// AWS:ComplianceItem entry per listed patch, ContentHash the SHA-256 of the content.
@Suite("InventoryReport: the PutInventory items of an operation")
struct InventoryReportTests {
    static let start = UTCInstant(iso8601: "2026-11-22T03:00:00Z")!
    static let end = UTCInstant(iso8601: "2026-11-22T03:02:07Z")!

    static func report(missingCVE: [String] = ["CVE-2026-0001"]) -> PatchReport {
        let baseline = PredefinedBaselines.baseline(for: .debian)
        let evaluation = ApprovalEngine.evaluate(
            EvaluationRequest(
                baseline: baseline, product: "Debian12",
                installed: [
                    InstalledPackage(name: "openssl", arch: "amd64", version: "3.0.11-1~deb12u1"),
                    InstalledPackage(name: "zlib1g", arch: "amd64", version: "1:1.2.13.dfsg-1"),
                ],
                available: [
                    AvailablePackage(
                        name: "openssl", arch: "amd64", version: "3.0.15-1~deb12u1",
                        repository: "Debian-Security bookworm-security/main", security: true,
                        classification: "Security", priority: "optional", section: "utils", cveIds: missingCVE),
                    AvailablePackage(
                        name: "curl", arch: "amd64", version: "7.88.1-10+deb12u8",
                        repository: "Debian-Security bookworm-security/main", security: true,
                        classification: "Security", priority: "optional", section: "web"),
                ],
                operationTime: start))
        return PatchReport(
            operation: .scan, operatingSystem: .debian, product: "Debian12", baseline: baseline, patchGroup: "web",
            snapshotId: "9a5d8e85-9ed1-4f92-9f02-74c2be0064cb", operationStartTime: start, operationEndTime: end,
            evaluation: evaluation)
    }

    @Test("the PutInventory input: the node, a summary item and a compliance item in AWS's shapes")
    func shapes() throws {
        let input = InventoryReport.putInventoryInput(
            Self.report(), instanceId: "mi-0123456789abcdef0", executionId: "op-1")
        #expect(input["InstanceId"]?.stringValue == "mi-0123456789abcdef0")
        guard case .array(let items)? = input["Items"] else { Issue.record("no Items"); return }
        #expect(items.count == 2)
        let summary = items[0]
        #expect(summary["TypeName"]?.stringValue == "AWS:PatchSummary")
        #expect(summary["SchemaVersion"]?.stringValue == "1.0")
        #expect(summary["CaptureTime"]?.stringValue == "2026-11-22T03:02:07Z")
        guard case .array(let summaryContent)? = summary["Content"], let content = summaryContent.first else {
            Issue.record("no summary Content")
            return
        }
        #expect(content["MissingCount"] == .string("1"))
        #expect(content["InstalledOtherCount"] == .string("1"))
        #expect(content["NotApplicableCount"] == .string("1"))
        #expect(content["SecurityNonCompliantCount"] == .string("1"))
        #expect(content["OperationType"] == .string("Scan"))
        #expect(content["OperationStartTime"] == .string("2026-11-22T03:00:00Z"))
        #expect(content["PatchGroup"] == .string("web"))
        #expect(content["SnapshotId"] == .string("9a5d8e85-9ed1-4f92-9f02-74c2be0064cb"))
        #expect(content["ExecutionId"] == .string("op-1"))
        #expect(content["RebootOption"] == .string("RebootIfNeeded"))
        #expect(content["NonCompliantSeverity"] == .string("UNSPECIFIED"))
        #expect(content["LastNoRebootInstallOperationTime"] == nil)

        let compliance = items[1]
        #expect(compliance["TypeName"]?.stringValue == "AWS:ComplianceItem")
        #expect(compliance["Context"]?["ComplianceType"] == .string("Patch"))
        #expect(compliance["Context"]?["ExecutionType"] == .string("Command"))
        #expect(compliance["Context"]?["ExecutionId"] == .string("9a5d8e85-9ed1-4f92-9f02-74c2be0064cb"))
        guard case .array(let entries)? = compliance["Content"] else { Issue.record("no Content"); return }
        // Compliant states first, then the non-compliant; NotApplicable (curl, not installed) is not listed.
        #expect(entries.map { $0["Id"]?.stringValue } == ["zlib1g.amd64", "openssl.amd64"])
        let missing = entries[1]
        #expect(missing["Status"] == .string("NON_COMPLIANT"))
        #expect(missing["PatchState"] == .string("Missing"))
        #expect(missing["Title"] == .string("openssl.amd64:3.0.15-1~deb12u1"))
        #expect(missing["Classification"] == .string("Security"))
        #expect(missing["Severity"] == .string("UNSPECIFIED"))
        #expect(missing["CVEIds"] == .string("CVE-2026-0001"))
        #expect(missing["PatchBaselineId"]?.stringValue?.hasPrefix("arn:aws:ssm:") == true)
        #expect(entries[0]["Status"] == .string("COMPLIANT"))
        #expect(entries[0]["CVEIds"] == nil)
    }

    @Test("ContentHash: the SHA-256 of the content; equal content, equal hash; changed content, another hash")
    func contentHash() throws {
        let a = InventoryReport.complianceItem(Self.report())
        let b = InventoryReport.complianceItem(Self.report())
        let c = InventoryReport.complianceItem(Self.report(missingCVE: ["CVE-2026-0002"]))
        let hash = try #require(a["ContentHash"]?.stringValue)
        #expect(hash.count == 64 && hash.allSatisfy(\.isHexDigit))
        #expect(hash == b["ContentHash"]?.stringValue)
        #expect(hash != c["ContentHash"]?.stringValue)
        guard case .array(let content)? = a["Content"] else { Issue.record("no Content"); return }
        #expect(hash == InventoryReport.contentHash(content))
        // Key order does not matter: the hash is over the content with sorted keys.
        let reordered = content.map { entry -> JSONValue in
            guard case .object(let members) = entry else { return entry }
            return .object(members.reversed())
        }
        #expect(InventoryReport.contentHash(reordered) == hash)
    }
}
