public import PatchAgent
public import PatchCore

/// A scheduled operation of the local schedule (nodes that run without a control plane).
public struct ScheduleEntry: Sendable, Equatable {
    public var cron: CronExpression
    public var operation: PatchReport.Operation
    public var rebootOption: PatchReport.RebootOption

    public init(cron: CronExpression, operation: PatchReport.Operation, rebootOption: PatchReport.RebootOption) {
        self.cron = cron
        self.operation = operation
        self.rebootOption = rebootOption
    }
}

/// Starts the scheduled operations on time: sleeps until the next one is due (no other wake-ups), starts it, and
/// when an operation is still running at that time, skips it and says so. Clock, sleep and start are injected.
public struct Scheduler: Sendable {
    public let entries: [ScheduleEntry]
    let clock: @Sendable () -> UTCInstant
    let sleep: @Sendable (Duration) async -> Void
    let start: @Sendable (OperationRequest) async -> OperationRunner.StartResult
    let log: @Sendable (String) -> Void

    public init(
        entries: [ScheduleEntry], clock: @escaping @Sendable () -> UTCInstant,
        sleep: @escaping @Sendable (Duration) async -> Void,
        start: @escaping @Sendable (OperationRequest) async -> OperationRunner.StartResult,
        log: @escaping @Sendable (String) -> Void
    ) {
        self.entries = entries
        self.clock = clock
        self.sleep = sleep
        self.start = start
        self.log = log
    }

    /// The entries due next and when.
    func nextDue(after now: UTCInstant) -> (UTCInstant, [ScheduleEntry])? {
        var best: UTCInstant?
        var due: [ScheduleEntry] = []
        for e in entries {
            guard let t = e.cron.next(after: now) else { continue }
            if best == nil || t < best! {
                best = t
                due = [e]
            } else if t == best {
                due.append(e)
            }
        }
        return best.map { ($0, due) }
    }

    /// Runs until cancelled; `limit` bounds the number of firings (tests).
    public func run(limit: Int = .max) async {
        var fired = 0
        var now = clock()
        while fired < limit, !Task.isCancelled, let (when, due) = nextDue(after: now) {
            let wait = when.secondsSinceEpoch - clock().secondsSinceEpoch
            if wait > 0 { await sleep(.seconds(wait)) }
            if Task.isCancelled { return }
            // Install before Scan when both are due: the Scan then sees the result.
            for entry in due.sorted(by: { a, _ in a.operation == .install }) {
                switch await start(OperationRequest(operation: entry.operation, rebootOption: entry.rebootOption)) {
                case .started(let id): log("schedule \(entry.cron): \(entry.operation.rawValue) \(id) started")
                case .conflict(let id):
                    log("schedule \(entry.cron): \(entry.operation.rawValue) skipped, \(id) is still running")
                case .invalid(let message): log("schedule \(entry.cron): \(message)")
                }
            }
            fired += 1
            now = when
        }
    }
}
