public import PackageManagers
public import PatchCore

/// A Scan of a Debian-family root: read it natively, evaluate the baseline, report. Changes nothing.
public enum AptScan {
    public struct Options: Sendable {
        public var root: String
        /// nil: the predefined default of the root's OS.
        public var baseline: PatchBaseline?
        public var operationTime: UTCInstant
        public var explain: Bool
        public var pendingReboot: Set<PackageKey>
        /// Only these package names (for explain): the rest of the repository is not judged.
        public var onlyNames: Set<String>?
        /// Install only: exactly these are chosen and the baseline's stages are skipped.
        public var installOverrideList: [InstallOverride]?
        /// Keep a decision for every NotApplicable package (else only their count: an EnableNonSecurity baseline
        /// makes the whole archive NotApplicable).
        public var includeNotApplicable = false

        public init(
            root: String, baseline: PatchBaseline? = nil, operationTime: UTCInstant, explain: Bool = false,
            pendingReboot: Set<PackageKey> = [], onlyNames: Set<String>? = nil,
            installOverrideList: [InstallOverride]? = nil
        ) {
            self.installOverrideList = installOverrideList
            self.root = root
            self.baseline = baseline
            self.operationTime = operationTime
            self.explain = explain
            self.pendingReboot = pendingReboot
            self.onlyNames = onlyNames
        }
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
        /// Set when the run ended at a safe point because a stop was requested (cancel or deadline).
        public var stopped: StopRequest.Stopped?

        public init(description: String, stopped: StopRequest.Stopped? = nil) {
            self.description = description
            self.stopped = stopped
        }

        init(_ stopped: StopRequest.Stopped) {
            self.init(description: stopped.description, stopped: stopped)
        }
    }

    /// What a scan read and decided, for the install workflow to act on.
    public struct Outcome: Sendable {
        public var inventory: AptInventory
        public var report: PatchReport
    }

    /// Reads the root and evaluates. Versions of packages that are not installed are judged as the indexes stream
    /// by, so memory follows what is installed, not the size of the archive. `clock` gives the end time (PatchAgent
    /// keeps no clock of its own either).
    public static func run(_ options: Options, clock: () -> UTCInstant) throws(Failure) -> Outcome {
        var chosen: PatchBaseline?
        var collector: NotInstalledCollector?
        let inventory: AptInventory
        do {
            inventory = try AptInventoryReader.read(root: options.root) { os, product in
                let baseline = options.baseline ?? PredefinedBaselines.baseline(for: os)
                chosen = baseline
                let c = NotInstalledCollector(
                    baseline: baseline, product: product, operationTime: options.operationTime,
                    keepDecisions: options.includeNotApplicable)
                collector = c
                // Explaining a few names: keep every version in the inventory, so not-installed ones get a trace.
                return options.onlyNames == nil ? c : nil
            }
        } catch {
            throw Failure(description: error.description)
        }
        guard let baseline = chosen, let collector else {
            throw Failure(description: "\(options.root): not read")
        }
        guard baseline.operatingSystem == inventory.operatingSystem else {
            throw Failure(
                description: "the baseline is for \(baseline.operatingSystem.rawValue); this system runs "
                    + "\(inventory.operatingSystem.rawValue)")
        }
        var installed = inventory.installed
        var available = inventory.available
        if let only = options.onlyNames {
            installed = installed.filter { only.contains($0.name) }
            available = available.filter { only.contains($0.name) }
        }
        var evaluation = ApprovalEngine.evaluate(
            EvaluationRequest(
                baseline: baseline, product: inventory.product, installed: installed, available: available,
                operationTime: options.operationTime, installOverrideList: options.installOverrideList,
                pendingReboot: options.pendingReboot,
                explain: options.explain, includeNotInstalled: options.onlyNames != nil))
        if options.onlyNames == nil && options.installOverrideList == nil {
            evaluation = collector.merge(into: evaluation)
        }
        let reboot = RebootRequired.read(root: options.root)
        let report = PatchReport(
            operation: .scan, operatingSystem: inventory.operatingSystem, product: inventory.product,
            baseline: baseline, operationStartTime: options.operationTime, operationEndTime: clock(),
            evaluation: evaluation, rebootRequired: reboot.required, rebootRequiredBy: reboot.packages,
            warnings: inventory.warnings + evaluation.notes)
        return Outcome(inventory: inventory, report: report)
    }
}
