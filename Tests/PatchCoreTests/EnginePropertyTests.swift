import PatchTestSupport
import Testing

@testable import PatchCore

/// Differential tests: the optimised engine (filter bit masks, cached attribute lookups, name-narrowed lists)
/// against a direct reading of the documented order, on seeded random nodes and baselines.
@Suite("Approval engine: against a straightforward reference")
struct EnginePropertyTests {
    static let now = UTCInstant(CalendarDate(parsing: "2026-11-22")!, hour: 12)

    /// The reference: each available version judged on its own, exactly as the documentation orders it.
    static func referenceApproved(
        _ p: AvailablePackage, baseline b: PatchBaseline, product: String
    ) -> (approved: Bool, level: ComplianceLevel, rejected: Bool) {
        func value(_ key: PatchFilterKey) -> String? {
            switch key {
            case .product: return product
            case .classification: return p.classification
            case .severity: return p.severity
            case .priority: return p.priority
            case .section: return p.section
            default: return nil
            }
        }
        func passes(_ f: PatchFilter) -> Bool {
            if f.values.contains("*") { return true }
            guard let v = value(f.key) else { return false }
            return f.values.contains { Glob($0, caseInsensitive: true).matches(v) }
                || (f.key == .severity && v.lowercased() == "moderate" && f.values.contains("Medium"))
        }
        var approved = false
        var level = ComplianceLevel.unspecified
        let released = (b.operatingSystem == .amazonLinux2 ? p.updatedDate ?? p.releaseDate : p.releaseDate)
        if b.globalFilters.allSatisfy(passes) {
            for rule in b.approvalRules where rule.filters.allSatisfy(passes) && (rule.enableNonSecurity || p.security)
            {
                if b.operatingSystem.honoursApprovalDelays, case .afterDays(let d) = rule.approval {
                    let r = released?.secondsSinceEpoch ?? 0
                    guard r < now.secondsSinceEpoch - Int64(d) * 86_400 else { continue }
                }
                level = approved ? max(level, rule.complianceLevel) : rule.complianceLevel
                approved = true
            }
        }
        let ci = b.operatingSystem.family == .apt
        if b.approvedPatches.contains(where: { Glob($0, caseInsensitive: ci).matches(p.name) }),
            b.approvedPatchesEnableNonSecurity || p.security
        {
            level = approved ? max(level, b.approvedPatchesComplianceLevel) : b.approvedPatchesComplianceLevel
            approved = true
        }
        let rejected = b.rejectedPatches.contains { Glob($0, caseInsensitive: ci).matches(p.name) }
        return (approved && !rejected, level, rejected)
    }

    static func unique(_ xs: [String]) -> [String] {
        var seen: Set<String> = []
        return xs.filter { seen.insert($0).inserted }
    }

    static func randomCase(seed: UInt64, os: OperatingSystem) -> (EvaluationRequest, PatchBaseline) {
        var rng = SplitMix64(seed: seed)
        let deb = os.family == .apt
        let names = (0..<40).map { "pkg\($0)\(["", "-dev", "-libs", "utils"][$0 % 4])" }
        var installed: [InstalledPackage] = []
        var available: [AvailablePackage] = []
        func version(_ n: Int) -> String { deb ? "1.\(n)-\(n % 3 + 1)" : "1.\(n)-\(n % 3 + 1).amzn2023" }
        for name in names {
            let base = rng.below(5)
            if rng.chance(70) { installed.append(InstalledPackage(name: name, arch: "x86_64", version: version(base))) }
            for n in 0..<rng.below(6) {
                let security = rng.chance(50)
                available.append(
                    AvailablePackage(
                        name: name, arch: rng.chance(90) ? "x86_64" : "noarch", version: version(base + n),
                        repository: security ? "security" : "main", security: security,
                        classification: deb
                            ? (security ? "Security" : nil) : rng.pick(["Security", "Bugfix", "Enhancement"]),
                        severity: rng.pick(["Critical", "Important", "Moderate", "Low", nil]),
                        priority: rng.pick(["required", "important", "standard", "optional", "extra"]),
                        section: rng.pick(["libs", "net", "admin"]),
                        releaseDate: UTCInstant(
                            secondsSinceEpoch: now.secondsSinceEpoch - Int64(rng.below(20)) * 86_400),
                        updatedDate: UTCInstant(
                            secondsSinceEpoch: now.secondsSinceEpoch - Int64(rng.below(20)) * 86_400)))
            }
        }
        let keys = os.supportedFilterKeys.filter { $0 != .product }
        func filter() -> PatchFilter {
            let key = rng.pick(keys)
            let values = os.allowedValues(for: key) ?? ["libs", "net", "admin", "li*"]
            return PatchFilter(
                key: key, values: rng.chance(15) ? ["*"] : (0..<1 + rng.below(2)).map { _ in rng.pick(values) })
        }
        var rules: [PatchRule] = []
        for _ in 0..<rng.below(5) {
            var filters: [PatchFilter] = []
            for _ in 0..<rng.below(3) {
                let f = filter()
                if !filters.contains(where: { $0.key == f.key }) { filters.append(f) }
            }
            rules.append(
                PatchRule(
                    filters: filters, complianceLevel: rng.pick(ComplianceLevel.allCases),
                    approval: .afterDays(rng.pick([0, 3, 7, 14])), enableNonSecurity: rng.chance(30)))
        }
        let global = rng.chance(40) ? [filter()] : []
        let baseline = PatchBaseline(
            name: "random", operatingSystem: os, globalFilters: global, approvalRules: rules,
            approvedPatches: unique((0..<rng.below(3)).map { _ in rng.chance(50) ? rng.pick(names) : "pkg1*" }),
            approvedPatchesComplianceLevel: rng.pick(ComplianceLevel.allCases),
            approvedPatchesEnableNonSecurity: rng.chance(50),
            rejectedPatches: unique((0..<rng.below(2)).map { _ in rng.chance(50) ? rng.pick(names) : "*-dev" }),
            rejectedPatchesAction: rng.chance(50) ? .block : .allowAsDependency)
        let request = EvaluationRequest(
            baseline: baseline, product: deb ? "Debian12" : "AmazonLinux2023", installed: installed,
            available: available, operationTime: now)
        return (request, baseline)
    }

    @Test(
        "the engine agrees with the reference on 400 random nodes",
        arguments: [OperatingSystem.debian, .amazonLinux2023, .amazonLinux2])
    func agreesWithReference(os: OperatingSystem) throws {
        for seed in UInt64(1)...400 {
            let (request, baseline) = Self.randomCase(seed: seed, os: os)
            let evaluation = ApprovalEngine.evaluate(request)
            #expect(BaselineValidator.validate(baseline).isEmpty, "seed \(seed): the generated baseline is valid")
            for inst in request.installed {
                let d = try #require(evaluation.decisions.first { $0.key == inst.key }, "seed \(seed) \(inst.key)")
                let installedVersion = try compareVersions(inst.version, inst.version, scheme: os.versionScheme)
                #expect(installedVersion == 0)
                // The newest approved, non-rejected version newer than the installed one.
                let candidates = request.available.filter {
                    $0.name == inst.name && ($0.arch == inst.arch || $0.arch == "noarch")
                }
                var expected: (String, ComplianceLevel)?
                for p in candidates {
                    let r = Self.referenceApproved(p, baseline: baseline, product: request.product)
                    guard r.approved, try compareVersions(p.version, inst.version, scheme: os.versionScheme) > 0 else {
                        continue
                    }
                    if let e = expected, try compareVersions(p.version, e.0, scheme: os.versionScheme) <= 0 { continue }
                    expected = (p.version, r.level)
                }
                #expect(d.targetVersion == expected?.0, "seed \(seed) \(inst.key)")
                if let expected {
                    #expect(d.state == .missing, "seed \(seed) \(inst.key)")
                    // The level of the chosen version (the reference takes the first of equal versions too).
                    let levels = candidates.filter { $0.version == expected.0 }.map {
                        Self.referenceApproved($0, baseline: baseline, product: request.product)
                    }.filter(\.approved).map(\.level)
                    #expect(levels.contains(d.complianceLevel), "seed \(seed) \(inst.key)")
                } else {
                    #expect(d.state != .missing, "seed \(seed) \(inst.key)")
                    let rejectedByName = baseline.rejectedPatches.contains {
                        Glob($0, caseInsensitive: os.family == .apt).matches(inst.name)
                    }
                    if rejectedByName {
                        let want: PatchState =
                            baseline.rejectedPatchesAction == .block ? .installedRejected : .installedOther
                        #expect(d.state == want, "seed \(seed) \(inst.key)")
                    }
                }
            }
            // Summary counts add up to the decisions.
            #expect(evaluation.summary.total == evaluation.decisions.count)
        }
    }

    @Test(
        "streaming not-installed packages through a collector gives the same decisions",
        arguments: [OperatingSystem.debian, .amazonLinux2023])
    func collectorAgrees(os: OperatingSystem) {
        for seed in UInt64(1)...200 {
            let (request, baseline) = Self.randomCase(seed: seed, os: os)
            let full = ApprovalEngine.evaluate(request)
            let installedNames = Set(request.installed.map(\.name))
            var split = request
            split.available = request.available.filter { installedNames.contains($0.name) }
            split.includeNotInstalled = false
            let collector = NotInstalledCollector(
                baseline: baseline, product: request.product, operationTime: request.operationTime)
            for p in request.available where !installedNames.contains(p.name) { collector.add(p) }
            let merged = collector.merge(into: ApprovalEngine.evaluate(split))
            #expect(merged.decisions == full.decisions, "seed \(seed)")
            #expect(merged.summary == full.summary, "seed \(seed)")
            // Counting only (what a scan report needs by default) gives the same summary.
            let counter = NotInstalledCollector(
                baseline: baseline, product: request.product, operationTime: request.operationTime,
                keepDecisions: false)
            for p in request.available where !installedNames.contains(p.name) { counter.add(p) }
            #expect(counter.merge(into: ApprovalEngine.evaluate(split)).summary == full.summary, "seed \(seed)")
        }
    }
}
