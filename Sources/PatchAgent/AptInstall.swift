public import PackageManagers
public import PatchCore
import Synchronization

/// An Install on a Debian-family root, in Patch Manager's order: repair an interrupted dpkg, refresh the lists,
/// (Debian 8) the jessie-backports workaround, python3-apt first, then exactly the chosen versions — after a
/// simulation shows the transaction removes nothing, pulls nothing rejected under BLOCK, and, in a security-only
/// run, nothing from a non-security origin.
public enum AptInstall {
    public struct Options: Sendable {
        public var root: String
        public var baseline: PatchBaseline?
        public var installOverrideList: [InstallOverride]?
        /// Where the override list came from (file or URL), for the report.
        public var installOverrideListSource: String?
        public var rebootOption: PatchReport.RebootOption
        public var operationTime: UTCInstant
        /// Run `apt-get update` first (a Scan reads the lists as they are; an Install refreshes them).
        public var update: Bool
        public var lockWait: Duration
        public var updateTimeout: Duration
        public var simulateTimeout: Duration
        public var installTimeout: Duration
        /// Extra environment for apt and dpkg (APT_CONFIG, proxies).
        public var extraEnvironment: [String: String]
        /// A cancel or deadline, honoured before each step that changes nothing yet; never during the package
        /// transaction.
        public var stop: StopRequest?

        public init(
            root: String, baseline: PatchBaseline? = nil, installOverrideList: [InstallOverride]? = nil,
            installOverrideListSource: String? = nil, rebootOption: PatchReport.RebootOption = .rebootIfNeeded,
            operationTime: UTCInstant, update: Bool = true, lockWait: Duration = .seconds(120),
            updateTimeout: Duration = .seconds(600), simulateTimeout: Duration = .seconds(300),
            installTimeout: Duration = .seconds(3600), extraEnvironment: [String: String] = [:],
            stop: StopRequest? = nil
        ) {
            self.root = root
            self.baseline = baseline
            self.installOverrideList = installOverrideList
            self.installOverrideListSource = installOverrideListSource
            self.rebootOption = rebootOption
            self.operationTime = operationTime
            self.update = update
            self.lockWait = lockWait
            self.updateTimeout = updateTimeout
            self.simulateTimeout = simulateTimeout
            self.installTimeout = installTimeout
            self.extraEnvironment = extraEnvironment
            self.stop = stop
        }

        /// Throws at a safe point when a stop was requested.
        func checkStop(before step: String) throws(AptScan.Failure) {
            do {
                try stop?.check(before: step)
            } catch {
                throw AptScan.Failure(error)
            }
        }
    }

    /// Progress for people (a CLI prints it, the daemon logs it).
    public typealias Log = @Sendable (String) -> Void

    public static func run(
        _ options: Options, runner: any CommandRunning, clock: @Sendable () -> UTCInstant, sleep: Sleeper = .real,
        log: @escaping Log = { _ in }
    ) async throws(AptScan.Failure) -> PatchReport {
        let commands = AptCommands(
            root: options.root, lockTimeoutSeconds: Int(options.lockWait.components.seconds),
            extraEnvironment: options.extraEnvironment)
        var warnings: [String] = []

        // A workaround an earlier run could not undo (it died) is undone before anything else.
        if let restored = try Debian8Workaround.recover(root: options.root) {
            warnings.append(restored)
            log(restored)
        }

        try options.checkStop(before: "waiting for the dpkg lock")
        try await waitForLock(
            root: options.root, wait: options.lockWait, sleep: sleep, log: log,
            stop: { () throws(AptScan.Failure) in
                try options.checkStop(before: "the dpkg lock was free")
            })

        // An interrupted dpkg is finished first: apt refuses to work on it, and packages are half-configured.
        let (os, osRelease) = try detect(options.root)
        if let status = try? AptInventoryReader.read(root: options.root).status, !status.interrupted.isEmpty {
            let names = status.interrupted.joined(separator: ", ")
            try options.checkStop(before: "dpkg --configure -a")
            log("repairing an interrupted dpkg run (\(names)): dpkg --configure -a")
            let outcome = try await execute(commands.configurePending(timeout: options.installTimeout), runner)
            guard outcome.succeeded else {
                throw AptScan.Failure(
                    description: "dpkg --configure -a failed (\(outcome.summary)); the package database needs "
                        + "repair by hand: \(outcome.tail())")
            }
            warnings.append("repaired an interrupted dpkg run (\(names)) with dpkg --configure -a")
        }

        var workaround: Debian8Workaround?
        if osRelease.versionID == "8" && os == .debian {
            workaround = try Debian8Workaround.apply(root: options.root)
            log("Debian 8: jessie-backports disabled for this run; it is restored afterwards")
        }
        do {
            let report = try await install(
                options, commands: commands, runner: runner, clock: clock, log: log, warnings: warnings)
            if let workaround { try await finish(workaround, commands: commands, runner: runner, log: log) }
            return report
        } catch {
            if let workaround { try? await finish(workaround, commands: commands, runner: runner, log: log) }
            throw error
        }
    }

    /// Waits (bounded) for the dpkg lock to be free, then says clearly who held it if it never was.
    static func waitForLock(
        root: String, wait: Duration, sleep: Sleeper, log: Log,
        stop: () throws(AptScan.Failure) -> Void = { () throws(AptScan.Failure) in }
    ) async throws(AptScan.Failure) {
        var waited = Duration.zero
        var announced = false
        while let pid = DpkgLock.holder(root: root) {
            try stop()
            if waited >= wait {
                let who = DpkgLock.commandLine(of: pid).map { "process \(pid) (\($0))" } ?? "process \(pid)"
                throw AptScan.Failure(
                    description: "the dpkg lock under \(root) is held by \(who); waited \(wait.components.seconds) s. "
                        + "Let it finish, then run the install again")
            }
            if !announced {
                log("waiting for the dpkg lock (held by process \(pid))")
                announced = true
            }
            await sleep.sleep(.milliseconds(500))
            waited += .milliseconds(500)
        }
    }

    static func detect(_ root: String) throws(AptScan.Failure) -> (OperatingSystem, OSRelease) {
        do {
            return try AptInventoryReader.detect(root: root)
        } catch {
            throw AptScan.Failure(description: error.description)
        }
    }

    static func execute(
        _ spec: CommandSpec, _ runner: any CommandRunning, onLine: (@Sendable (Int, String) -> Void)? = nil
    )
        async throws(AptScan.Failure) -> CommandOutcome
    {
        do {
            return try await runner.run(spec, onLine: onLine)
        } catch {
            throw AptScan.Failure(description: error.description)
        }
    }

    static func finish(
        _ workaround: Debian8Workaround, commands: AptCommands, runner: any CommandRunning, log: Log
    ) async throws(AptScan.Failure) {
        try workaround.restore()
        log("Debian 8: jessie-backports restored")
        _ = try? await runner.run(commands.update(timeout: .seconds(600)))
    }

    /// Whether the run approves security updates only (then nothing may come from another origin).
    static func securityOnly(_ baseline: PatchBaseline, override: [InstallOverride]?) -> Bool {
        guard override == nil else { return false }
        if baseline.approvalRules.contains(where: \.enableNonSecurity) { return false }
        return !(baseline.approvedPatchesEnableNonSecurity && !baseline.approvedPatches.isEmpty)
    }

    static func isSecurityOrigin(label: String, suite: String, os: OperatingSystem, codename: String?) -> Bool {
        switch os {
        case .ubuntu: return codename.map { suite == "\($0)-security" } ?? suite.hasSuffix("-security")
        default: return label == "Debian-Security" || suite.hasSuffix("-security")
        }
    }

    /// What would make the transaction unacceptable, per package it touches.
    static func violations(
        _ actions: [AptSimulatedAction], baseline: PatchBaseline, securityOnly: Bool, os: OperatingSystem,
        codename: String?
    ) -> [String] {
        let rejected = PatchList(baseline, .rejected)
        var problems: [String] = []
        for a in actions {
            switch a.kind {
            case .remove, .purge:
                problems.append("would remove \(a.name) \(a.oldVersion ?? "")")
            case .install:
                let version = a.newVersion ?? ""
                if baseline.rejectedPatchesAction == .block,
                    rejected.contains(name: a.name, arch: a.arch ?? "", version: version)
                {
                    problems.append("would install \(a.name) \(version), which RejectedPatches blocks")
                }
                if securityOnly
                    && !a.origins.contains(where: {
                        isSecurityOrigin(label: $0.label, suite: $0.suite, os: os, codename: codename)
                    })
                {
                    let from = a.origins.map { "\($0.label)/\($0.suite)" }.joined(separator: ", ")
                    problems.append(
                        "would pull \(a.name) \(version) from \(from.isEmpty ? "an unknown origin" : from), "
                            + "not a security origin, in a security-only run")
                }
            case .configure:
                break
            }
        }
        return problems
    }

    static func simulate(
        _ targets: [String], commands: AptCommands, runner: any CommandRunning, timeout: Duration
    ) async throws(AptScan.Failure) -> (actions: [AptSimulatedAction], error: String?) {
        let outcome = try await execute(commands.simulateInstall(targets, timeout: timeout), runner)
        let actions = outcome.stdout.split(separator: "\n").compactMap { AptSimulatedAction(line: String($0)) }
        return (actions, outcome.succeeded ? nil : "apt-get -s failed (\(outcome.summary)): \(outcome.tail(3))")
    }

    static func install(
        _ options: Options, commands: AptCommands, runner: any CommandRunning, clock: @Sendable () -> UTCInstant,
        log: @escaping Log, warnings initialWarnings: [String]
    ) async throws(AptScan.Failure) -> PatchReport {
        var warnings = initialWarnings
        if options.update {
            try options.checkStop(before: "apt-get update")
            log("apt-get update")
            let outcome = try await execute(commands.update(timeout: options.updateTimeout), runner)
            if !outcome.succeeded {
                // Stale lists still name real versions; apt fails per package if one is gone.
                warnings.append("apt-get update failed (\(outcome.summary)): \(outcome.tail(3))")
                log("apt-get update failed; using the lists as they are")
            }
        }

        var scanOptions = AptScan.Options(
            root: options.root, baseline: options.baseline, operationTime: options.operationTime)
        scanOptions.installOverrideList = options.installOverrideList
        let scan = try AptScan.run(scanOptions, clock: clock)
        let inventory = scan.inventory
        let baseline = scan.report.baseline
        let os = inventory.operatingSystem
        let codename = inventory.osRelease.versionCodename
        warnings += scan.report.warnings

        // python3-apt first, to its newest version from any origin (Patch Manager's order).
        try options.checkStop(before: "the install")
        if let python = inventory.installed.first(where: { $0.name == "python3-apt" }) {
            try await upgradePythonApt(
                python, inventory: inventory, commands: commands, runner: runner, options: options, log: log,
                warnings: &warnings)
        }

        var evaluation = scan.report.evaluation
        var failed: [PackageKey: String] = [:]
        var targets: [(key: PackageKey, argument: String)] = []
        for d in evaluation.toInstall {
            guard let version = d.targetVersion else { continue }
            if inventory.status.held.contains(d.key) {
                warnings.append("\(d.id) is held (apt-mark hold): \(version) not installed")
                continue
            }
            guard let argument = AptCommands.target(name: d.key.name, arch: d.key.arch, version: version) else {
                failed[d.key] = "refused: name, architecture or version has characters Debian does not allow"
                continue
            }
            targets.append((d.key, argument))
        }

        let onlySecurity = securityOnly(baseline, override: options.installOverrideList)
        // Simulate the whole set; if it is not acceptable, find the packages that make it so, one by one.
        var accepted = targets
        if !accepted.isEmpty {
            try options.checkStop(before: "the simulation")
            let whole = try await simulate(
                accepted.map(\.argument), commands: commands, runner: runner, timeout: options.simulateTimeout)
            let problems = violations(
                whole.actions, baseline: baseline, securityOnly: onlySecurity, os: os, codename: codename)
            if whole.error != nil || !problems.isEmpty {
                log("the transaction as a whole is not acceptable; checking each package")
                var kept: [(key: PackageKey, argument: String)] = []
                for t in accepted {
                    try options.checkStop(before: "the simulation of \(t.argument)")
                    let one = try await simulate(
                        [t.argument], commands: commands, runner: runner, timeout: options.simulateTimeout)
                    let p = violations(
                        one.actions, baseline: baseline, securityOnly: onlySecurity, os: os, codename: codename)
                    if let error = one.error {
                        failed[t.key] = error
                    } else if !p.isEmpty {
                        failed[t.key] = "refused: " + p.joined(separator: "; ")
                    } else {
                        kept.append(t)
                    }
                }
                accepted = kept
            }
        }

        var installed: Set<PackageKey> = []
        if !accepted.isEmpty {
            // The last safe point: once the transaction starts, it runs to its end whatever is asked meanwhile.
            try options.checkStop(before: "the package transaction")
            log("installing \(accepted.count) package(s)")
            let errors = ErrorLines()
            let outcome = try await execute(
                commands.install(accepted.map(\.argument), timeout: options.installTimeout), runner
            ) { stream, line in
                guard stream == 1, let status = AptStatusLine(line: line) else { return }
                switch status {
                case .progress(let package, let percent, let message):
                    log("[\(Int(percent))%] \(message) (\(package))")
                case .error(let package, let message):
                    errors.add(package, message)
                    log("error: \(package): \(message)")
                case .conffile(let file):
                    log("kept the local version of \(file)")
                case .download:
                    break
                }
            }
            // What dpkg now says is the truth, whatever apt's exit status.
            let after = (try? AptInventoryReader.read(root: options.root).status) ?? inventory.status
            let now = Dictionary(after.installed.map { ($0.key, $0.version) }, uniquingKeysWith: { a, _ in a })
            for t in accepted {
                let wanted = evaluation.decisions.first { $0.key == t.key }?.targetVersion
                if let wanted, now[t.key] == wanted {
                    installed.insert(t.key)
                } else {
                    failed[t.key] =
                        errors.message(for: t.key.name)
                        ?? (outcome.succeeded
                            ? "apt-get finished but \(t.key) is \(now[t.key] ?? "not installed")"
                            : "apt-get install failed (\(outcome.summary)): \(outcome.tail(3))")
                }
            }
            if !outcome.succeeded { warnings.append("apt-get install: \(outcome.summary): \(outcome.tail(3))") }
        }

        let reboot = RebootRequired.read(root: options.root)
        evaluation = ApprovalEngine.applyInstallResult(
            evaluation, installed: installed, failed: Set(failed.keys), rebootPending: reboot.required,
            at: clock(),
            availableSecurityUpdatesNonCompliant: baseline.availableSecurityUpdatesComplianceStatus == .nonCompliant)
        // Held packages stay Missing: they were not asked for.
        for i in evaluation.decisions.indices where inventory.status.held.contains(evaluation.decisions[i].key) {
            if evaluation.decisions[i].state == .failed { evaluation.decisions[i].state = .missing }
        }
        evaluation.summary = PatchSummaryCounts(
            evaluation.decisions,
            availableSecurityUpdatesNonCompliant: baseline.availableSecurityUpdatesComplianceStatus == .nonCompliant)
        for (key, message) in failed.sorted(by: { $0.key < $1.key }) { warnings.append("\(key): \(message)") }

        let end = clock()
        return PatchReport(
            operation: .install, operatingSystem: os, product: inventory.product, baseline: baseline,
            installOverrideList: options.installOverrideListSource, rebootOption: options.rebootOption,
            operationStartTime: options.operationTime, operationEndTime: end,
            lastNoRebootInstallOperationTime: options.rebootOption == .noReboot && !installed.isEmpty ? end : nil,
            evaluation: evaluation, rebootRequired: reboot.required, rebootRequiredBy: reboot.packages,
            warnings: warnings)
    }

    static func upgradePythonApt(
        _ python: InstalledPackage, inventory: AptInventory, commands: AptCommands, runner: any CommandRunning,
        options: Options, log: Log, warnings: inout [String]
    ) async throws(AptScan.Failure) {
        let scheme = VersionScheme.deb
        var newest: String?
        for p in inventory.available where p.name == "python3-apt" && (p.arch == python.arch || p.arch == "all") {
            guard (try? compareVersions(p.version, python.version, scheme: scheme)) == 1 else { continue }
            if let n = newest, (try? compareVersions(p.version, n, scheme: scheme)) != 1 { continue }
            newest = p.version
        }
        guard let newest, let argument = AptCommands.target(name: "python3-apt", arch: python.arch, version: newest)
        else { return }
        log("upgrading python3-apt to \(newest) first")
        let outcome = try await execute(commands.install([argument], timeout: options.installTimeout), runner)
        if !outcome.succeeded {
            warnings.append("python3-apt \(newest) could not be installed first: \(outcome.tail(3))")
        }
    }

    /// Error lines apt reports per package during an install (collected from the output callback, which runs
    /// on another task).
    final class ErrorLines: Sendable {
        private let lines = Mutex<[String: [String]]>([:])

        func add(_ package: String, _ message: String) {
            let name = package.split(separator: ":").first.map(String.init) ?? package
            lines.withLock { $0[name, default: []].append(message) }
        }

        func message(for name: String) -> String? { lines.withLock { $0[name]?.joined(separator: "; ") } }
    }
}

/// How the workflow waits (injected so tests of long waits need not take long).
public struct Sleeper: Sendable {
    public var sleep: @Sendable (Duration) async -> Void

    public init(sleep: @escaping @Sendable (Duration) async -> Void) { self.sleep = sleep }

    public static let real = Sleeper { try? await Task.sleep(for: $0) }
}
