public import PatchCore

/// What an operation reports: the AWS:PatchSummary fields and one entry per patch.
public struct PatchReport: Sendable {
    public enum Operation: String, Sendable { case scan = "Scan", install = "Install" }
    public enum RebootOption: String, Sendable, CaseIterable {
        case rebootIfNeeded = "RebootIfNeeded"
        case noReboot = "NoReboot"
    }

    public var operation: Operation
    public var operatingSystem: OperatingSystem
    public var product: String
    public var baseline: PatchBaseline
    public var patchGroup: String?
    public var snapshotId: String?
    public var installOverrideList: String?
    public var rebootOption: RebootOption
    public var operationStartTime: UTCInstant
    public var operationEndTime: UTCInstant
    public var lastNoRebootInstallOperationTime: UTCInstant?
    public var evaluation: Evaluation
    /// Whether the node must reboot for what is installed to take effect, and which packages asked for it.
    public var rebootRequired: Bool
    public var rebootRequiredBy: [String]
    /// Limits of what the operation could see or do, each naming a file or a package.
    public var warnings: [String]
    /// A post-install hook that failed (the operation then fails, as with AWS-RunPatchBaselineWithHooks).
    public var hookFailure: String?

    public init(
        operation: Operation, operatingSystem: OperatingSystem, product: String, baseline: PatchBaseline,
        patchGroup: String? = nil, snapshotId: String? = nil, installOverrideList: String? = nil,
        rebootOption: RebootOption = .rebootIfNeeded, operationStartTime: UTCInstant, operationEndTime: UTCInstant,
        lastNoRebootInstallOperationTime: UTCInstant? = nil, evaluation: Evaluation, rebootRequired: Bool = false,
        rebootRequiredBy: [String] = [], warnings: [String] = []
    ) {
        self.operation = operation
        self.operatingSystem = operatingSystem
        self.product = product
        self.baseline = baseline
        self.patchGroup = patchGroup
        self.snapshotId = snapshotId
        self.installOverrideList = installOverrideList
        self.rebootOption = rebootOption
        self.operationStartTime = operationStartTime
        self.operationEndTime = operationEndTime
        self.lastNoRebootInstallOperationTime = lastNoRebootInstallOperationTime
        self.evaluation = evaluation
        self.rebootRequired = rebootRequired
        self.rebootRequiredBy = rebootRequiredBy
        self.warnings = warnings
    }

    public var summary: PatchSummaryCounts { evaluation.summary }

    /// The JSON report: `{"summary": {...}, "patches": [...]}`. NotApplicable patches are counted but listed only
    /// with `includeNotApplicable` (there may be tens of thousands).
    public func json(includeNotApplicable: Bool = false, includeTrace: Bool = false) -> JSONValue {
        let s = summary
        func str(_ v: String?) -> JSONValue { v.map(JSONValue.string) ?? .null }
        func num(_ n: Int) -> JSONValue { .number(String(n)) }
        let summaryJSON: JSONValue = .object([
            ("operation", .string(operation.rawValue)),
            ("operatingSystem", .string(operatingSystem.rawValue)),
            ("product", .string(product)),
            ("patchGroup", str(patchGroup)),
            ("baselineId", str(baseline.baselineId)),
            ("baselineName", str(baseline.name)),
            ("snapshotId", str(snapshotId)),
            ("installOverrideList", str(installOverrideList)),
            ("rebootOption", .string(rebootOption.rawValue)),
            ("operationStartTime", .string(operationStartTime.iso8601)),
            ("operationEndTime", .string(operationEndTime.iso8601)),
            ("lastNoRebootInstallOperationTime", str(lastNoRebootInstallOperationTime?.iso8601)),
            ("installedCount", num(s.installed)),
            ("installedOtherCount", num(s.installedOther)),
            ("installedPendingRebootCount", num(s.installedPendingReboot)),
            ("installedRejectedCount", num(s.installedRejected)),
            ("missingCount", num(s.missing)),
            ("failedCount", num(s.failed)),
            ("notApplicableCount", num(s.notApplicable)),
            ("unreportedNotApplicableCount", num(includeNotApplicable ? 0 : s.notApplicable)),
            ("availableSecurityUpdateCount", num(s.availableSecurityUpdate)),
            ("criticalNonCompliantCount", num(s.criticalNonCompliant)),
            ("securityNonCompliantCount", num(s.securityNonCompliant)),
            ("otherNonCompliantCount", num(s.otherNonCompliant)),
            ("compliant", .bool(s.isCompliant)),
            ("rebootRequired", .bool(rebootRequired)),
            ("rebootRequiredBy", .array(rebootRequiredBy.map(JSONValue.string))),
        ])
        let patches: [JSONValue] = evaluation.decisions.compactMap { d in
            if d.state == .notApplicable && !includeNotApplicable { return nil }
            var m: [(key: String, value: JSONValue)] = [
                ("id", .string(d.id)),
                ("title", .string(d.title)),
                ("name", .string(d.key.name)),
                ("arch", .string(d.key.arch)),
                ("state", .string(d.state.displayName)),
                ("installedVersion", str(d.installedVersion)),
                ("availableVersion", str(d.targetVersion)),
                ("classification", str(d.classification)),
                ("severity", str(d.severity)),
                ("complianceLevel", .string(d.complianceLevel.rawValue)),
                ("security", .bool(d.isSecurity)),
                ("repository", str(d.repository)),
                ("cves", .array(d.cveIds.map(JSONValue.string))),
                ("advisories", .array(d.advisoryIds.map(JSONValue.string))),
                ("installedTime", str(d.installedTime?.iso8601)),
            ]
            if includeTrace { m.append(("trace", .array(d.trace.map { .string($0.description) }))) }
            return .object(m)
        }
        return .object([
            ("summary", summaryJSON),
            ("patches", .array(patches)),
            ("warnings", .array(warnings.map(JSONValue.string))),
        ])
    }

    /// The report for people: counts first, then what is missing or failed.
    public func table() -> String {
        let s = summary
        var out =
            "\(operation.rawValue) of \(product) (\(operatingSystem.rawValue)) with \(baseline.name ?? "baseline")"
        out += s.isCompliant ? ": COMPLIANT\n\n" : ": NON-COMPLIANT\n\n"
        let counts: [(String, Int)] = [
            ("Installed", s.installed), ("InstalledOther", s.installedOther),
            ("InstalledPendingReboot", s.installedPendingReboot), ("InstalledRejected", s.installedRejected),
            ("Missing", s.missing), ("Failed", s.failed), ("NotApplicable", s.notApplicable),
        ]
        for (name, n) in counts { out += pad(name, 24) + String(n) + "\n" }
        out += "\n" + pad("Critical non-compliant", 24) + String(s.criticalNonCompliant) + "\n"
        out += pad("Security non-compliant", 24) + String(s.securityNonCompliant) + "\n"
        out += pad("Other non-compliant", 24) + String(s.otherNonCompliant) + "\n"
        let listed = evaluation.decisions.filter {
            $0.state == .missing || $0.state == .failed || $0.state == .installedRejected
                || $0.state == .installedPendingReboot
        }
        if !listed.isEmpty {
            let rows =
                [["PACKAGE", "STATE", "INSTALLED", "AVAILABLE", "LEVEL", "FROM"]]
                + listed.map {
                    [
                        $0.id, $0.state.displayName, $0.installedVersion ?? "-", $0.targetVersion ?? "-",
                        $0.complianceLevel.rawValue, $0.repository ?? "-",
                    ]
                }
            let widths = (0..<6).map { c in rows.map { $0[c].count }.max() ?? 0 }
            out += "\n"
            for row in rows {
                out += row.enumerated().map { c, cell in c == 5 ? cell : pad(cell, widths[c] + 2) }.joined() + "\n"
            }
        }
        if rebootRequired {
            out +=
                "\nReboot required"
                + (rebootRequiredBy.isEmpty ? "" : " by " + rebootRequiredBy.joined(separator: ", "))
                + "\n"
        }
        for w in warnings { out += "warning: \(w)\n" }
        return out
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
