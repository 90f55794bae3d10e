/// What the engine needs to decide: the node, the baseline, the time, and what the repositories offer.
public struct EvaluationRequest: Sendable {
    public var baseline: PatchBaseline
    /// The node's PRODUCT (`Debian12`, `AmazonLinux2023`, …), matched by PRODUCT filters.
    public var product: String
    public var installed: [InstalledPackage]
    public var available: [AvailablePackage]
    /// The operation's time; approval delays are measured against it (PatchCore has no clock).
    public var operationTime: UTCInstant
    /// Install only: when given, exactly these are installed and the baseline's stages are skipped.
    public var installOverrideList: [InstallOverride]?
    /// Packages an earlier NoReboot install left waiting for a reboot.
    public var pendingReboot: Set<PackageKey>
    /// Record an explain trace for every decision (costs time; off for plain scans).
    public var explain: Bool
    /// Decide NotApplicable for approved packages that are not installed. A caller that streams a large
    /// repository judges those with a `NotInstalledCollector` instead and passes only installed names' versions.
    public var includeNotInstalled: Bool

    public init(
        baseline: PatchBaseline, product: String, installed: [InstalledPackage], available: [AvailablePackage],
        operationTime: UTCInstant, installOverrideList: [InstallOverride]? = nil, pendingReboot: Set<PackageKey> = [],
        explain: Bool = false, includeNotInstalled: Bool = true
    ) {
        self.includeNotInstalled = includeNotInstalled
        self.baseline = baseline
        self.product = product
        self.installed = installed
        self.available = available
        self.operationTime = operationTime
        self.installOverrideList = installOverrideList
        self.pendingReboot = pendingReboot
        self.explain = explain
    }
}

/// Decides, for every package, what the baseline approves, which version to install and the compliance state,
/// in Patch Manager's order: install-override list, global filters, approval rules, approved list, rejected list,
/// newest approved version.
public enum ApprovalEngine {
    public static func evaluate(_ request: EvaluationRequest) -> Evaluation {
        EngineRun(request).evaluate()
    }

    /// The states after an Install: what was installed becomes Installed (or InstalledPendingReboot when the
    /// node must reboot first), what the package manager failed on becomes Failed. Others keep their state.
    public static func applyInstallResult(
        _ evaluation: Evaluation, installed: Set<PackageKey>, failed: Set<PackageKey>, rebootPending: Bool,
        at time: UTCInstant, availableSecurityUpdatesNonCompliant: Bool = false
    ) -> Evaluation {
        var result = evaluation
        for i in result.decisions.indices where result.decisions[i].state == .missing {
            let key = result.decisions[i].key
            if failed.contains(key) {
                result.decisions[i].state = .failed
            } else if installed.contains(key) {
                result.decisions[i].state = rebootPending ? .installedPendingReboot : .installed
                result.decisions[i].installedVersion = result.decisions[i].targetVersion
                result.decisions[i].installedTime = time
            } else {
                // Asked for but neither installed nor reported failed: the install did not deliver it.
                result.decisions[i].state = .failed
            }
        }
        result.summary = PatchSummaryCounts(
            result.decisions, availableSecurityUpdatesNonCompliant: availableSecurityUpdatesNonCompliant)
        return result
    }
}

/// Judges the versions of packages that are not installed as they stream in (from a repository index of tens of
/// thousands of entries), keeping only the newest approved version per `name.arch`: the NotApplicable decisions
/// of `ApprovalEngine.evaluate`, without holding the repository in memory.
///
/// Feed it only names that are not installed, in index order; then `merge(into:)` the evaluation of the installed
/// names made with `includeNotInstalled: false`.
public final class NotInstalledCollector {
    private let run: EngineRun
    private var best: [PackageKey: (package: AvailablePackage, version: ParsedVersion, level: ComplianceLevel)] = [:]
    private var order: [PackageKey] = []
    /// Without decisions: only which `name.arch`s the baseline approves, for the NotApplicable count. An
    /// EnableNonSecurity baseline approves every package of the archive; keeping each would cost tens of megabytes.
    private let keepDecisions: Bool
    /// 64-bit FNV-1a hashes of `name\0arch`: 8 bytes a package instead of two strings (a collision among even a
    /// million names has odds below one in ten million).
    private var approvedKeys: Set<UInt64> = []
    /// Versions that could not be parsed, each naming the package.
    public private(set) var notes: [String] = []

    /// `keepDecisions`: false when only the NotApplicable count is wanted (the usual scan report).
    public init(baseline: PatchBaseline, product: String, operationTime: UTCInstant, keepDecisions: Bool = true) {
        run = EngineRun(
            EvaluationRequest(
                baseline: baseline, product: product, installed: [], available: [], operationTime: operationTime))
        self.keepDecisions = keepDecisions
    }

    /// How many `name.arch`s are NotApplicable so far.
    public var count: Int { keepDecisions ? order.count : approvedKeys.count }

    public func add(_ p: AvailablePackage) {
        if !keepDecisions {
            let approvedList = run.approvedList.narrowed(toName: p.name)
            let rejectedList = run.rejectedList.narrowed(toName: p.name)
            // The version matters only to list entries that name versions (and to choose among versions, which
            // a count does not need).
            let version =
                approvedList.isEmpty && rejectedList.isEmpty ? nil : try? ParsedVersion(p.version, scheme: run.scheme)
            var trace: [TraceStep] = []
            let verdict = run.judge(p, version: version, approved: approvedList, rejected: rejectedList, trace: &trace)
            if verdict.approved { approvedKeys.insert(Self.fingerprint(p.name, p.arch)) }
            return
        }
        let version: ParsedVersion
        do throws(VersionError) {
            version = try ParsedVersion(p.version, scheme: run.scheme)
        } catch {
            notes.append("\(p.key) \(p.version) from \(p.repository): \(error.message); version ignored")
            return
        }
        var trace: [TraceStep] = []
        let verdict = run.judge(
            p, version: version, approved: run.approvedList.narrowed(toName: p.name),
            rejected: run.rejectedList.narrowed(toName: p.name), trace: &trace)
        guard verdict.approved else { return }
        let key = p.key
        if let b = best[key] {
            guard ParsedVersion.compare(version, b.version) > 0 else { return }
        } else {
            order.append(key)
        }
        best[key] = (p, version, verdict.level)
    }

    private var saved:
        (
            best: [PackageKey: (package: AvailablePackage, version: ParsedVersion, level: ComplianceLevel)],
            order: [PackageKey], notes: [String], approvedKeys: Set<UInt64>
        )?

    /// Remembers the current state, so what is added next can be taken back (a damaged index whose checksum only
    /// fails at its end). Cheap: the copy is shared until the next change.
    public func checkpoint() { saved = (best, order, notes, approvedKeys) }

    /// Takes back everything added since the last `checkpoint()`.
    public func rollback() {
        guard let saved else { return }
        best = saved.best
        order = saved.order
        notes = saved.notes
        approvedKeys = saved.approvedKeys
    }

    static func fingerprint(_ name: String, _ arch: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 {
            h = (h ^ UInt64(b)) &* 0x0100_0000_01b3
        }
        h = (h ^ 0) &* 0x0100_0000_01b3
        for b in arch.utf8 {
            h = (h ^ UInt64(b)) &* 0x0100_0000_01b3
        }
        return h
    }

    /// The NotApplicable decisions so far.
    public var decisions: [PatchDecision] {
        order.map { key in
            let b = best[key]!
            let p = b.package
            return PatchDecision(
                key: key, installedVersion: nil, targetVersion: nil, state: .notApplicable, complianceLevel: b.level,
                classification: p.classification, severity: p.severity, isSecurity: run.isSecurityClassified(p),
                cveIds: p.cveIds, advisoryIds: p.advisoryIds, installedTime: nil, repository: p.repository,
                trace: [], title: run.title(key, version: p.version, parsed: b.version))
        }
    }

    /// `evaluation` with these decisions added, sorted like the engine sorts, and the summary recounted.
    public func merge(into evaluation: Evaluation) -> Evaluation {
        var result = evaluation
        let installedNames = Set(evaluation.decisions.map(\.key.name))
        if !keepDecisions {
            // Callers feed only names that are not installed (see the type's documentation).
            result.notes += notes
            result.summary.notApplicable += approvedKeys.count
            return result
        }
        result.decisions += decisions.filter { !installedNames.contains($0.key.name) }
        let order = result.decisions.indices.sorted { result.decisions[$0].key < result.decisions[$1].key }
        result.decisions = order.map { result.decisions[$0] }
        result.notes += notes
        result.summary = PatchSummaryCounts(
            result.decisions,
            availableSecurityUpdatesNonCompliant: run.baseline.availableSecurityUpdatesComplianceStatus == .nonCompliant
        )
        return result
    }
}

/// A filter compiled once: case-insensitive globs, and the attribute it reads.
private struct CompiledFilter {
    let key: PatchFilterKey
    let globs: [Glob]
    let matchesAnything: Bool

    init(_ f: PatchFilter) {
        key = f.key
        matchesAnything = f.values.contains("*")
        var values = f.values
        // Medium and Moderate name the same severity in different distributions' notices.
        if key == .severity || key == .msrcSeverity {
            for v in f.values {
                if v.lowercased() == "medium" { values.append("Moderate") }
                if v.lowercased() == "moderate" { values.append("Medium") }
            }
        }
        globs = values.map { Glob($0, caseInsensitive: true) }
    }

    func matches(_ value: String) -> Bool { globs.contains { $0.matches(value) } }

    var summary: String { "\(key.rawValue) \(globs.map(\.pattern).joined(separator: ","))" }
}

/// Every filter of the baseline (global ones first, then each rule's), evaluated per package as a bit mask.
///
/// Attribute values repeat across packages (a handful of classifications, severities, priorities), so the result
/// of matching one value against the filters of its key is cached: a package costs one hash lookup per key.
/// A class so the engine shares one table (and its caches) without copying it per package; it never leaves
/// one evaluation.
private final class FilterTable {
    var filters: [CompiledFilter] = []
    var globalMask: UInt64 = 0
    var ruleMasks: [UInt64] = []
    var ruleFilterIndices: [[Int]] = []
    var globalFilterIndices: [Int] = []
    /// Filters that match anything (`*`), including a missing attribute.
    var alwaysMask: UInt64 = 0
    /// Keys read by at least one filter that does not match anything.
    var keys: [PatchFilterKey] = []
    var filtersByKey: [[Int]] = []
    var caches: [[String: UInt64]] = []
    /// More than 64 filters (only in a baseline that failed validation): no masks, direct matching.
    let direct: Bool

    init(global: [PatchFilter], rules: [[PatchFilter]]) {
        direct = global.count + rules.reduce(0) { $0 + $1.count } > 64
        func add(_ f: PatchFilter) -> Int {
            let c = CompiledFilter(f)
            let i = filters.count
            filters.append(c)
            if direct { return i }
            if c.matchesAnything {
                alwaysMask |= 1 << UInt64(i)
            } else if let k = keys.firstIndex(of: c.key) {
                filtersByKey[k].append(i)
            } else {
                keys.append(c.key)
                filtersByKey.append([i])
                caches.append([:])
            }
            return i
        }
        globalFilterIndices = global.map(add)
        for i in globalFilterIndices where !direct { globalMask |= 1 << UInt64(i) }
        for r in rules {
            let indices = r.map(add)
            ruleFilterIndices.append(indices)
            ruleMasks.append(direct ? 0 : indices.reduce(0) { $0 | 1 << UInt64($1) })
        }
    }

    /// The bits of the filters that `p` passes.
    func mask(_ p: AvailablePackage, product: String, release: String?, epoch: Int?) -> UInt64 {
        var m = alwaysMask
        for k in keys.indices {
            switch keys[k] {
            case .advisoryID: for v in p.advisoryIds { m |= lookup(k, v) }
            case .cveID: for v in p.cveIds { m |= lookup(k, v) }
            case .bugzillaID: for v in p.bugzillaIds { m |= lookup(k, v) }
            default:
                if let v = FilterTable.attribute(keys[k], p, product: product, release: release, epoch: epoch) {
                    m |= lookup(k, v)
                }
            }
        }
        return m
    }

    /// Whether `p` passes filter `i` (the direct path, and for explaining).
    func passes(_ i: Int, _ p: AvailablePackage, product: String, release: String?, epoch: Int?) -> Bool {
        let f = filters[i]
        if f.matchesAnything { return true }
        switch f.key {
        case .advisoryID: return p.advisoryIds.contains(where: f.matches)
        case .cveID: return p.cveIds.contains(where: f.matches)
        case .bugzillaID: return p.bugzillaIds.contains(where: f.matches)
        default:
            return FilterTable.attribute(f.key, p, product: product, release: release, epoch: epoch).map(f.matches)
                ?? false
        }
    }

    private func lookup(_ k: Int, _ value: String) -> UInt64 {
        if let cached = caches[k][value] { return cached }
        var m: UInt64 = 0
        for i in filtersByKey[k] where filters[i].matches(value) { m |= 1 << UInt64(i) }
        caches[k][value] = m
        return m
    }

    static func attribute(
        _ key: PatchFilterKey, _ p: AvailablePackage, product: String, release: String?, epoch: Int?
    ) -> String? {
        switch key {
        case .product: return p.product ?? product
        case .classification: return p.classification
        case .severity, .msrcSeverity: return p.severity
        case .priority: return p.priority
        case .section: return p.section
        case .arch: return p.arch
        case .name: return p.name
        case .repository: return p.repository
        case .version: return p.version
        case .release: return release
        case .epoch: return String(epoch ?? 0)
        case .security: return p.security ? "Yes" : "No"
        case .advisoryID, .cveID, .bugzillaID, .patchSet, .productFamily, .patchID: return nil
        }
    }
}

private struct CompiledRule {
    let index: Int
    let level: ComplianceLevel
    /// Packages released strictly before this instant are approved (nil: the rule has no valid delay).
    let cutoff: Int64?
    let approval: ApprovalDelay?
    let enableNonSecurity: Bool
}

/// The verdict on one available version.
private struct Verdict {
    var approved = false
    var level = ComplianceLevel.unspecified
    var rejected = false
}

private struct EngineRun {
    let request: EvaluationRequest
    let baseline: PatchBaseline
    let os: OperatingSystem
    let scheme: VersionScheme
    let filterTable: FilterTable
    let rules: [CompiledRule]
    let approvedList: PatchListMatcher
    let rejectedList: PatchListMatcher
    let explain: Bool
    /// What the run learns as it goes, shared by reference so the run's methods need not be mutating (a mutating
    /// method would copy each package it reads).
    let memo: Memo

    final class Memo {
        var notes: [String] = []
    }
    /// Every available version, parsed once (nil: unparseable, noted and ignored).
    let parsed: [ParsedVersion?]

    init(_ request: EvaluationRequest) {
        self.request = request
        baseline = request.baseline
        os = baseline.operatingSystem
        scheme = os.versionScheme
        explain = request.explain
        filterTable = FilterTable(global: baseline.globalFilters, rules: baseline.approvalRules.map(\.filters))
        let now = request.operationTime.secondsSinceEpoch
        rules = baseline.approvalRules.enumerated().map { i, r in
            let cutoff: Int64?
            switch r.approval {
            case .afterDays(let d): cutoff = now - Int64(d) * 86_400
            case .untilDate(let date): cutoff = (date.daysSinceEpoch + 1) * 86_400
            case nil: cutoff = nil
            }
            return CompiledRule(
                index: i, level: r.complianceLevel, cutoff: cutoff,
                approval: r.approval, enableNonSecurity: r.enableNonSecurity)
        }
        approvedList = PatchListMatcher(baseline.approvedPatches, os: os, kind: .approved)
        rejectedList = PatchListMatcher(baseline.rejectedPatches, os: os, kind: .rejected)
        let memo = Memo()
        let scheme = self.scheme
        parsed = request.available.map { p -> ParsedVersion? in
            do throws(VersionError) {
                return try ParsedVersion(p.version, scheme: scheme)
            } catch {
                memo.notes.append("\(p.key) \(p.version) from \(p.repository): \(error.message); version ignored")
                return nil
            }
        }
        self.memo = memo
    }

    func version(_ i: Int) -> ParsedVersion? { parsed[i] }

    /// The date approval delays count from.
    func releaseInstant(_ p: AvailablePackage) -> UTCInstant? {
        let notice: UTCInstant?
        switch os {
        case .amazonLinux, .amazonLinux2: notice = p.updatedDate ?? p.releaseDate
        default: notice = p.releaseDate ?? p.updatedDate
        }
        return notice ?? p.buildTime
    }

    func candidate(_ p: AvailablePackage, _ v: ParsedVersion?) -> PatchCandidate {
        PatchCandidate(
            name: p.name, arch: p.arch, version: p.version, evr: v?.rpm, advisoryIds: p.advisoryIds,
            cveIds: p.cveIds, bugzillaIds: p.bugzillaIds)
    }

    /// Runs global filters, rules, approved and rejected lists on one available version. `approved` and
    /// `rejected` are the baseline's lists narrowed to the package's name.
    func judge(
        _ i: Int, approved: PatchListMatcher, rejected: PatchListMatcher, trace: inout [TraceStep]
    ) -> Verdict {
        // Passed as an argument, the package is borrowed in place rather than copied out of the array.
        judge(request.available[i], version: version(i), approved: approved, rejected: rejected, trace: &trace)
    }

    func judge(
        _ p: AvailablePackage, version v: ParsedVersion?, approved: PatchListMatcher, rejected: PatchListMatcher,
        trace: inout [TraceStep]
    ) -> Verdict {
        let evr = v?.rpm
        var verdict = Verdict()
        let product = request.product
        let table = filterTable
        let mask: UInt64? =
            table.direct ? nil : table.mask(p, product: product, release: evr?.release, epoch: evr?.epoch)
        func firstFailing(_ indices: [Int]) -> Int? {
            if let mask {
                return indices.first { mask & (1 << UInt64($0)) == 0 }
            }
            return indices.first { !table.passes($0, p, product: product, release: evr?.release, epoch: evr?.epoch) }
        }

        // Global filters.
        let failedGlobal: Int? =
            mask.map { $0 & table.globalMask == table.globalMask } == true
            ? nil : firstFailing(table.globalFilterIndices)
        if explain {
            if let f = failedGlobal {
                let position = table.globalFilterIndices.firstIndex(of: f) ?? 0
                trace.append(
                    .init(
                        stage: .globalFilters, version: p.version,
                        message: "dropped by global filter [\(position)] \(table.filters[f].summary) "
                            + "(\(describe(table.filters[f].key, p)))"))
            } else if !table.globalFilterIndices.isEmpty {
                trace.append(.init(stage: .globalFilters, version: p.version, message: "kept by every global filter"))
            }
        }

        // Approval rules.
        if failedGlobal == nil {
            let released = releaseInstant(p)?.secondsSinceEpoch ?? 0
            for rule in rules {
                let ruleMask = table.ruleMasks[rule.index]
                let failed: Int? =
                    mask.map { $0 & ruleMask == ruleMask } == true
                    ? nil : firstFailing(table.ruleFilterIndices[rule.index])
                if let failed {
                    if explain {
                        trace.append(
                            .init(
                                stage: .approvalRules, version: p.version,
                                message: "rule [\(rule.index)] does not match: \(table.filters[failed].summary) "
                                    + "(\(describe(table.filters[failed].key, p)))"))
                    }
                    continue
                }
                if !rule.enableNonSecurity && !p.security {
                    if explain {
                        trace.append(
                            .init(
                                stage: .approvalRules, version: p.version,
                                message: "rule [\(rule.index)] matches but approves security updates only, and "
                                    + "this is not one (\(securityReason(p)))"))
                    }
                    continue
                }
                guard let cutoff = rule.cutoff else { continue }
                if os.honoursApprovalDelays && released >= cutoff {
                    if explain {
                        trace.append(
                            .init(
                                stage: .approvalRules, version: p.version,
                                message: "rule [\(rule.index)] matches but not yet: released "
                                    + "\(UTCInstant(secondsSinceEpoch: released)), \(delayText(rule))"))
                    }
                    continue
                }
                if !verdict.approved || rule.level > verdict.level { verdict.level = rule.level }
                verdict.approved = true
                if explain {
                    let when =
                        os.honoursApprovalDelays
                        ? "released \(UTCInstant(secondsSinceEpoch: released)), \(delayText(rule))"
                        : "approval delays do not apply to \(os.rawValue)"
                    trace.append(
                        .init(
                            stage: .approvalRules, version: p.version,
                            message: "approved by rule [\(rule.index)] at \(rule.level.rawValue) (\(when))"))
                }
            }
        }

        // Approved patches: approve even what the filters dropped.
        if !approved.isEmpty, let index = approved.firstMatch(candidate(p, v)) {
            let entry = baseline.approvedPatches[index]
            if baseline.approvedPatchesEnableNonSecurity || p.security || !os.isLinux {
                if !verdict.approved || baseline.approvedPatchesComplianceLevel > verdict.level {
                    verdict.level = baseline.approvedPatchesComplianceLevel
                }
                verdict.approved = true
                if explain {
                    trace.append(
                        .init(
                            stage: .approvedPatches, version: p.version,
                            message: "approved by ApprovedPatches[\(index)] \"\(entry)\" at "
                                + "\(baseline.approvedPatchesComplianceLevel.rawValue)"))
                }
            } else if explain {
                trace.append(
                    .init(
                        stage: .approvedPatches, version: p.version,
                        message: "named by ApprovedPatches[\(index)] \"\(entry)\" but not a security update and "
                            + "ApprovedPatchesEnableNonSecurity is false (\(securityReason(p)))"))
            }
        }

        // Rejected patches: removed from the approved set.
        if !rejected.isEmpty, let index = rejected.firstMatch(candidate(p, v)) {
            verdict.rejected = true
            verdict.approved = false
            if explain {
                trace.append(
                    .init(
                        stage: .rejectedPatches, version: p.version,
                        message: "rejected by RejectedPatches[\(index)] \"\(baseline.rejectedPatches[index])\" "
                            + "(\(baseline.rejectedPatchesAction.rawValue))"))
            }
        }
        if explain && !verdict.approved && !verdict.rejected {
            trace.append(.init(stage: .approvalRules, version: p.version, message: "not approved"))
        }
        return verdict
    }

    func delayText(_ rule: CompiledRule) -> String {
        switch rule.approval {
        case .afterDays(let d): return "approved \(d) days after release"
        case .untilDate(let date): return "approved if released on or before \(date)"
        case nil: return "no delay"
        }
    }

    func securityReason(_ p: AvailablePackage) -> String {
        switch os.family {
        case .apt: return "from \(p.repository.isEmpty ? "a non-security origin" : p.repository)"
        case .yum: return "named by no updateinfo notice"
        case .zypper: return "referenced by no patch"
        default: return "not a security update"
        }
    }

    func describe(_ key: PatchFilterKey, _ p: AvailablePackage) -> String {
        let value: String?
        switch key {
        case .product: value = p.product ?? request.product
        case .classification: value = p.classification
        case .severity, .msrcSeverity: value = p.severity
        case .priority: value = p.priority
        case .section: value = p.section
        case .arch: value = p.arch
        case .repository: value = p.repository
        default: value = nil
        }
        return value.map { "\(key.rawValue.lowercased()) is \($0)" } ?? "no \(key.rawValue.lowercased())"
    }

    func title(_ key: PackageKey, version: String, parsed: ParsedVersion? = nil) -> String {
        guard scheme == .rpm else { return "\(key):\(version)" }
        if let evr = parsed?.rpm ?? (try? RPMVersion(parsing: version)) {
            let vr = evr.release.map { "\(evr.version)-\($0)" } ?? evr.version
            return "\(key):\(evr.epoch ?? 0):\(vr)"
        }
        return "\(key):\(version)"
    }

    func isSecurityClassified(_ p: AvailablePackage) -> Bool {
        if let c = p.classification { return c.lowercased() == "security" || c == "SecurityUpdates" }
        return os.family == .apt && p.security
    }

    func evaluate() -> Evaluation {
        // Index available versions by name (an array per name keeps each lookup one hash).
        var byName: [String: [Int]] = [:]
        byName.reserveCapacity(request.available.count / 2)
        for (i, p) in request.available.enumerated() { byName[p.name, default: []].append(i) }

        var installedNames: Set<String> = []
        installedNames.reserveCapacity(request.installed.count)
        var decisions: [PatchDecision] = []
        decisions.reserveCapacity(request.installed.count)

        for inst in newestInstalled() {
            installedNames.insert(inst.name)
            let candidates = (byName[inst.name] ?? []).filter {
                let a = request.available[$0].arch
                return a == inst.arch || PackageKey.isNeutral(a) || PackageKey.isNeutral(inst.arch)
            }
            if let overrides = request.installOverrideList {
                decisions.append(decideOverride(inst, candidates: candidates, overrides: overrides))
            } else {
                decisions.append(decideInstalled(inst, candidates: candidates))
            }
        }

        // Approved packages that are not installed: NotApplicable (Patch Manager updates, it does not add).
        if request.installOverrideList == nil && request.includeNotInstalled {
            for (name, indices) in byName where !installedNames.contains(name) {
                let firstArch = request.available[indices[0]].arch
                if indices.allSatisfy({ request.available[$0].arch == firstArch }) {
                    if let d = decideNotInstalled(PackageKey(name: name, arch: firstArch), candidates: indices) {
                        decisions.append(d)
                    }
                    continue
                }
                var byArch: [String: [Int]] = [:]
                for i in indices { byArch[request.available[i].arch, default: []].append(i) }
                for (arch, group) in byArch {
                    if let d = decideNotInstalled(PackageKey(name: name, arch: arch), candidates: group) {
                        decisions.append(d)
                    }
                }
            }
        }

        // Sort through indices: a decision is large, and moving it around costs more than comparing keys.
        let order = decisions.indices.sorted { decisions[$0].key < decisions[$1].key }
        decisions = order.map { decisions[$0] }
        let nonCompliant = baseline.availableSecurityUpdatesComplianceStatus == .nonCompliant
        return Evaluation(
            decisions: decisions,
            summary: PatchSummaryCounts(decisions, availableSecurityUpdatesNonCompliant: nonCompliant),
            notes: memo.notes)
    }

    /// Makes `d` Missing, to be updated to `p`: the decision then describes that version.
    func target(_ p: AvailablePackage, parsed: ParsedVersion, level: ComplianceLevel, in d: inout PatchDecision) {
        d.state = .missing
        d.targetVersion = p.version
        d.complianceLevel = level
        d.classification = p.classification
        d.severity = p.severity
        d.isSecurity = isSecurityClassified(p)
        d.cveIds = p.cveIds
        d.advisoryIds = p.advisoryIds
        d.repository = p.repository
        d.title = title(d.key, version: p.version, parsed: parsed)
    }

    /// The installed packages, one per `name.arch`: install-only packages (kernels) keep several versions side by
    /// side, and the newest is the one that counts, as for Patch Manager.
    func newestInstalled() -> [InstalledPackage] {
        var position: [PackageKey: Int] = [:]
        var out: [InstalledPackage] = []
        out.reserveCapacity(request.installed.count)
        for inst in request.installed {
            guard let i = position[inst.key] else {
                position[inst.key] = out.count
                out.append(inst)
                continue
            }
            if let newer = try? compareVersions(inst.version, out[i].version, scheme: scheme), newer > 0 {
                out[i] = inst
            }
        }
        return out
    }

    /// The decision for a package the node has.
    func decideInstalled(_ inst: InstalledPackage, candidates: [Int]) -> PatchDecision {
        var trace: [TraceStep] = []
        let installedVersion: ParsedVersion?
        do {
            installedVersion = try ParsedVersion(inst.version, scheme: scheme)
        } catch {
            memo.notes.append("\(inst.key) installed version \(inst.version): \(error.message)")
            installedVersion = nil
        }

        var best: (index: Int, version: ParsedVersion, level: ComplianceLevel)?
        var installedVerdict: Verdict?
        var installedMeta: AvailablePackage?
        var newestSecurityUnapproved: Int?
        let approved = approvedList.narrowed(toName: inst.name)
        let rejected = rejectedList.narrowed(toName: inst.name)
        for i in candidates {
            let verdict = judge(i, approved: approved, rejected: rejected, trace: &trace)
            guard let v = version(i) else { continue }
            let order = installedVersion.map { ParsedVersion.compare(v, $0) } ?? 1
            if order == 0 {
                // The installed version as a repository describes it: its approval decides Installed vs Other.
                if installedVerdict == nil || verdict.approved {
                    installedVerdict = verdict
                    installedMeta = request.available[i]
                }
                continue
            }
            guard order > 0 else { continue }
            if verdict.approved {
                if let b = best {
                    let c = ParsedVersion.compare(v, b.version)
                    if c > 0 || (c == 0 && verdict.level > b.level) { best = (i, v, verdict.level) }
                } else {
                    best = (i, v, verdict.level)
                }
            } else if !verdict.rejected && isSecurityClassified(request.available[i]) {
                newestSecurityUnapproved = i
            }
        }

        // Rejected installed versions: by name, the installed package itself may be named in RejectedPatches.
        let installedRejected: Bool
        if let installedVerdict {
            installedRejected = installedVerdict.rejected
        } else if !rejected.isEmpty {
            let c = PatchCandidate(
                name: inst.name, arch: inst.arch, version: inst.version, evr: installedVersion?.rpm, advisoryIds: [],
                cveIds: [], bugzillaIds: [])
            installedRejected = rejected.firstMatch(c) != nil
        } else {
            installedRejected = false
        }
        let installedApproved: Bool
        var installedLevel = ComplianceLevel.unspecified
        if let installedVerdict {
            installedApproved = installedVerdict.approved
            installedLevel = installedVerdict.level
        } else if !approved.isEmpty,
            approved.firstMatch(
                PatchCandidate(
                    name: inst.name, arch: inst.arch, version: inst.version, evr: installedVersion?.rpm,
                    advisoryIds: [], cveIds: [], bugzillaIds: [])) != nil,
            baseline.approvedPatchesEnableNonSecurity
        {
            // A version no repository offers any more, named by the approved list.
            installedApproved = true
            installedLevel = baseline.approvedPatchesComplianceLevel
        } else {
            installedApproved = false
        }

        var d = PatchDecision(
            key: inst.key, installedVersion: inst.version, targetVersion: nil, state: .installedOther,
            complianceLevel: .unspecified, classification: installedMeta?.classification,
            severity: installedMeta?.severity, isSecurity: installedMeta.map(isSecurityClassified) ?? false,
            cveIds: installedMeta?.cveIds ?? [], advisoryIds: installedMeta?.advisoryIds ?? [],
            installedTime: inst.installedTime, repository: installedMeta?.repository, trace: [],
            title: title(inst.key, version: inst.version))

        if let best {
            let p = request.available[best.index]
            target(p, parsed: best.version, level: best.level, in: &d)
            if explain {
                trace.append(
                    .init(
                        stage: .selection, version: p.version,
                        message: "newest approved version, newer than installed \(inst.version)"))
                trace.append(.init(stage: .state, version: nil, message: "Missing: \(p.version) is to be installed"))
            }
        } else if installedRejected {
            d.state = baseline.rejectedPatchesAction == .block ? .installedRejected : .installedOther
            if explain {
                trace.append(
                    .init(
                        stage: .state, version: inst.version,
                        message: "\(d.state.displayName): the installed version is rejected "
                            + "(\(baseline.rejectedPatchesAction.rawValue))"))
            }
        } else if request.pendingReboot.contains(inst.key) {
            d.state = .installedPendingReboot
            d.complianceLevel = installedLevel
            if explain {
                trace.append(
                    .init(
                        stage: .state, version: inst.version,
                        message: "InstalledPendingReboot: installed by an earlier NoReboot install, not rebooted since"
                    ))
            }
        } else if let i = newestSecurityUnapproved, baseline.availableSecurityUpdatesComplianceStatus != nil {
            let p = request.available[i]
            d.state = .availableSecurityUpdate
            d.targetVersion = nil
            d.classification = p.classification
            d.severity = p.severity
            d.isSecurity = true
            d.cveIds = p.cveIds
            if explain {
                trace.append(
                    .init(
                        stage: .state, version: p.version,
                        message: "AvailableSecurityUpdate: a security update exists that the baseline does not approve"
                    ))
            }
        } else if installedApproved {
            d.state = .installed
            d.complianceLevel = installedLevel
            if explain {
                trace.append(
                    .init(
                        stage: .state, version: inst.version,
                        message: "Installed: the installed version is approved and nothing newer is"))
            }
        } else if explain {
            let why = candidates.isEmpty ? "no repository offers this package" : "no newer version is approved"
            trace.append(
                .init(stage: .state, version: inst.version, message: "InstalledOther: installed, \(why)"))
        }
        d.trace = trace
        return d
    }

    /// The decision for a package the node does not have: NotApplicable when the baseline approves it.
    func decideNotInstalled(_ key: PackageKey, candidates: [Int]) -> PatchDecision? {
        var trace: [TraceStep] = []
        var best: (index: Int, version: ParsedVersion, level: ComplianceLevel)?
        let approved = approvedList.narrowed(toName: key.name)
        let rejected = rejectedList.narrowed(toName: key.name)
        for i in candidates {
            let verdict = judge(i, approved: approved, rejected: rejected, trace: &trace)
            guard verdict.approved, let v = version(i) else { continue }
            if let b = best, ParsedVersion.compare(v, b.version) <= 0 { continue }
            best = (i, v, verdict.level)
        }
        guard let best else { return nil }
        let p = request.available[best.index]
        if explain {
            trace.append(.init(stage: .state, version: p.version, message: "NotApplicable: approved, not installed"))
        }
        return PatchDecision(
            key: key, installedVersion: nil, targetVersion: nil, state: .notApplicable, complianceLevel: best.level,
            classification: p.classification, severity: p.severity, isSecurity: isSecurityClassified(p),
            cveIds: p.cveIds, advisoryIds: p.advisoryIds, installedTime: nil, repository: p.repository, trace: trace,
            title: title(key, version: p.version, parsed: best.version))
    }

    /// Install-override list: exactly what the list names, newest matching version; the baseline is not consulted.
    func decideOverride(
        _ inst: InstalledPackage, candidates: [Int], overrides: [InstallOverride]
    ) -> PatchDecision {
        var trace: [TraceStep] = []
        let caseInsensitive = os.family == .apt
        let id = inst.key.description
        let matching = overrides.enumerated().filter {
            Glob($0.element.id, caseInsensitive: caseInsensitive).matches(id)
        }
        let installedVersion = try? ParsedVersion(inst.version, scheme: scheme)
        func titleMatches(_ entry: InstallOverride, _ version: String) -> Bool {
            guard let t = entry.title else { return true }
            let full = title(inst.key, version: version)
            let glob = Glob(t, caseInsensitive: caseInsensitive)
            // Titles are written in full (`name.arch:e:v-r`) or as the version part alone (`e:v-r`, `*1.2.27`).
            return glob.matches(full) || glob.matches(String(full.dropFirst(id.count + 1)))
        }
        var best: (index: Int, version: ParsedVersion, entry: Int)?
        for i in candidates {
            let p = request.available[i]
            guard let v = version(i) else { continue }
            guard let (entryIndex, _) = matching.first(where: { titleMatches($0.element, p.version) }) else {
                continue
            }
            if let iv = installedVersion, ParsedVersion.compare(v, iv) <= 0 { continue }
            if let b = best, ParsedVersion.compare(v, b.version) <= 0 { continue }
            best = (i, v, entryIndex)
        }
        var d = PatchDecision(
            key: inst.key, installedVersion: inst.version, targetVersion: nil, state: .installedOther,
            complianceLevel: .unspecified, classification: nil, severity: nil, isSecurity: false, cveIds: [],
            advisoryIds: [], installedTime: inst.installedTime, repository: nil, trace: [],
            title: title(inst.key, version: inst.version))
        if let best {
            let p = request.available[best.index]
            target(p, parsed: best.version, level: .unspecified, in: &d)
            if explain {
                trace.append(
                    .init(
                        stage: .installOverrideList, version: p.version,
                        message: "named by InstallOverrideList[\(best.entry)] (id \(overrides[best.entry].id)); "
                            + "the baseline is not consulted"))
            }
        } else if matching.contains(where: { titleMatches($0.element, inst.version) }) {
            d.state = request.pendingReboot.contains(inst.key) ? .installedPendingReboot : .installed
            if explain {
                trace.append(
                    .init(
                        stage: .installOverrideList, version: inst.version,
                        message: "the installed version is the one the override list names"))
            }
        } else if explain {
            trace.append(
                .init(
                    stage: .installOverrideList, version: nil,
                    message: matching.isEmpty
                        ? "not in the override list" : "no newer version matches the override list"))
        }
        d.trace = trace
        return d
    }
}
