/// Which list a patch identifier stands in.
public enum PatchListKind: String, Sendable, Hashable {
    case approved = "ApprovedPatches"
    case rejected = "RejectedPatches"
}

/// What one entry of ApprovedPatches or RejectedPatches names, by the rules of the baseline's OS.
public enum PatchIdentifier: Sendable, Hashable {
    /// An advisory (ALAS-2018-123, RHSA-2017:0864, ELSA-…) or a SUSE patch name.
    case advisory(String)
    case cve(String)
    /// A Bugzilla id (digits); also tried as a version, as yum would read it.
    case bugzilla(String)
    /// A package, in one of the OS's name forms, possibly with wildcards.
    case package(Glob)
    /// A Windows KB or MSRC bulletin id, or a macOS product name: compared whole.
    case exact(String)

    private static let rpmAdvisoryPrefixes = [
        "ALAS", "RHSA", "RHBA", "RHEA", "ELSA", "ELBA", "ELEA", "ALSA", "ALBA", "ALEA", "RLSA", "RLBA", "RLEA", "CESA",
        "CEBA", "CEEA", "FEDORA",
    ]

    static func isAdvisory(_ s: String, family: OperatingSystem.Family) -> Bool {
        guard let dash = s.firstIndex(of: "-") else { return false }
        let prefix = s[..<dash]
        switch family {
        case .yum:
            guard rpmAdvisoryPrefixes.contains(where: { prefix.hasPrefix($0) }) else { return false }
            // ALAS2023-2025-123, RHSA-2017:0864: the year follows the prefix.
            let rest = s[s.index(after: dash)...]
            return rest.prefix(4).allSatisfy(\.isASCIIDigit) && rest.count > 5
        case .zypper:
            return prefix == "SUSE" || prefix == "openSUSE"
        default:
            return false
        }
    }

    static func isCVE(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0] == "CVE" && parts[1].count == 4 && parts[1].allSatisfy(\.isASCIIDigit)
            && parts[2].count >= 4 && parts[2].allSatisfy(\.isASCIIDigit)
    }

    public static func classify(_ entry: String, os: OperatingSystem) -> PatchIdentifier {
        switch os.family {
        case .windows, .macOS:
            return .exact(entry)
        case .yum, .zypper:
            if isAdvisory(entry, family: os.family) { return .advisory(entry) }
            if isCVE(entry) { return .cve(entry) }
            if entry.count >= 5 && entry.allSatisfy(\.isASCIIDigit) { return .bugzilla(entry) }
            return .package(Glob(entry))
        case .apt:
            return .package(Glob(entry, caseInsensitive: true))
        }
    }

    /// Why `entry` cannot stand in `list` of an `os` baseline, or nil when it can.
    public static func problem(with entry: String, os: OperatingSystem, list: PatchListKind) -> String? {
        if let bad = entry.unicodeScalars.first(where: {
            $0.properties.isWhitespace && os.family != .macOS && os.family != .windows
                || $0.properties.generalCategory == .control
        }) {
            return
                "\"\(entry)\" contains U+\(String(bad.value, radix: 16, uppercase: true)); patch names have no spaces"
        }
        switch (os.family, classify(entry, os: os)) {
        case (.yum, .advisory), (.yum, .cve), (.yum, .bugzilla):
            if list == .rejected {
                return "\"\(entry)\" is an advisory, CVE or Bugzilla id; those are accepted in ApprovedPatches only"
            }
            return nil
        case (.yum, .package(let glob)), (.zypper, .package(let glob)):
            if glob.pattern.filter({ $0 == "*" }).count > 1 {
                return "\"\(entry)\" has more than one * wildcard; \(os.rawValue) patch names allow one"
            }
            if glob.pattern.hasPrefix("-") || glob.pattern.hasPrefix(".") {
                return "\"\(entry)\" is not a package name form (name, name.arch, name-version-release, …)"
            }
            return nil
        case (.zypper, .cve), (.zypper, .bugzilla):
            return list == .rejected
                ? "\"\(entry)\" is a CVE or Bugzilla id; those are accepted in ApprovedPatches only" : nil
        case (.windows, _):
            let upper = entry.uppercased()
            let isKB = upper.hasPrefix("KB") && upper.count > 2 && upper.dropFirst(2).allSatisfy(\.isASCIIDigit)
            let parts = upper.split(separator: "-")
            let isMS =
                parts.count == 2 && parts[0].hasPrefix("MS") && parts[0].count == 4
                && parts[0].dropFirst(2).allSatisfy(\.isASCIIDigit) && parts[1].allSatisfy(\.isASCIIDigit)
            return isKB || isMS ? nil : "\"\(entry)\" is not a KB id (KB2032276) or an MSRC bulletin id (MS10-048)"
        case (.macOS, _):
            return entry.contains("*") ? "\"\(entry)\": macOS patch names take no wildcards" : nil
        case (.apt, .package(let glob)):
            if glob.pattern.hasPrefix("-") { return "\"\(entry)\" is not a package name (it starts with '-')" }
            return nil
        default:
            return nil
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
