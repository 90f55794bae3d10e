import AWSProtocol
public import PatchCore

/// An operation's result as the SSM agent reports it: `PutInventory` with an `AWS:PatchSummary` item (the counts, as
/// strings) and an `AWS:ComplianceItem` item (one entry per patch, compliance type `Patch`), times as
/// `YYYY-MM-DDTHH:MM:SSZ`, each item with the SHA-256 of its content as ContentHash so the control plane (and this
/// agent) can tell unchanged content.
public enum InventoryReport {
    public static let summaryType = "AWS:PatchSummary"
    public static let complianceType = "AWS:ComplianceItem"

    /// The `PutInventory` input for `report`, run on node `instanceId` as `executionId` (the command or operation).
    /// NotApplicable patches are counted, not listed, as the agent does by default.
    public static func putInventoryInput(_ report: PatchReport, instanceId: String, executionId: String) -> JSONValue {
        .object([
            ("InstanceId", .string(instanceId)),
            ("Items", .array([summaryItem(report, executionId: executionId), complianceItem(report)])),
        ])
    }

    static func item(_ type: String, capture: UTCInstant, context: JSONValue? = nil, content: [JSONValue]) -> JSONValue
    {
        var members: [(key: String, value: JSONValue)] = [
            ("TypeName", .string(type)), ("SchemaVersion", .string("1.0")),
            ("ContentHash", .string(contentHash(content))), ("CaptureTime", .string(capture.iso8601)),
        ]
        if let context { members.append(("Context", context)) }
        members.append(("Content", .array(content)))
        return .object(members)
    }

    /// SHA-256 (hex) of the content written compactly with its keys sorted: the same content, the same hash.
    public static func contentHash(_ content: [JSONValue]) -> String {
        SigV4.hexSHA256(Array(JSONWriter.write(sorted(.array(content)), pretty: false).utf8))
    }

    static func sorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): .object(members.sorted { $0.key < $1.key }.map { ($0.key, sorted($0.value)) })
        case .array(let items): .array(items.map(sorted))
        default: value
        }
    }

    public static func summaryItem(_ report: PatchReport, executionId: String) -> JSONValue {
        let s = report.summary
        func n(_ v: Int) -> JSONValue { .string(String(v)) }
        var content: [(key: String, value: JSONValue)] = [
            ("BaselineId", .string(report.baseline.baselineId ?? "")),
            ("PatchGroup", .string(report.patchGroup ?? "")),
            ("SnapshotId", .string(report.snapshotId ?? "")),
            ("ExecutionId", .string(executionId)),
            ("InstalledCount", n(s.installed)),
            ("InstalledOtherCount", n(s.installedOther)),
            ("InstalledRejectedCount", n(s.installedRejected)),
            ("InstalledPendingRebootCount", n(s.installedPendingReboot)),
            ("NotApplicableCount", n(s.notApplicable)),
            ("MissingCount", n(s.missing)),
            ("FailedCount", n(s.failed)),
            ("CriticalNonCompliantCount", n(s.criticalNonCompliant)),
            ("SecurityNonCompliantCount", n(s.securityNonCompliant)),
            ("OtherNonCompliantCount", n(s.otherNonCompliant)),
            ("OperationType", .string(report.operation.rawValue)),
            ("OperationStartTime", .string(report.operationStartTime.iso8601)),
            ("OperationEndTime", .string(report.operationEndTime.iso8601)),
            ("RebootOption", .string(report.rebootOption.rawValue)),
        ]
        if let list = report.installOverrideList { content.append(("InstallOverrideList", .string(list))) }
        if let t = report.lastNoRebootInstallOperationTime {
            content.append(("LastNoRebootInstallOperationTime", .string(t.iso8601)))
        }
        if let severity = nonCompliantSeverity(report) {
            content.append(("NonCompliantSeverity", .string(severity.rawValue)))
        }
        return item(summaryType, capture: report.operationEndTime, content: [.object(content)])
    }

    /// The order the agent lists patches in: by state (compliant first), then by id.
    static let stateOrder: [PatchState] = [
        .installed, .installedOther, .installedRejected, .installedPendingReboot, .missing, .failed,
    ]

    public static func complianceItem(_ report: PatchReport) -> JSONValue {
        let baselineId = report.baseline.baselineId ?? ""
        var content: [JSONValue] = []
        for state in stateOrder {
            for d in report.evaluation.decisions.filter({ $0.state == state }).sorted(by: { $0.id < $1.id }) {
                var entry: [(key: String, value: JSONValue)] = [
                    ("Id", .string(d.id)),
                    ("Title", .string(d.title)),
                    ("Severity", .string(d.complianceLevel.rawValue)),
                    ("Status", .string(isCompliant(state) ? "COMPLIANT" : "NON_COMPLIANT")),
                    ("PatchBaselineId", .string(baselineId)),
                    ("PatchState", .string(state.displayName)),
                    ("PatchGroup", .string(report.patchGroup ?? "")),
                    ("DocumentName", .string("")),
                    ("DocumentVersion", .string("")),
                    ("InstalledTime", .string(d.installedTime?.iso8601 ?? "")),
                    ("Classification", .string(d.classification ?? "")),
                    ("PatchSeverity", .string(d.severity ?? "")),
                ]
                if (state == .missing || state == .failed) && !d.cveIds.isEmpty {
                    entry.append(("CVEIds", .string(d.cveIds.joined(separator: ","))))
                }
                if let list = report.installOverrideList { entry.append(("InstallOverrideList", .string(list))) }
                content.append(.object(entry))
            }
        }
        let context: JSONValue = .object([
            ("ComplianceType", .string("Patch")),
            ("ExecutionId", .string(report.snapshotId ?? "")),
            ("ExecutionType", .string("Command")),
            ("ExecutionTime", .string(report.operationStartTime.iso8601)),
        ])
        return item(complianceType, capture: report.operationEndTime, context: context, content: content)
    }

    /// Installed, InstalledOther and NotApplicable are compliant; InstalledRejected, InstalledPendingReboot, Missing
    /// and Failed are not.
    static func isCompliant(_ state: PatchState) -> Bool {
        state == .installed || state == .installedOther || state == .notApplicable
    }

    /// The highest compliance level among the non-compliant patches; nil when the node is compliant.
    static func nonCompliantSeverity(_ report: PatchReport) -> ComplianceLevel? {
        let ranked: [ComplianceLevel] = [.critical, .high, .medium, .low, .informational, .unspecified]
        let levels = Set(report.evaluation.decisions.filter { !isCompliant($0.state) }.map(\.complianceLevel))
        return ranked.first { levels.contains($0) }
    }
}
