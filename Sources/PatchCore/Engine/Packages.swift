/// A package as the engine keys it: its name and architecture (`name.arch` in reports).
public struct PackageKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var name: String
    public var arch: String

    public init(name: String, arch: String) {
        self.name = name
        self.arch = arch
    }

    /// `name.arch`, the compliance item Id.
    public var description: String { "\(name).\(arch)" }

    public static func < (a: PackageKey, b: PackageKey) -> Bool { (a.name, a.arch) < (b.name, b.arch) }

    /// Architecture-independent packages (`all`, `noarch`) update and are updated by any architecture.
    static func isNeutral(_ arch: String) -> Bool { arch == "all" || arch == "noarch" }
}

/// A package installed on the node.
public struct InstalledPackage: Sendable, Hashable {
    public var name: String
    public var arch: String
    /// The full version as the package manager writes it (`1:2.3-4` for dpkg, `[E:]V-R` for rpm).
    public var version: String
    public var installedTime: UTCInstant?

    public init(name: String, arch: String, version: String, installedTime: UTCInstant? = nil) {
        self.name = name
        self.arch = arch
        self.version = version
        self.installedTime = installedTime
    }

    public var key: PackageKey { PackageKey(name: name, arch: arch) }
}

/// One version of a package that a repository offers, with what the platform knows about it.
public struct AvailablePackage: Sendable, Hashable {
    public var name: String
    public var arch: String
    public var version: String
    /// Where it comes from: an apt origin (`Debian-Security bookworm-security/main`) or a yum repository id.
    public var repository: String
    /// Whether it counts as a security update without EnableNonSecurity: apt: from the security origin;
    /// yum/dnf: named by an updateinfo notice; zypper: referenced by a patch.
    public var security: Bool
    /// Security, Bugfix, Enhancement, … (updateinfo type or SUSE category); for apt "Security" from the security origin.
    public var classification: String?
    /// Critical, Important, Medium/Moderate, Low, None.
    public var severity: String?
    /// Debian priority: Required, Important, Standard, Optional, Extra.
    public var priority: String?
    /// Debian section: `libs`, `net`, `contrib/net`, ….
    public var section: String?
    /// PRODUCT, when the repository says; otherwise the node's product applies.
    public var product: String?
    public var advisoryIds: [String]
    public var cveIds: [String]
    public var bugzillaIds: [String]
    /// The notice's issued date.
    public var releaseDate: UTCInstant?
    /// The notice's updated date (Amazon Linux 1 and 2 count approval delays from it).
    public var updatedDate: UTCInstant?
    /// The package's build time: the fallback when no notice dates it.
    public var buildTime: UTCInstant?

    public init(
        name: String, arch: String, version: String, repository: String = "", security: Bool = false,
        classification: String? = nil, severity: String? = nil, priority: String? = nil, section: String? = nil,
        product: String? = nil, advisoryIds: [String] = [], cveIds: [String] = [], bugzillaIds: [String] = [],
        releaseDate: UTCInstant? = nil, updatedDate: UTCInstant? = nil, buildTime: UTCInstant? = nil
    ) {
        self.name = name
        self.arch = arch
        self.version = version
        self.repository = repository
        self.security = security
        self.classification = classification
        self.severity = severity
        self.priority = priority
        self.section = section
        self.product = product
        self.advisoryIds = advisoryIds
        self.cveIds = cveIds
        self.bugzillaIds = bugzillaIds
        self.releaseDate = releaseDate
        self.updatedDate = updatedDate
        self.buildTime = buildTime
    }

    public var key: PackageKey { PackageKey(name: name, arch: arch) }
}

/// One entry of an InstallOverrideList: `id` is `name.arch` (wildcards allowed), `title` the version form
/// (`name.arch:epoch:version-release` for yum/zypper, `name.arch:version` for apt; wildcards allowed).
public struct InstallOverride: Sendable, Hashable {
    public var id: String
    public var title: String?

    public init(id: String, title: String? = nil) {
        self.id = id
        self.title = title
    }
}

/// A version parsed once by its scheme, so repeated comparisons don't reparse.
enum ParsedVersion: Sendable {
    case deb(DebianVersion)
    case rpm(RPMVersion)

    init(_ text: String, scheme: VersionScheme) throws(VersionError) {
        switch scheme {
        case .deb: self = .deb(try DebianVersion(parsing: text))
        case .rpm: self = .rpm(try RPMVersion(parsing: text))
        }
    }

    static func compare(_ a: ParsedVersion, _ b: ParsedVersion) -> Int {
        switch (a, b) {
        case (.deb(let x), .deb(let y)): return DebianVersion.compare(x, y)
        case (.rpm(let x), .rpm(let y)): return RPMVersion.compare(x, y)
        default: return 0
        }
    }

    var rpm: RPMVersion? {
        if case .rpm(let v) = self { return v }
        return nil
    }
}
