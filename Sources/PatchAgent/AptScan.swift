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

        public init(
            root: String, baseline: PatchBaseline? = nil, operationTime: UTCInstant, explain: Bool = false,
            pendingReboot: Set<PackageKey> = []
        ) {
            self.root = root
            self.baseline = baseline
            self.operationTime = operationTime
            self.explain = explain
            self.pendingReboot = pendingReboot
        }
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads the root and evaluates; `finished` gives the end time (PatchAgent keeps no clock of its own either).
    public static func run(_ options: Options, inventory: AptInventory, finished: () -> UTCInstant) throws(Failure)
        -> PatchReport
    {
        let baseline = options.baseline ?? PredefinedBaselines.baseline(for: inventory.operatingSystem)
        guard baseline.operatingSystem.family == .apt else {
            throw Failure(
                description: "the baseline is for \(baseline.operatingSystem.rawValue); this root runs "
                    + "\(inventory.operatingSystem.rawValue)")
        }
        let evaluation = ApprovalEngine.evaluate(
            EvaluationRequest(
                baseline: baseline, product: inventory.product, installed: inventory.installed,
                available: inventory.available, operationTime: options.operationTime,
                pendingReboot: options.pendingReboot, explain: options.explain))
        let reboot = RebootRequired.read(root: options.root)
        return PatchReport(
            operation: .scan, operatingSystem: inventory.operatingSystem, product: inventory.product,
            baseline: baseline, operationStartTime: options.operationTime, operationEndTime: finished(),
            evaluation: evaluation, rebootRequired: reboot.required, rebootRequiredBy: reboot.packages,
            warnings: inventory.warnings + evaluation.notes)
    }
}
