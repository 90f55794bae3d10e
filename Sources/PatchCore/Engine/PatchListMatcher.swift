/// A package version seen through the name forms of ApprovedPatches / RejectedPatches.
struct PatchCandidate {
    let name: String
    let arch: String
    /// The full version string (`1:2.3-4`).
    let version: String
    let evr: RPMVersion?
    let advisoryIds: [String]
    let cveIds: [String]
    let bugzillaIds: [String]
}

/// Matches candidates against a compiled ApprovedPatches or RejectedPatches list.
struct PatchListMatcher: Sendable {
    private let family: OperatingSystem.Family
    private let entries: [(index: Int, id: PatchIdentifier)]

    init(_ list: [String], os: OperatingSystem, kind: PatchListKind) {
        family = os.family
        let family = os.family
        entries = list.enumerated().compactMap { i, entry in
            let id = PatchIdentifier.classify(entry, os: os)
            // Rejected lists name packages only; an advisory id there never matches (and fails validation).
            if kind == .rejected, case .advisory = id, family == .yum { return nil }
            return (i, id)
        }
        screen = entries.map { PatchListMatcher.screen($0.id, family: family) }
    }

    private init(family: OperatingSystem.Family, entries: [(index: Int, id: PatchIdentifier)]) {
        self.family = family
        self.entries = entries
        screen = entries.map { PatchListMatcher.screen($0.id, family: family) }
    }

    /// What `narrowed(toName:)` needs of an entry, worked out once (plain bytes: no copies per name).
    private struct Screen {
        var alwaysKeep: Bool
        var prefix: [UInt8]
        var hasWildcard: Bool
        var caseInsensitive: Bool

        /// Whether a text starting with `name` could match the entry (see `Glob.couldMatch(startingWith:)`).
        func couldMatch(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
            let n = min(name.count, prefix.count)
            for i in 0..<n where (caseInsensitive ? Glob.lower(name[i]) : name[i]) != prefix[i] { return false }
            return hasWildcard || name.count <= prefix.count
        }
    }

    private let screen: [Screen]

    private static func screen(_ id: PatchIdentifier, family: OperatingSystem.Family) -> Screen {
        switch id {
        case .package(let glob):
            let first = glob.literalPrefix.first
            let versionFirst = (family == .yum || family == .zypper) && (first == nil || first! < 0x3A)
            return Screen(
                alwaysKeep: versionFirst, prefix: glob.literalPrefix, hasWildcard: glob.hasWildcard,
                caseInsensitive: glob.caseInsensitive)
        case .exact(let e):
            // Windows and macOS entries may name an update by its KB or product id rather than its name.
            return Screen(
                alwaysKeep: family == .windows || family == .macOS, prefix: Array(e.utf8), hasWildcard: false,
                caseInsensitive: false)
        case .advisory, .cve, .bugzilla:
            return Screen(alwaysKeep: true, prefix: [], hasWildcard: true, caseInsensitive: false)
        }
    }

    var isEmpty: Bool { entries.isEmpty }

    /// The entries that could name some version of the package `name`: the rest can be skipped for all of its
    /// versions. Advisory, CVE and Bugzilla entries always stay (they are matched per version), and so do yum forms
    /// that start with a version, an epoch or a wildcard.
    func narrowed(toName name: String) -> PatchListMatcher {
        if entries.isEmpty { return self }
        var kept: [(index: Int, id: PatchIdentifier)] = []
        var name = name
        name.withUTF8 { u in
            for k in entries.indices where screen[k].alwaysKeep || screen[k].couldMatch(u) {
                kept.append(entries[k])
            }
        }
        return kept.count == entries.count ? self : PatchListMatcher(family: family, entries: kept)
    }

    /// The index (in the baseline's list) of the first entry that names `c`, or nil.
    func firstMatch(_ c: PatchCandidate) -> Int? {
        for (index, id) in entries where matches(id, c) { return index }
        return nil
    }

    private func matches(_ id: PatchIdentifier, _ c: PatchCandidate) -> Bool {
        switch id {
        case .advisory(let a): return c.advisoryIds.contains(a)
        case .cve(let cve): return c.cveIds.contains(cve)
        case .bugzilla(let b): return c.bugzillaIds.contains(b) || matchesForms(Glob(b), c)
        case .exact(let e): return c.name == e || c.advisoryIds.contains(e)
        case .package(let glob): return matchesForms(glob, c)
        }
    }

    private func matchesForms(_ glob: Glob, _ c: PatchCandidate) -> Bool {
        switch family {
        case .apt: return matchesAptForms(glob, c)
        case .yum, .zypper: return matchesRPMForms(glob, c)
        case .macOS, .windows: return glob.matches(c.name)
        }
    }

    /// apt: `name`, `name.arch`, `name:arch`, `name=version`, `name:version`, `name.arch:version`.
    private func matchesAptForms(_ glob: Glob, _ c: PatchCandidate) -> Bool {
        guard glob.couldMatch(startingWith: c.name) else { return false }
        if glob.matches(c.name) { return true }
        let dotted = c.name + "." + c.arch
        return glob.matches(dotted) || glob.matches(c.name + ":" + c.arch) || glob.matches(c.name + "=" + c.version)
            || glob.matches(c.name + ":" + c.version) || glob.matches(dotted + ":" + c.version)
    }

    /// The yum forms of Patch Manager's documentation.
    private func matchesRPMForms(_ glob: Glob, _ c: PatchCandidate) -> Bool {
        guard let evr = c.evr else { return glob.matches(c.name) }
        let v = evr.version
        let vr = evr.release.map { "\(v)-\($0)" } ?? v
        let evrText = "\(evr.epoch ?? 0):\(vr)"
        if glob.couldMatch(startingWith: c.name) {
            let name = c.name
            let forms = [
                name, "\(name).\(c.arch)", "\(name)-\(v)", "\(name)-\(vr)", "\(name)-\(vr).\(c.arch)",
                "\(name)-\(evrText)", "\(name)-\(evrText).\(c.arch)", "\(name).\(c.arch):\(evrText)",
                "\(name)-\(vr).\(c.arch).rpm",
            ]
            if forms.contains(where: glob.matches) { return true }
        }
        // Forms that start with the version or the epoch.
        if glob.literalPrefix.isEmpty || glob.literalPrefix.first.map({ $0 >= 0x30 && $0 <= 0x39 }) == true {
            let forms = [v, vr, evrText, "\(evr.epoch ?? 0):\(c.name)-\(vr).\(c.arch)"]
            if forms.contains(where: glob.matches) { return true }
        }
        return false
    }
}

/// ApprovedPatches or RejectedPatches of a baseline, compiled once, for code outside the engine (an install that
/// checks what a transaction would pull in against the rejected list).
public struct PatchList: Sendable {
    private let matcher: PatchListMatcher
    public let isEmpty: Bool

    public init(_ baseline: PatchBaseline, _ kind: PatchListKind) {
        let entries = kind == .approved ? baseline.approvedPatches : baseline.rejectedPatches
        matcher = PatchListMatcher(entries, os: baseline.operatingSystem, kind: kind)
        isEmpty = matcher.isEmpty
    }

    /// Whether an entry names this package version (by the OS's name forms).
    public func contains(name: String, arch: String, version: String) -> Bool {
        guard !isEmpty else { return false }
        let evr = try? RPMVersion(parsing: version)
        return matcher.firstMatch(
            PatchCandidate(
                name: name, arch: arch, version: version, evr: evr, advisoryIds: [], cveIds: [], bugzillaIds: []))
            != nil
    }
}
