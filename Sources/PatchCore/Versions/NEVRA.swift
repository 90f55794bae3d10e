/// An RPM package's name, epoch, version, release and architecture.
///
/// Parses `name-[epoch:]version-release[.arch]`, the same with the epoch in front
/// (`epoch:name-version-release[.arch]`, as yum prints it), and package file names
/// `name-version-release.arch.rpm`. The release follows the last `-` and the version the one
/// before it, so names may contain `-`. A trailing `.arch` is only split off when it is a known
/// architecture (``knownArchitectures``), so `foo-1.0-1.el8` keeps `.el8` in its release; in a
/// file name ending in `.rpm` the last dot-separated part is always the architecture.
///
/// Equality and hashing are exact (by the strings); compare versions with ``evr``.
public struct NEVRA: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let epoch: Int?
    public let version: String
    public let release: String
    public let arch: String?

    /// Architectures recognised at the end of a NEVRA that is not a file name.
    public static let knownArchitectures: Set<String> = [
        "noarch", "src", "nosrc",
        "i386", "i486", "i586", "i686", "athlon", "geode", "pentium3", "pentium4",
        "x86_64", "amd64", "ia32e", "x86_64_v2", "x86_64_v3", "x86_64_v4", "ia64",
        "aarch64", "arm64", "armv5tel", "armv5tejl", "armv6l", "armv6hl", "armv7l", "armv7hl", "armv7hnl",
        "armv8l",
        "ppc", "ppc64", "ppc64le", "ppc64p7", "ppc64iseries", "ppc64pseries", "ppcle",
        "s390", "s390x",
        "sparc", "sparcv8", "sparcv9", "sparcv9v", "sparc64", "sparc64v",
        "mips", "mipsel", "mips64", "mips64el", "mipsr6", "mipsr6el", "mips64r6", "mips64r6el",
        "riscv64", "loongarch64", "alpha", "alphaev5", "alphaev56", "alphaev6", "alphaev67", "sh4", "m68k",
    ]

    /// The epoch, version and release as an ``RPMVersion``.
    public var evr: RPMVersion { RPMVersion(unchecked: epoch, version: version, release: release) }

    public init(parsing string: String) throws(VersionError) {
        func fail(_ message: String) -> VersionError { VersionError(input: string, message: message) }

        if string.isEmpty { throw fail("package string is empty") }
        if VersionByte.containsSpaceOrControl(string) {
            throw fail("package string contains whitespace or control characters")
        }
        var rest = Substring(string)
        var arch: String?
        if rest.hasSuffix(".rpm") {
            rest = rest.dropLast(4)
            guard let dot = rest.lastIndex(of: "."), case let candidate = rest[rest.index(after: dot)...],
                !candidate.isEmpty, !candidate.contains("-")
            else { throw fail("package file name has no architecture before '.rpm'") }
            arch = String(candidate)
            rest = rest[..<dot]
        } else if let dot = rest.lastIndex(of: "."),
            Self.knownArchitectures.contains(String(rest[rest.index(after: dot)...]))
        {
            arch = String(rest[rest.index(after: dot)...])
            rest = rest[..<dot]
        }

        guard let releaseHyphen = rest.lastIndex(of: "-") else {
            throw fail("expected name-version-release")
        }
        let release = rest[rest.index(after: releaseHyphen)...]
        let nameAndVersion = rest[..<releaseHyphen]
        guard let versionHyphen = nameAndVersion.lastIndex(of: "-") else {
            throw fail("expected name-version-release")
        }
        var name = nameAndVersion[..<versionHyphen]
        var version = nameAndVersion[nameAndVersion.index(after: versionHyphen)...]

        var epochText: Substring?
        if let colon = version.firstIndex(of: ":") {
            epochText = version[..<colon]
            version = version[version.index(after: colon)...]
        }
        if let colon = name.firstIndex(of: ":") {
            if epochText != nil { throw fail("package string has two epochs") }
            epochText = name[..<colon]
            name = name[name.index(after: colon)...]
        }
        var epoch: Int?
        if let epochText {
            guard !epochText.isEmpty, epochText.utf8.allSatisfy(VersionByte.isDigit) else {
                throw fail("epoch is not a number")
            }
            guard let value = Int(epochText), value <= RPMVersion.maximumEpoch else {
                throw fail("epoch is too big")
            }
            epoch = value
        }
        if name.isEmpty { throw fail("package name is empty") }
        if name.contains(":") || name.contains("/") { throw fail("package name contains ':' or '/'") }
        if version.isEmpty { throw fail("version is empty") }
        if version.contains(":") { throw fail("version contains ':'") }
        if release.isEmpty { throw fail("release is empty") }
        if release.contains(":") { throw fail("release contains ':'") }

        self.name = String(name)
        self.epoch = epoch
        self.version = String(version)
        self.release = String(release)
        self.arch = arch
    }

    /// `name-[epoch:]version-release[.arch]`.
    public var description: String {
        var text = name
        text += "-"
        if let epoch {
            text += String(epoch)
            text += ":"
        }
        text += version
        text += "-"
        text += release
        if let arch {
            text += "."
            text += arch
        }
        return text
    }
}
