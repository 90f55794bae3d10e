import Testing

@testable import PatchCore

/// The operation time of every test: 2026-11-22T12:00:00Z.
private let now = UTCInstant(CalendarDate(parsing: "2026-11-22")!, hour: 12)
private func daysAgo(_ d: Double) -> UTCInstant {
    UTCInstant(secondsSinceEpoch: now.secondsSinceEpoch - Int64(d * 86_400))
}
private func at(_ iso: String) -> UTCInstant { UTCInstant(iso8601: iso)! }

private func deb(
    _ name: String, _ version: String, security: Bool = false, priority: String = "optional", section: String = "libs",
    arch: String = "amd64"
) -> AvailablePackage {
    AvailablePackage(
        name: name, arch: arch, version: version,
        repository: security ? "Debian-Security bookworm-security/main" : "Debian bookworm/main", security: security,
        classification: security ? "Security" : nil, priority: priority, section: section)
}

private func rpm(
    _ name: String, _ version: String, type: String? = "Security", severity: String? = "Important",
    released: UTCInstant? = nil, updated: UTCInstant? = nil, built: UTCInstant? = nil, arch: String = "x86_64",
    advisory: String? = nil, cves: [String] = []
) -> AvailablePackage {
    AvailablePackage(
        name: name, arch: arch, version: version, repository: "amazonlinux", security: type != nil,
        classification: type, severity: type == nil ? nil : severity, advisoryIds: advisory.map { [$0] } ?? [],
        cveIds: cves, releaseDate: released, updatedDate: updated, buildTime: built)
}

private func evaluate(
    _ baseline: PatchBaseline, installed: [InstalledPackage], available: [AvailablePackage],
    override: [InstallOverride]? = nil, pendingReboot: Set<PackageKey> = [], explain: Bool = true
) -> Evaluation {
    ApprovalEngine.evaluate(
        EvaluationRequest(
            baseline: baseline, product: baseline.operatingSystem.family == .apt ? "Debian12" : "AmazonLinux2023",
            installed: installed, available: available, operationTime: now, installOverrideList: override,
            pendingReboot: pendingReboot, explain: explain))
}

private func decision(_ e: Evaluation, _ name: String) -> PatchDecision? {
    e.decisions.first { $0.key.name == name }
}

private func ruleBaseline(
    _ os: OperatingSystem, _ rules: [PatchRule], global: [PatchFilter] = [], approved: [String] = [],
    rejected: [String] = [], action: RejectedPatchesAction = .allowAsDependency, approvedNonSecurity: Bool = false,
    approvedLevel: ComplianceLevel = .unspecified
) -> PatchBaseline {
    PatchBaseline(
        name: "test-baseline", operatingSystem: os, globalFilters: global, approvalRules: rules,
        approvedPatches: approved, approvedPatchesComplianceLevel: approvedLevel,
        approvedPatchesEnableNonSecurity: approvedNonSecurity, rejectedPatches: rejected, rejectedPatchesAction: action)
}

private let securityRule = PatchRule(
    filters: [PatchFilter(key: .classification, values: ["Security"])], complianceLevel: .high, approval: .afterDays(7))

@Suite("Approval engine: Debian and Ubuntu")
struct DebianEngineTests {
    let baseline = PredefinedBaselines.baseline(for: .debian)
    let installed = [InstalledPackage(name: "openssl", arch: "amd64", version: "3.0.11-1~deb12u1")]

    @Test("an older security version is chosen when the newest is not a security update")
    func olderSecurityVersion() {
        let e = evaluate(
            baseline, installed: installed,
            available: [
                deb("openssl", "3.0.11-1~deb12u1"), deb("openssl", "3.0.13-1~deb12u1", security: true),
                deb("openssl", "3.0.14-1~deb12u1"),
            ])
        let d = decision(e, "openssl")
        #expect(d?.state == .missing)
        #expect(d?.targetVersion == "3.0.13-1~deb12u1")
        #expect(d?.title == "openssl.amd64:3.0.13-1~deb12u1")
        #expect(d?.isSecurity == true)
        #expect(e.toInstall.map(\.id) == ["openssl.amd64"])
    }

    @Test("only a non-security update: InstalledOther, nothing to install")
    func nonSecurityOnly() {
        let e = evaluate(baseline, installed: installed, available: [deb("openssl", "3.0.14-1~deb12u1")])
        let d = decision(e, "openssl")
        #expect(d?.state == .installedOther)
        #expect(d?.targetVersion == nil)
        #expect(d?.trace.contains { $0.message.contains("approves security updates only") } == true)
    }

    @Test("the installed version from the security origin is Installed")
    func installedSecurityVersion() {
        let e = evaluate(
            baseline, installed: installed,
            available: [deb("openssl", "3.0.11-1~deb12u1", security: true), deb("openssl", "3.0.14-1~deb12u1")])
        #expect(decision(e, "openssl")?.state == .installed)
        #expect(e.summary.installed == 1 && e.summary.isCompliant)
    }

    @Test("approval delays are ignored on apt systems: a security update released now is approved")
    func delaysIgnored() {
        var p = deb("openssl", "3.0.13-1~deb12u1", security: true)
        p.releaseDate = now
        let e = evaluate(baseline, installed: installed, available: [p])
        #expect(decision(e, "openssl")?.state == .missing)
        #expect(decision(e, "openssl")?.trace.contains { $0.message.contains("do not apply to DEBIAN") } == true)
    }

    @Test("an approved package that is not installed is NotApplicable")
    func notApplicable() {
        let e = evaluate(
            baseline, installed: installed, available: [deb("curl", "7.88.1-10+deb12u5", security: true)])
        #expect(decision(e, "curl")?.state == .notApplicable)
        #expect(e.summary.notApplicable == 1)
        #expect(e.toInstall.isEmpty)
    }

    @Test("approved list bypasses global filters but needs security unless ApprovedPatchesEnableNonSecurity")
    func approvedListBypassesGlobalFilters() {
        let global = [PatchFilter(key: .priority, values: ["Required"])]
        let rules = [PatchRule(filters: [PatchFilter(key: .priority, values: ["*"])], approval: .afterDays(0))]
        let secure = deb("openssl", "3.0.13-1~deb12u1", security: true, priority: "optional")
        // Dropped by the global filter, and not in the approved list: not approved.
        let plain = evaluate(ruleBaseline(.debian, rules, global: global), installed: installed, available: [secure])
        #expect(decision(plain, "openssl")?.state == .installedOther)
        #expect(
            decision(plain, "openssl")?.trace.contains { $0.message.contains("dropped by global filter [0]") } == true)

        let listed = evaluate(
            ruleBaseline(.debian, rules, global: global, approved: ["OpenSSL"], approvedLevel: .critical),
            installed: installed, available: [secure])
        #expect(decision(listed, "openssl")?.state == .missing)
        #expect(decision(listed, "openssl")?.complianceLevel == .critical)
        #expect(listed.summary.criticalNonCompliant == 1)

        let nonSecurity = deb("openssl", "3.0.14-1~deb12u1", priority: "optional")
        let listedNonSecurity = evaluate(
            ruleBaseline(.debian, rules, global: global, approved: ["openssl"]), installed: installed,
            available: [nonSecurity])
        #expect(decision(listedNonSecurity, "openssl")?.state == .installedOther)
        #expect(
            decision(listedNonSecurity, "openssl")?.trace.contains {
                $0.message.contains("ApprovedPatchesEnableNonSecurity is false")
            } == true)
        let enabled = evaluate(
            ruleBaseline(.debian, rules, global: global, approved: ["openssl"], approvedNonSecurity: true),
            installed: installed, available: [nonSecurity])
        #expect(decision(enabled, "openssl")?.targetVersion == "3.0.14-1~deb12u1")
    }

    @Test(
        "rejected installed version under each action",
        arguments: [(RejectedPatchesAction.allowAsDependency, PatchState.installedOther), (.block, .installedRejected)])
    func rejectedInstalled(action: RejectedPatchesAction, expected: PatchState) {
        let b = ruleBaseline(.debian, baseline.approvalRules, rejected: ["openssl*"], action: action)
        let e = evaluate(
            b, installed: installed,
            available: [deb("openssl", "3.0.11-1~deb12u1", security: true), deb("openssl", "3.0.13-1", security: true)]
        )
        let d = decision(e, "openssl")
        #expect(d?.state == expected)
        #expect(d?.targetVersion == nil)
        #expect(e.summary.installedRejected == (action == .block ? 1 : 0))
        #expect(e.summary.isCompliant == (action == .allowAsDependency))
    }

    @Test("a rejected newer version is skipped for an older approved one")
    func rejectedVersionSkipped() {
        let b = ruleBaseline(.debian, baseline.approvalRules, rejected: ["openssl.amd64:3.0.14*"])
        let e = evaluate(
            b, installed: installed,
            available: [
                deb("openssl", "3.0.13-1~deb12u1", security: true), deb("openssl", "3.0.14-1~deb12u1", security: true),
            ])
        #expect(decision(e, "openssl")?.targetVersion == "3.0.13-1~deb12u1")
        #expect(
            decision(e, "openssl")?.trace.contains { $0.message.contains("rejected by RejectedPatches[0]") } == true)
    }

    @Test("a package approved by several rules takes the highest compliance level")
    func highestComplianceLevel() {
        let rules = [
            PatchRule(
                filters: [PatchFilter(key: .priority, values: ["Optional"])], complianceLevel: .low,
                approval: .afterDays(0)),
            PatchRule(
                filters: [PatchFilter(key: .section, values: ["libs"])], complianceLevel: .critical,
                approval: .afterDays(0)),
            PatchRule(
                filters: [PatchFilter(key: .priority, values: ["*"])], complianceLevel: .medium,
                approval: .afterDays(0)),
        ]
        let e = evaluate(
            ruleBaseline(.debian, rules), installed: installed,
            available: [deb("openssl", "3.0.13-1~deb12u1", security: true)])
        #expect(decision(e, "openssl")?.complianceLevel == .critical)
        let other = evaluate(
            ruleBaseline(.debian, rules), installed: installed,
            available: [deb("openssl", "3.0.13-1~deb12u1", security: true, section: "net")])
        #expect(decision(other, "openssl")?.complianceLevel == .medium)
    }

    @Test("the architecture must agree, except for arch-independent packages")
    func architectures() {
        let inst = [
            InstalledPackage(name: "libc6", arch: "amd64", version: "2.36-9"),
            InstalledPackage(name: "tzdata", arch: "all", version: "2024a-0+deb12u1"),
        ]
        let e = evaluate(
            baseline, installed: inst,
            available: [
                deb("libc6", "2.36-9+deb12u4", security: true, arch: "i386"),
                deb("tzdata", "2025a-0+deb12u1", security: true, arch: "all"),
            ])
        #expect(decision(e, "libc6")?.key.arch == "amd64")
        #expect(e.decisions.first { $0.key == PackageKey(name: "libc6", arch: "amd64") }?.state == .installedOther)
        #expect(decision(e, "tzdata")?.state == .missing)
    }

    @Test("InstalledPendingReboot for packages an earlier NoReboot install left")
    func pendingReboot() {
        let e = evaluate(
            baseline, installed: installed, available: [deb("openssl", "3.0.11-1~deb12u1", security: true)],
            pendingReboot: [PackageKey(name: "openssl", arch: "amd64")])
        #expect(decision(e, "openssl")?.state == .installedPendingReboot)
        #expect(!e.summary.isCompliant)
        #expect(e.summary.installedPendingReboot == 1)
    }

    @Test("an unparseable version is ignored with a note naming it")
    func unparseableVersion() {
        let e = evaluate(
            baseline, installed: installed,
            available: [deb("openssl", "3.0 13", security: true), deb("openssl", "3.0.12-1", security: true)])
        #expect(decision(e, "openssl")?.targetVersion == "3.0.12-1")
        #expect(e.notes.count == 1)
        #expect(e.notes.first?.contains("openssl.amd64 3.0 13") == true)
    }
}

@Suite("Approval engine: yum and dnf")
struct RPMEngineTests {
    let installed = [InstalledPackage(name: "kernel", arch: "x86_64", version: "6.1.50-1.amzn2023")]

    @Test(
        "ApproveUntilDate includes the whole day in UTC",
        arguments: [
            ("2026-11-15T23:59:59Z", true), ("2026-11-16T00:00:00Z", false), ("2026-11-14T00:00:00Z", true),
            ("2026-11-15T23:59:59-01:00", false),
        ])
    func untilDateBoundary(released: String, approved: Bool) {
        let rule = PatchRule(
            filters: [PatchFilter(key: .classification, values: ["Security"])],
            approval: .untilDate(CalendarDate(parsing: "2026-11-15")!))
        let e = evaluate(
            ruleBaseline(.amazonLinux2023, [rule]), installed: installed,
            available: [rpm("kernel", "6.1.60-1.amzn2023", released: at(released))])
        #expect((decision(e, "kernel")?.state == .missing) == approved)
    }

    @Test(
        "ApproveAfterDays counts whole elapsed days from the release",
        arguments: [(7.0, false), (7.0 + 1.0 / 86_400, true), (6.99, false), (30, true)])
    func afterDaysBoundary(age: Double, approved: Bool) {
        let e = evaluate(
            ruleBaseline(.amazonLinux2023, [securityRule]), installed: installed,
            available: [rpm("kernel", "6.1.60-1.amzn2023", released: daysAgo(age))])
        #expect((decision(e, "kernel")?.state == .missing) == approved)
        if !approved {
            #expect(decision(e, "kernel")?.trace.contains { $0.message.contains("matches but not yet") } == true)
        }
    }

    @Test("Amazon Linux 2 counts the delay from the notice's updated date, AL2023 from its issued date")
    func updatedDate() {
        let p = rpm("kernel", "6.1.60-1.amzn2023", released: daysAgo(30), updated: daysAgo(2))
        let al2 = evaluate(ruleBaseline(.amazonLinux2, [securityRule]), installed: installed, available: [p])
        let al2023 = evaluate(ruleBaseline(.amazonLinux2023, [securityRule]), installed: installed, available: [p])
        #expect(decision(al2, "kernel")?.state == .installedOther)
        #expect(decision(al2023, "kernel")?.state == .missing)
    }

    @Test("without a notice date the build time counts; without either the delay is zero")
    func dateFallbacks() {
        let built = evaluate(
            ruleBaseline(.amazonLinux2023, [securityRule]), installed: installed,
            available: [rpm("kernel", "6.1.60-1.amzn2023", built: daysAgo(1))])
        #expect(decision(built, "kernel")?.state == .installedOther)
        let undated = evaluate(
            ruleBaseline(.amazonLinux2023, [securityRule]), installed: installed,
            available: [rpm("kernel", "6.1.60-1.amzn2023")])
        #expect(decision(undated, "kernel")?.state == .missing)
    }

    @Test("a package named by no notice is approved only by a rule with EnableNonSecurity")
    func nonSecurity() {
        let p = rpm("kernel", "6.1.60-1.amzn2023", type: nil)
        let any = [PatchFilter(key: .classification, values: ["*"])]
        let off = evaluate(
            ruleBaseline(.amazonLinux2023, [PatchRule(filters: any, approval: .afterDays(0))]), installed: installed,
            available: [p])
        #expect(decision(off, "kernel")?.state == .installedOther)
        #expect(
            decision(off, "kernel")?.trace.contains { $0.message.contains("named by no updateinfo notice") } == true)
        let on = evaluate(
            ruleBaseline(
                .amazonLinux2023, [PatchRule(filters: any, approval: .afterDays(0), enableNonSecurity: true)]),
            installed: installed, available: [p])
        #expect(decision(on, "kernel")?.state == .missing)
        #expect(decision(on, "kernel")?.isSecurity == false)
        #expect(on.summary.otherNonCompliant == 1 && on.summary.securityNonCompliant == 0)
    }

    @Test("the predefined AL2023 baseline approves Critical/Important security and bugfix after 7 days")
    func predefinedAL2023() {
        let inst = [
            InstalledPackage(name: "a", arch: "x86_64", version: "1.0-1"),
            InstalledPackage(name: "b", arch: "x86_64", version: "1.0-1"),
            InstalledPackage(name: "c", arch: "x86_64", version: "1.0-1"),
            InstalledPackage(name: "d", arch: "x86_64", version: "1.0-1"),
            InstalledPackage(name: "e", arch: "x86_64", version: "1.0-1"),
        ]
        let e = evaluate(
            PredefinedBaselines.baseline(for: .amazonLinux2023), installed: inst,
            available: [
                rpm("a", "1.1-1", severity: "Critical", released: daysAgo(10)),
                rpm("b", "1.1-1", severity: "Medium", released: daysAgo(10)),
                rpm("c", "1.1-1", type: "Bugfix", severity: nil, released: daysAgo(10)),
                rpm("d", "1.1-1", severity: "Important", released: daysAgo(3)),
                rpm("e", "1.1-1", type: "Enhancement", released: daysAgo(10)),
            ])
        #expect(e.decisions.map(\.state) == [.missing, .installedOther, .missing, .installedOther, .installedOther])
        #expect(e.summary.missing == 2 && e.summary.securityNonCompliant == 1 && e.summary.otherNonCompliant == 1)
    }

    @Test("several installed kernels: the newest counts, one decision")
    func installOnlyPackages() {
        let kernels = [
            InstalledPackage(name: "kernel", arch: "x86_64", version: "6.1.60-1.amzn2023"),
            InstalledPackage(name: "kernel", arch: "x86_64", version: "6.1.50-1.amzn2023"),
        ]
        let e = evaluate(
            ruleBaseline(.amazonLinux2023, [securityRule]), installed: kernels,
            available: [rpm("kernel", "6.1.60-1.amzn2023", released: daysAgo(30))])
        #expect(e.decisions.count == 1)
        #expect(e.decisions.first?.state == .installed)
        #expect(e.decisions.first?.installedVersion == "6.1.60-1.amzn2023")
    }

    @Test("severity Medium matches notices that say Moderate")
    func mediumIsModerate() {
        let rule = PatchRule(filters: [PatchFilter(key: .severity, values: ["Medium"])], approval: .afterDays(0))
        let e = evaluate(
            ruleBaseline(.oracleLinux, [rule]), installed: installed,
            available: [rpm("kernel", "6.1.60-1.amzn2023", severity: "Moderate")])
        #expect(decision(e, "kernel")?.state == .missing)
    }

    @Test(
        "approved list forms for yum",
        arguments: [
            "kernel", "kernel.x86_64", "kernel-6.1.60", "kernel-6.1.60-1.amzn2023", "kernel-6.1.60-1.amzn2023.x86_64",
            "6.1.60-1.amzn2023", "0:6.1.60-1.amzn2023", "kernel-0:6.1.60-1.amzn2023.x86_64",
            "0:kernel-6.1.60-1.amzn2023.x86_64", "kernel.x86_64:0:6.1.60-1.amzn2023", "kern*", "ALAS2023-2026-777",
            "CVE-2026-1234",
        ])
    func approvedForms(entry: String) {
        let b = ruleBaseline(.amazonLinux2023, [], approved: [entry])
        let e = evaluate(
            b, installed: installed,
            available: [
                rpm(
                    "kernel", "6.1.60-1.amzn2023", type: "Bugfix", advisory: "ALAS2023-2026-777",
                    cves: ["CVE-2026-1234"])
            ])
        #expect(decision(e, "kernel")?.state == .missing, "\(entry)")
        #expect(decision(e, "kernel")?.title == "kernel.x86_64:0:6.1.60-1.amzn2023")
    }

    @Test(
        "entries that name something else do not approve",
        arguments: ["kernel-6.1.61", "kernel.i686", "ALAS2023-2026-778"])
    func approvedMisses(entry: String) {
        let e = evaluate(
            ruleBaseline(.amazonLinux2023, [], approved: [entry]), installed: installed,
            available: [rpm("kernel", "6.1.60-1.amzn2023", advisory: "ALAS2023-2026-777")])
        #expect(decision(e, "kernel")?.state == .installedOther, "\(entry)")
    }

    @Test("AvailableSecurityUpdate when the baseline reports unapproved security updates")
    func availableSecurityUpdate() {
        var b = ruleBaseline(.amazonLinux2023, [securityRule])
        b.availableSecurityUpdatesComplianceStatus = .nonCompliant
        let e = evaluate(
            b, installed: installed, available: [rpm("kernel", "6.1.60-1.amzn2023", released: daysAgo(1))])
        #expect(decision(e, "kernel")?.state == .availableSecurityUpdate)
        #expect(!e.summary.isCompliant && e.summary.availableSecurityUpdate == 1)
        b.availableSecurityUpdatesComplianceStatus = .compliant
        let compliant = evaluate(
            b, installed: installed, available: [rpm("kernel", "6.1.60-1.amzn2023", released: daysAgo(1))])
        #expect(compliant.summary.isCompliant)
    }
}

@Suite("Install override list and install results")
struct OverrideAndResultTests {
    let installed = [
        InstalledPackage(name: "bind", arch: "x86_64", version: "32:9.8.2-0.62.rc1.57.amzn1"),
        InstalledPackage(name: "glibc", arch: "x86_64", version: "2.17-1"),
        InstalledPackage(name: "curl", arch: "x86_64", version: "7.1-1"),
    ]
    let available = [
        rpm("bind", "32:9.8.2-0.62.rc1.58.amzn1"), rpm("bind", "32:9.8.2-0.62.rc1.59.amzn1"),
        rpm("glibc", "2.17-2", type: nil), rpm("curl", "7.2-1"),
    ]

    @Test("only what the list names is installed, rejected or not, newest matching title")
    func overrideList() {
        let b = ruleBaseline(.amazonLinux2, [securityRule], rejected: ["glibc"])
        let e = evaluate(
            b, installed: installed, available: available,
            override: [
                InstallOverride(id: "bind*.x86_64", title: "32:9.8.2-0.62.rc1.58.amzn1"),
                InstallOverride(id: "glibc*"),
            ])
        #expect(decision(e, "bind")?.targetVersion == "32:9.8.2-0.62.rc1.58.amzn1")
        #expect(decision(e, "glibc")?.targetVersion == "2.17-2")
        #expect(decision(e, "curl")?.state == .installedOther)
        #expect(e.toInstall.count == 2)
        #expect(decision(e, "bind")?.trace.first?.stage == .installOverrideList)
    }

    @Test("install results: installed, pending reboot, failed")
    func installResults() {
        let b = ruleBaseline(
            .amazonLinux2023, [PatchRule(filters: [], approval: .afterDays(0), enableNonSecurity: true)])
        let e = evaluate(b, installed: installed, available: available)
        #expect(e.toInstall.count == 3)
        let done = ApprovalEngine.applyInstallResult(
            e, installed: [PackageKey(name: "bind", arch: "x86_64"), PackageKey(name: "glibc", arch: "x86_64")],
            failed: [PackageKey(name: "curl", arch: "x86_64")], rebootPending: true, at: now)
        #expect(decision(done, "bind")?.state == .installedPendingReboot)
        #expect(decision(done, "bind")?.installedVersion == "32:9.8.2-0.62.rc1.59.amzn1")
        #expect(decision(done, "curl")?.state == .failed)
        #expect(done.summary.failed == 1 && done.summary.installedPendingReboot == 2)
        let rebooted = ApprovalEngine.applyInstallResult(
            e, installed: [PackageKey(name: "bind", arch: "x86_64")], failed: [], rebootPending: false, at: now)
        #expect(decision(rebooted, "bind")?.state == .installed)
        // Asked for but not delivered: Failed, never silently Installed.
        #expect(decision(rebooted, "glibc")?.state == .failed)
    }

    @Test("explaining does not change a single decision")
    func explainIsNeutral() {
        let b = PredefinedBaselines.baseline(for: .amazonLinux2)
        let plain = evaluate(b, installed: installed, available: available, explain: false)
        let explained = evaluate(b, installed: installed, available: available, explain: true)
        #expect(plain.decisions.map(\.state) == explained.decisions.map(\.state))
        #expect(plain.decisions.map(\.targetVersion) == explained.decisions.map(\.targetVersion))
        #expect(plain.decisions.allSatisfy { $0.trace.isEmpty })
        #expect(explained.decisions.allSatisfy { !$0.trace.isEmpty })
    }
}
