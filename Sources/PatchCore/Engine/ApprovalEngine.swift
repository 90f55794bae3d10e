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

    public init(
        baseline: PatchBaseline, product: String, installed: [InstalledPackage], available: [AvailablePackage],
        operationTime: UTCInstant, installOverrideList: [InstallOverride]? = nil, pendingReboot: Set<PackageKey> = [],
        explain: Bool = false
    ) {
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
        var run = EngineRun(request)
        return run.evaluate()
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

/// A filter compiled once: lower-cased globs and the attribute it reads.
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

    func matches(_ p: AvailablePackage, product: String, release: String?, epoch: Int?) -> Bool {
        if matchesAnything { return true }
        func any(_ s: String?) -> Bool {
            guard let s else { return false }
            return globs.contains { $0.matches(s) }
        }
        switch key {
        case .product: return any(p.product ?? product)
        case .classification: return any(p.classification)
        case .severity, .msrcSeverity: return any(p.severity)
        case .priority: return any(p.priority)
        case .section: return any(p.section)
        case .arch: return any(p.arch)
        case .name: return any(p.name)
        case .repository: return any(p.repository)
        case .version: return any(p.version)
        case .release: return any(release)
        case .epoch: return any(String(epoch ?? 0))
        case .advisoryID: return p.advisoryIds.contains { any($0) }
        case .cveID: return p.cveIds.contains { any($0) }
        case .bugzillaID: return p.bugzillaIds.contains { any($0) }
        case .security: return any(p.security ? "Yes" : "No")
        case .patchSet, .productFamily, .patchID: return false
        }
    }

    var summary: String { "\(key.rawValue) \(globs.map(\.pattern).joined(separator: ","))" }
}

private struct CompiledRule {
    let index: Int
    let filters: [CompiledFilter]
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
    let globalFilters: [CompiledFilter]
    let rules: [CompiledRule]
    let approvedList: PatchListMatcher
    let rejectedList: PatchListMatcher
    let explain: Bool
    var notes: [String] = []
    /// Parsed versions of `available`, filled lazily (nil inside: unparseable).
    var parsed: [ParsedVersion??]

    init(_ request: EvaluationRequest) {
        self.request = request
        baseline = request.baseline
        os = baseline.operatingSystem
        scheme = os.versionScheme
        explain = request.explain
        globalFilters = baseline.globalFilters.map(CompiledFilter.init)
        let now = request.operationTime.secondsSinceEpoch
        rules = baseline.approvalRules.enumerated().map { i, r in
            let cutoff: Int64?
            switch r.approval {
            case .afterDays(let d): cutoff = now - Int64(d) * 86_400
            case .untilDate(let date): cutoff = (date.daysSinceEpoch + 1) * 86_400
            case nil: cutoff = nil
            }
            return CompiledRule(
                index: i, filters: r.filters.map(CompiledFilter.init), level: r.complianceLevel, cutoff: cutoff,
                approval: r.approval, enableNonSecurity: r.enableNonSecurity)
        }
        approvedList = PatchListMatcher(baseline.approvedPatches, os: os, kind: .approved)
        rejectedList = PatchListMatcher(baseline.rejectedPatches, os: os, kind: .rejected)
        parsed = Array(repeating: nil, count: request.available.count)
    }

    mutating func version(_ i: Int) -> ParsedVersion? {
        if let cached = parsed[i] { return cached }
        let p = request.available[i]
        let v: ParsedVersion?
        do {
            v = try ParsedVersion(p.version, scheme: scheme)
        } catch {
            notes.append("\(p.key) \(p.version) from \(p.repository): \(error.message); version ignored")
            v = nil
        }
        parsed[i] = .some(v)
        return v
    }

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

    /// Runs global filters, rules, approved and rejected lists on one available version.
    mutating func judge(_ i: Int, trace: inout [TraceStep]) -> Verdict {
        let p = request.available[i]
        let v = version(i)
        let evr = v?.rpm
        var verdict = Verdict()
        let product = request.product

        // Global filters.
        var passesGlobal = true
        for (fi, f) in globalFilters.enumerated()
        where !f.matches(p, product: product, release: evr?.release, epoch: evr?.epoch) {
            passesGlobal = false
            if explain {
                trace.append(
                    .init(
                        stage: .globalFilters, version: p.version,
                        message: "dropped by global filter [\(fi)] \(f.summary) (\(describe(f.key, p)))"))
            }
            break
        }
        if passesGlobal && explain && !globalFilters.isEmpty {
            trace.append(.init(stage: .globalFilters, version: p.version, message: "kept by every global filter"))
        }

        // Approval rules.
        if passesGlobal {
            let released = releaseInstant(p)?.secondsSinceEpoch ?? 0
            for rule in rules {
                var failed: CompiledFilter?
                for f in rule.filters where !f.matches(p, product: product, release: evr?.release, epoch: evr?.epoch) {
                    failed = f
                    break
                }
                if let failed {
                    if explain {
                        trace.append(
                            .init(
                                stage: .approvalRules, version: p.version,
                                message: "rule [\(rule.index)] does not match: \(failed.summary) "
                                    + "(\(describe(failed.key, p)))"))
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
        if !approvedList.isEmpty, let index = approvedList.firstMatch(candidate(p, v)) {
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
        if !rejectedList.isEmpty, let index = rejectedList.firstMatch(candidate(p, v)) {
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

    func title(_ key: PackageKey, version: String) -> String {
        guard scheme == .rpm else { return "\(key):\(version)" }
        if let evr = try? RPMVersion(parsing: version) {
            let vr = evr.release.map { "\(evr.version)-\($0)" } ?? evr.version
            return "\(key):\(evr.epoch ?? 0):\(vr)"
        }
        return "\(key):\(version)"
    }

    func isSecurityClassified(_ p: AvailablePackage) -> Bool {
        if let c = p.classification { return c.lowercased() == "security" || c == "SecurityUpdates" }
        return os.family == .apt && p.security
    }

    mutating func evaluate() -> Evaluation {
        // Index available versions by name (an array per name keeps each lookup one hash).
        var byName: [String: [Int]] = [:]
        byName.reserveCapacity(request.available.count / 2)
        for (i, p) in request.available.enumerated() { byName[p.name, default: []].append(i) }

        var installedNames: Set<String> = []
        installedNames.reserveCapacity(request.installed.count)
        var decisions: [PatchDecision] = []
        decisions.reserveCapacity(request.installed.count)

        for inst in request.installed {
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
        if request.installOverrideList == nil {
            for (name, indices) in byName where !installedNames.contains(name) {
                var byArch: [String: [Int]] = [:]
                for i in indices { byArch[request.available[i].arch, default: []].append(i) }
                for (arch, group) in byArch {
                    if let d = decideNotInstalled(PackageKey(name: name, arch: arch), candidates: group) {
                        decisions.append(d)
                    }
                }
            }
        }

        decisions.sort { $0.key < $1.key }
        let nonCompliant = baseline.availableSecurityUpdatesComplianceStatus == .nonCompliant
        return Evaluation(
            decisions: decisions,
            summary: PatchSummaryCounts(decisions, availableSecurityUpdatesNonCompliant: nonCompliant), notes: notes)
    }

    /// The decision for a package the node has.
    mutating func decideInstalled(_ inst: InstalledPackage, candidates: [Int]) -> PatchDecision {
        var trace: [TraceStep] = []
        let installedVersion: ParsedVersion?
        do {
            installedVersion = try ParsedVersion(inst.version, scheme: scheme)
        } catch {
            notes.append("\(inst.key) installed version \(inst.version): \(error.message)")
            installedVersion = nil
        }

        var best: (index: Int, version: ParsedVersion, level: ComplianceLevel)?
        var installedVerdict: Verdict?
        var installedMeta: AvailablePackage?
        var newestSecurityUnapproved: Int?
        for i in candidates {
            let verdict = judge(i, trace: &trace)
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
        } else if !rejectedList.isEmpty {
            let c = PatchCandidate(
                name: inst.name, arch: inst.arch, version: inst.version, evr: installedVersion?.rpm, advisoryIds: [],
                cveIds: [], bugzillaIds: [])
            installedRejected = rejectedList.firstMatch(c) != nil
        } else {
            installedRejected = false
        }
        let installedApproved: Bool
        var installedLevel = ComplianceLevel.unspecified
        if let installedVerdict {
            installedApproved = installedVerdict.approved
            installedLevel = installedVerdict.level
        } else if !approvedList.isEmpty,
            approvedList.firstMatch(
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
            d.state = .missing
            d.targetVersion = p.version
            d.complianceLevel = best.level
            d.classification = p.classification
            d.severity = p.severity
            d.isSecurity = isSecurityClassified(p)
            d.cveIds = p.cveIds
            d.advisoryIds = p.advisoryIds
            d.repository = p.repository
            d.title = title(inst.key, version: p.version)
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
    mutating func decideNotInstalled(_ key: PackageKey, candidates: [Int]) -> PatchDecision? {
        var trace: [TraceStep] = []
        var best: (index: Int, version: ParsedVersion, level: ComplianceLevel)?
        for i in candidates {
            let verdict = judge(i, trace: &trace)
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
            title: title(key, version: p.version))
    }

    /// Install-override list: exactly what the list names, newest matching version; the baseline is not consulted.
    mutating func decideOverride(
        _ inst: InstalledPackage, candidates: [Int], overrides: [InstallOverride]
    ) -> PatchDecision {
        var trace: [TraceStep] = []
        let caseInsensitive = os.family == .apt
        let id = inst.key.description
        let matching = overrides.enumerated().filter { Glob($0.element.id, caseInsensitive: caseInsensitive).matches(id) }
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
            d.state = .missing
            d.targetVersion = p.version
            d.classification = p.classification
            d.severity = p.severity
            d.isSecurity = isSecurityClassified(p)
            d.cveIds = p.cveIds
            d.advisoryIds = p.advisoryIds
            d.repository = p.repository
            d.title = title(inst.key, version: p.version)
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
                    message: matching.isEmpty ? "not in the override list" : "no newer version matches the override list"))
        }
        d.trace = trace
        return d
    }
}
