/// The `OperatingSystem` values of the SSM API.
public enum OperatingSystem: String, Sendable, CaseIterable, Hashable, Codable {
    case windows = "WINDOWS"
    case amazonLinux = "AMAZON_LINUX"
    case amazonLinux2 = "AMAZON_LINUX_2"
    case amazonLinux2022 = "AMAZON_LINUX_2022"
    case amazonLinux2023 = "AMAZON_LINUX_2023"
    case ubuntu = "UBUNTU"
    case redhatEnterpriseLinux = "REDHAT_ENTERPRISE_LINUX"
    case suse = "SUSE"
    case centos = "CENTOS"
    case oracleLinux = "ORACLE_LINUX"
    case debian = "DEBIAN"
    case macOS = "MACOS"
    case raspbian = "RASPBIAN"
    case rockyLinux = "ROCKY_LINUX"
    case almaLinux = "ALMA_LINUX"

    /// How packages and patch names work on this OS.
    public enum Family: Sendable, Hashable {
        case apt, yum, zypper, macOS, windows
    }

    public var family: Family {
        switch self {
        case .debian, .ubuntu, .raspbian: return .apt
        case .suse: return .zypper
        case .macOS: return .macOS
        case .windows: return .windows
        case .amazonLinux, .amazonLinux2, .amazonLinux2022, .amazonLinux2023, .redhatEnterpriseLinux, .centos,
            .oracleLinux, .rockyLinux, .almaLinux:
            return .yum
        }
    }

    public var isLinux: Bool { family != .macOS && family != .windows }

    /// Approval delays mean nothing where packages carry no trustworthy release date.
    public var honoursApprovalDelays: Bool { family != .apt }

    /// Package versions on this OS compare like these.
    public var versionScheme: VersionScheme { family == .apt ? .deb : .rpm }

    /// The filter keys a baseline may use for this OS, in the documented order.
    public var supportedFilterKeys: [PatchFilterKey] {
        switch family {
        case .apt: return [.product, .priority, .section]
        case .yum, .zypper: return [.product, .classification, .severity]
        case .macOS: return [.product, .classification]
        case .windows: return [.product, .productFamily, .classification, .msrcSeverity, .patchSet]
        }
    }

    /// Values a filter key may take on this OS, when the set is closed (nil: free text).
    public func allowedValues(for key: PatchFilterKey) -> [String]? {
        switch (family, key) {
        case (.yum, .classification): return ["Security", "Bugfix", "Enhancement", "Recommended", "Newpackage"]
        case (.yum, .severity):
            if self == .amazonLinux2022 || self == .amazonLinux2023 {
                return ["Critical", "Important", "Medium", "Moderate", "Low", "None"]
            }
            return ["Critical", "Important", "Medium", "Moderate", "Low"]
        case (.zypper, .classification): return ["Security", "Recommended", "Optional", "Feature", "Document", "Yast"]
        case (.zypper, .severity): return ["Critical", "Important", "Moderate", "Low"]
        case (.apt, .priority): return ["Required", "Important", "Standard", "Optional", "Extra"]
        case (.macOS, .classification): return ["Security", "Bugfix", "Enhancement", "Recommended", "Newpackage"]
        case (.windows, .classification):
            return [
                "CriticalUpdates", "DefinitionUpdates", "Drivers", "FeaturePacks", "SecurityUpdates", "ServicePacks",
                "Tools", "UpdateRollups", "Updates", "Upgrades",
            ]
        case (.windows, .msrcSeverity): return ["Critical", "Important", "Moderate", "Low", "Unspecified"]
        case (.windows, .patchSet): return ["OS", "APPLICATION"]
        default: return nil
        }
    }
}

/// `PatchFilterKey` of the SSM API.
public enum PatchFilterKey: String, Sendable, CaseIterable, Hashable, Codable {
    case arch = "ARCH"
    case advisoryID = "ADVISORY_ID"
    case bugzillaID = "BUGZILLA_ID"
    case patchSet = "PATCH_SET"
    case product = "PRODUCT"
    case productFamily = "PRODUCT_FAMILY"
    case classification = "CLASSIFICATION"
    case cveID = "CVE_ID"
    case epoch = "EPOCH"
    case msrcSeverity = "MSRC_SEVERITY"
    case name = "NAME"
    case patchID = "PATCH_ID"
    case section = "SECTION"
    case priority = "PRIORITY"
    case repository = "REPOSITORY"
    case release = "RELEASE"
    case severity = "SEVERITY"
    case security = "SECURITY"
    case version = "VERSION"
}

/// `PatchComplianceLevel`, ordered from least to most severe.
public enum ComplianceLevel: String, Sendable, CaseIterable, Hashable, Comparable, Codable {
    case unspecified = "UNSPECIFIED"
    case informational = "INFORMATIONAL"
    case low = "LOW"
    case medium = "MEDIUM"
    case high = "HIGH"
    case critical = "CRITICAL"

    private var rank: Int {
        switch self {
        case .unspecified: return 0
        case .informational: return 1
        case .low: return 2
        case .medium: return 3
        case .high: return 4
        case .critical: return 5
        }
    }

    public static func < (a: ComplianceLevel, b: ComplianceLevel) -> Bool { a.rank < b.rank }
}

/// `PatchAction`: what happens to a rejected patch.
public enum RejectedPatchesAction: String, Sendable, CaseIterable, Hashable, Codable {
    /// Not installed on its own account, but allowed in when another package needs it (reported InstalledOther).
    case allowAsDependency = "ALLOW_AS_DEPENDENCY"
    /// Never installed, not even as a dependency (reported InstalledRejected when present).
    case block = "BLOCK"
}

/// `PatchComplianceStatus`: how available-but-unapproved security updates are reported.
public enum AvailableSecurityUpdatesComplianceStatus: String, Sendable, CaseIterable, Hashable, Codable {
    case compliant = "COMPLIANT"
    case nonCompliant = "NON_COMPLIANT"
}

public struct PatchFilter: Sendable, Hashable {
    public var key: PatchFilterKey
    public var values: [String]

    public init(key: PatchFilterKey, values: [String]) {
        self.key = key
        self.values = values
    }
}

/// When a rule approves what it matches.
public enum ApprovalDelay: Sendable, Hashable {
    /// This many days after the patch's release (0...360).
    case afterDays(Int)
    /// Patches released on or before this date (UTC, inclusive).
    case untilDate(CalendarDate)
}

public struct PatchRule: Sendable, Hashable {
    public var filters: [PatchFilter]
    public var complianceLevel: ComplianceLevel
    /// nil only in a baseline that failed validation (neither ApproveAfterDays nor ApproveUntilDate).
    public var approval: ApprovalDelay?
    public var enableNonSecurity: Bool

    public init(
        filters: [PatchFilter], complianceLevel: ComplianceLevel = .unspecified,
        approval: ApprovalDelay? = .afterDays(0), enableNonSecurity: Bool = false
    ) {
        self.filters = filters
        self.complianceLevel = complianceLevel
        self.approval = approval
        self.enableNonSecurity = enableNonSecurity
    }
}

/// An alternative package source (`PatchSource`): a yum .repo section or apt `deb` lines.
public struct PatchSource: Sendable, Hashable {
    public var name: String
    public var products: [String]
    /// Secret in the API (it may carry credentials): never printed by default.
    public var configuration: String

    public init(name: String, products: [String], configuration: String) {
        self.name = name
        self.products = products
        self.configuration = configuration
    }
}

public struct Tag: Sendable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// A patch baseline: what the API's CreatePatchBaseline takes, GetPatchBaseline returns and a snapshot carries.
public struct PatchBaseline: Sendable, Hashable {
    public var baselineId: String?
    public var name: String?
    public var description: String?
    public var operatingSystem: OperatingSystem
    public var globalFilters: [PatchFilter]
    public var approvalRules: [PatchRule]
    public var approvedPatches: [String]
    public var approvedPatchesComplianceLevel: ComplianceLevel
    public var approvedPatchesEnableNonSecurity: Bool
    public var rejectedPatches: [String]
    public var rejectedPatchesAction: RejectedPatchesAction
    public var sources: [PatchSource]
    public var availableSecurityUpdatesComplianceStatus: AvailableSecurityUpdatesComplianceStatus?
    /// GetPatchBaseline output only.
    public var patchGroups: [String]
    public var createdDate: UTCInstant?
    public var modifiedDate: UTCInstant?
    /// CreatePatchBaseline input only; kept so a round trip loses nothing.
    public var tags: [Tag]
    public var clientToken: String?

    public init(
        baselineId: String? = nil, name: String? = nil, description: String? = nil,
        operatingSystem: OperatingSystem = .windows, globalFilters: [PatchFilter] = [],
        approvalRules: [PatchRule] = [], approvedPatches: [String] = [],
        approvedPatchesComplianceLevel: ComplianceLevel = .unspecified,
        approvedPatchesEnableNonSecurity: Bool = false, rejectedPatches: [String] = [],
        rejectedPatchesAction: RejectedPatchesAction = .allowAsDependency, sources: [PatchSource] = [],
        availableSecurityUpdatesComplianceStatus: AvailableSecurityUpdatesComplianceStatus? = nil,
        patchGroups: [String] = [], createdDate: UTCInstant? = nil, modifiedDate: UTCInstant? = nil,
        tags: [Tag] = [], clientToken: String? = nil
    ) {
        self.baselineId = baselineId
        self.name = name
        self.description = description
        self.operatingSystem = operatingSystem
        self.globalFilters = globalFilters
        self.approvalRules = approvalRules
        self.approvedPatches = approvedPatches
        self.approvedPatchesComplianceLevel = approvedPatchesComplianceLevel
        self.approvedPatchesEnableNonSecurity = approvedPatchesEnableNonSecurity
        self.rejectedPatches = rejectedPatches
        self.rejectedPatchesAction = rejectedPatchesAction
        self.sources = sources
        self.availableSecurityUpdatesComplianceStatus = availableSecurityUpdatesComplianceStatus
        self.patchGroups = patchGroups
        self.createdDate = createdDate
        self.modifiedDate = modifiedDate
        self.tags = tags
        self.clientToken = clientToken
    }
}

/// The snapshot an agent downloads: a baseline plus the context of the instance it was made for.
public struct BaselineSnapshot: Sendable, Hashable {
    public var baseline: PatchBaseline
    public var patchGroup: String?
    public var product: String?
    public var instanceId: String?
    public var region: String?
    public var operation: String?
    public var snapshotId: String?
    public var installOverrideList: String?
    public var baselineOverride: String?
    public var rebootOption: String?

    public init(
        baseline: PatchBaseline, patchGroup: String? = nil, product: String? = nil, instanceId: String? = nil,
        region: String? = nil, operation: String? = nil, snapshotId: String? = nil,
        installOverrideList: String? = nil, baselineOverride: String? = nil, rebootOption: String? = nil
    ) {
        self.baseline = baseline
        self.patchGroup = patchGroup
        self.product = product
        self.instanceId = instanceId
        self.region = region
        self.operation = operation
        self.snapshotId = snapshotId
        self.installOverrideList = installOverrideList
        self.baselineOverride = baselineOverride
        self.rebootOption = rebootOption
    }
}
