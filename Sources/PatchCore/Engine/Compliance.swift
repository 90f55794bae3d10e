/// The compliance state of one patch (`PatchComplianceDataState`).
public enum PatchState: String, Sendable, Hashable, CaseIterable, Codable {
    case installed = "INSTALLED"
    case installedOther = "INSTALLED_OTHER"
    case installedPendingReboot = "INSTALLED_PENDING_REBOOT"
    case installedRejected = "INSTALLED_REJECTED"
    case missing = "MISSING"
    case failed = "FAILED"
    case notApplicable = "NOT_APPLICABLE"
    case availableSecurityUpdate = "AVAILABLE_SECURITY_UPDATE"

    /// The spelling of the console and of compliance items: `InstalledOther`, `Missing`, ….
    public var displayName: String {
        switch self {
        case .installed: return "Installed"
        case .installedOther: return "InstalledOther"
        case .installedPendingReboot: return "InstalledPendingReboot"
        case .installedRejected: return "InstalledRejected"
        case .missing: return "Missing"
        case .failed: return "Failed"
        case .notApplicable: return "NotApplicable"
        case .availableSecurityUpdate: return "AvailableSecurityUpdate"
        }
    }

    public init?(displayName: String) {
        guard let s = PatchState.allCases.first(where: { $0.displayName == displayName }) else { return nil }
        self = s
    }
}

/// The counts of an `AWS:PatchSummary`.
public struct PatchSummaryCounts: Sendable, Hashable, Codable {
    public var installed = 0
    public var installedOther = 0
    public var installedPendingReboot = 0
    public var installedRejected = 0
    public var missing = 0
    public var failed = 0
    public var notApplicable = 0
    /// NotApplicable patches not reported one by one (the reporting layer caps the item list).
    public var unreportedNotApplicable = 0
    public var availableSecurityUpdate = 0
    public var criticalNonCompliant = 0
    public var securityNonCompliant = 0
    public var otherNonCompliant = 0

    public init() {}

    /// Compliant when nothing is missing, failed, rejected-but-installed or waiting for a reboot
    /// (and, when the baseline says so, no security update is available unapproved).
    public var isCompliant: Bool { criticalNonCompliant + securityNonCompliant + otherNonCompliant == 0 }

    public var total: Int {
        installed + installedOther + installedPendingReboot + installedRejected + missing + failed + notApplicable
            + availableSecurityUpdate
    }

    mutating func count(_ state: PatchState) {
        switch state {
        case .installed: installed += 1
        case .installedOther: installedOther += 1
        case .installedPendingReboot: installedPendingReboot += 1
        case .installedRejected: installedRejected += 1
        case .missing: missing += 1
        case .failed: failed += 1
        case .notApplicable: notApplicable += 1
        case .availableSecurityUpdate: availableSecurityUpdate += 1
        }
    }

    /// Counts the decisions. `availableSecurityUpdatesNonCompliant` says whether AvailableSecurityUpdate counts
    /// against compliance (the baseline's AvailableSecurityUpdatesComplianceStatus).
    public init(_ decisions: [PatchDecision], availableSecurityUpdatesNonCompliant: Bool = false) {
        for d in decisions {
            count(d.state)
            let nonCompliant: Bool
            switch d.state {
            case .missing, .failed, .installedRejected, .installedPendingReboot: nonCompliant = true
            case .availableSecurityUpdate: nonCompliant = availableSecurityUpdatesNonCompliant
            case .installed, .installedOther, .notApplicable: nonCompliant = false
            }
            guard nonCompliant else { continue }
            if d.complianceLevel == .critical { criticalNonCompliant += 1 }
            if d.isSecurity { securityNonCompliant += 1 }
            if d.complianceLevel != .critical && !d.isSecurity { otherNonCompliant += 1 }
        }
    }
}

/// One step of the reasoning behind a decision, for `explain`.
public struct TraceStep: Sendable, Hashable, CustomStringConvertible {
    public enum Stage: String, Sendable, Hashable {
        case installOverrideList = "install-override-list"
        case globalFilters = "global-filters"
        case approvalRules = "approval-rules"
        case approvedPatches = "approved-patches"
        case rejectedPatches = "rejected-patches"
        case selection = "selection"
        case state = "state"
    }

    public var stage: Stage
    /// The version the step is about (nil: the package as a whole).
    public var version: String?
    public var message: String

    public init(stage: Stage, version: String?, message: String) {
        self.stage = stage
        self.version = version
        self.message = message
    }

    public var description: String {
        version.map { "[\(stage.rawValue)] \($0): \(message)" } ?? "[\(stage.rawValue)] \(message)"
    }
}

/// What the engine decided for one package (`name.arch`).
public struct PatchDecision: Sendable, Hashable {
    public var key: PackageKey
    public var installedVersion: String?
    /// The newest approved version when it is newer than what is installed: what an Install installs.
    public var targetVersion: String?
    public var state: PatchState
    /// The highest compliance level of the rules (or the approved list) that approved the version in question.
    public var complianceLevel: ComplianceLevel
    public var classification: String?
    /// The package's own severity (PatchSeverity).
    public var severity: String?
    public var isSecurity: Bool
    public var cveIds: [String]
    public var advisoryIds: [String]
    public var installedTime: UTCInstant?
    /// Repository or origin of the target version.
    public var repository: String?
    public var trace: [TraceStep]
    /// The compliance item Title: `name.arch:version` (apt) or `name.arch:epoch:version-release` (rpm).
    public var title: String

    /// The compliance item Id: `name.arch`.
    public var id: String { key.description }
}

/// The outcome of an evaluation.
public struct Evaluation: Sendable {
    /// One decision per relevant package, sorted by name and architecture.
    public var decisions: [PatchDecision]
    public var summary: PatchSummaryCounts
    /// Things the engine could not use (an unparseable version, say), each naming the package.
    public var notes: [String]

    /// The packages an Install would install, with the versions.
    public var toInstall: [PatchDecision] { decisions.filter { $0.state == .missing && $0.targetVersion != nil } }
}
