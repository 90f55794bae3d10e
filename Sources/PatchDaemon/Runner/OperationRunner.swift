import Foundation
import Logging
public import PackageManagers
public import PatchAgent
public import PatchCore
public import PatchStore
import Synchronization

/// What a client asks for (`POST /v1/operations`), as AWS-RunPatchBaseline's parameters.
public struct OperationRequest: Sendable, Equatable {
    public var operation: PatchReport.Operation
    public var rebootOption: PatchReport.RebootOption
    public var snapshotId: String?
    /// A local file or an https URL (YAML).
    public var installOverrideList: String?
    /// A local file or an https URL holding a BaselineOverride JSON array.
    public var baselineOverride: String?

    public init(
        operation: PatchReport.Operation, rebootOption: PatchReport.RebootOption = .rebootIfNeeded,
        snapshotId: String? = nil, installOverrideList: String? = nil, baselineOverride: String? = nil
    ) {
        self.operation = operation
        self.rebootOption = rebootOption
        self.snapshotId = snapshotId
        self.installOverrideList = installOverrideList
        self.baselineOverride = baselineOverride
    }

    /// Decodes the request body; each problem names the field.
    public static func decode(_ bytes: [UInt8]) -> Result<OperationRequest, RequestProblem> {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes: bytes)
        } catch {
            return .failure(RequestProblem("body: line \(error.line), column \(error.column): \(error.message)"))
        }
        guard case .object(let members) = json else { return .failure(RequestProblem("body: expected a JSON object")) }
        let known: Set<String> = ["operation", "rebootOption", "snapshotId", "installOverrideList", "baselineOverride"]
        if let unknown = members.first(where: { !known.contains($0.key) }) {
            return .failure(RequestProblem("\(unknown.key): unknown field"))
        }
        guard let opText = json["operation"]?.stringValue, let op = PatchReport.Operation(rawValue: opText) else {
            return .failure(RequestProblem("operation: must be \"Scan\" or \"Install\""))
        }
        var request = OperationRequest(operation: op)
        if let r = json["rebootOption"] {
            guard let text = r.stringValue, let option = PatchReport.RebootOption(rawValue: text) else {
                return .failure(RequestProblem("rebootOption: must be \"RebootIfNeeded\" or \"NoReboot\""))
            }
            request.rebootOption = option
        }
        for (key, assign) in [
            ("snapshotId", { (v: String) in request.snapshotId = v }),
            ("installOverrideList", { (v: String) in request.installOverrideList = v }),
            ("baselineOverride", { (v: String) in request.baselineOverride = v }),
        ] as [(String, (String) -> Void)] {
            guard let v = json[key] else { continue }
            if case .null = v { continue }
            guard let s = v.stringValue, !s.isEmpty, s.utf8.count <= 4096 else {
                return .failure(RequestProblem("\(key): must be a non-empty string"))
            }
            assign(s)
        }
        if let snapshot = request.snapshotId, UUID(uuidString: snapshot) == nil {
            return .failure(RequestProblem("snapshotId: \"\(snapshot)\" is not a GUID"))
        }
        if request.installOverrideList != nil && request.baselineOverride != nil {
            return .failure(RequestProblem("installOverrideList and baselineOverride cannot be combined"))
        }
        return .success(request)
    }

    public var json: JSONValue {
        func s(_ v: String?) -> JSONValue { v.map(JSONValue.string) ?? .null }
        return .object([
            ("operation", .string(operation.rawValue)), ("rebootOption", .string(rebootOption.rawValue)),
            ("snapshotId", s(snapshotId)), ("installOverrideList", s(installOverrideList)),
            ("baselineOverride", s(baselineOverride)),
        ])
    }
}

public struct RequestProblem: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// Set when the operation ended early, at a safe point, because it was cancelled or ran out of time.
    public var stopped: StopRequest.Stopped?
    public init(_ description: String) { self.description = description }
    init(_ stopped: StopRequest.Stopped) {
        description = stopped.description
        self.stopped = stopped
    }
}

/// Runs one operation at a time, records everything durably, and finishes operations a reboot interrupted.
public actor OperationRunner {
    public enum StartResult: Sendable {
        case started(String)
        case conflict(String)
        case invalid(String)
    }

    public enum CancelResult: Sendable, Equatable {
        /// The running operation stops at its next safe point.
        case cancelling
        /// The operation was waiting for a reboot: it is Cancelled now, and no reboot follows.
        case cancelled
        /// It already ended, with this status.
        case ended(String)
        case notFound
    }

    let store: PatchStore
    let configuration: DaemonConfiguration
    let runner: any CommandRunning
    let clock: @Sendable () -> UTCInstant
    /// Progress lines of the running operation (the last ones), for status and the events stream.
    private var progress: [String] = []
    private var progressBase = 0
    private var current: (id: String, phase: String)?
    private var task: Task<Void, Never>?
    private var stop: StopRequest?
    private var deadline: Task<Void, Never>?
    /// Waits, after a reboot command, for the node to go down; past `reboot_wait_seconds` it asks again or fails.
    private var rebootWatch: Task<Void, Never>?
    private var rebootHook: @Sendable () async -> Void
    let logger = Logger(label: "patchd.operation")
    /// Where results go when there is a control plane: this node's id, and the sender woken for each new report.
    private var upstream: (instanceId: String, reporter: UpstreamReporter)?

    /// The node id results are reported as, and the sender's last error, when there is a control plane.
    public var upstreamState: (instanceId: String, lastError: String?)? {
        get async {
            guard let upstream else { return nil }
            return (upstream.instanceId, await upstream.reporter.lastError)
        }
    }

    /// Reports every later operation's result upstream, as node `instanceId`.
    public func setUpstream(instanceId: String, reporter: UpstreamReporter) {
        upstream = (instanceId, reporter)
    }

    /// Writes the report to the outbox (durably, before any attempt to send it) and wakes the sender.
    private func queueReport(_ report: PatchReport, id: String) {
        guard let upstream else { return }
        let input = InventoryReport.putInventoryInput(report, instanceId: upstream.instanceId, executionId: id)
        do {
            try store.enqueue(kind: "PutInventory", payload: JSONWriter.write(input, pretty: false), dedupKey: id)
            upstream.reporter.reportQueued()
        } catch {
            log(.error, "the report could not be queued for the control plane: \(error)", id: id)
        }
    }

    public init(
        store: PatchStore, configuration: DaemonConfiguration, runner: any CommandRunning = SystemCommandRunner(),
        clock: @escaping @Sendable () -> UTCInstant
    ) {
        self.store = store
        self.configuration = configuration
        self.runner = runner
        self.clock = clock
        let command = configuration.rebootCommand
        self.rebootHook = {
            _ = try? await SystemCommandRunner().run(
                CommandSpec(command[0], Array(command.dropFirst()), timeout: .seconds(120)))
        }
    }

    /// The boot this process runs in.
    nonisolated func bootId() -> String {
        let text = (try? String(contentsOfFile: configuration.bootIdPath, encoding: .utf8)) ?? "unknown"
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public var currentOperation: (id: String, phase: String, progress: [String])? {
        current.map { ($0.id, $0.phase, Array(progress.suffix(5))) }
    }

    public var isBusy: Bool { task != nil }

    /// Progress lines from `index` on (absolute numbering), and whether the operation is still running.
    public func progressLines(of id: String, from index: Int) -> (lines: [String], next: Int, running: Bool) {
        guard current?.id == id else { return ([], index, false) }
        let start = max(index, progressBase)
        let lines = start - progressBase < progress.count ? Array(progress[(start - progressBase)...]) : []
        return (lines, progressBase + progress.count, true)
    }

    private func note(_ line: String) {
        progress.append(line)
        if progress.count > 500 {
            progress.removeFirst(100)
            progressBase += 100
        }
        if let id = current?.id {
            _ = try? store.update(id: id) { $0.progress = line }
        }
    }

    private func setPhase(_ phase: String) {
        guard let id = current?.id else { return }
        current = (id, phase)
        _ = try? store.update(id: id) { $0.phase = phase }
    }

    /// Starts an operation unless one is active (then its id, for a 409).
    public func start(_ request: OperationRequest) -> StartResult {
        let id = UUID().uuidString.lowercased()
        let now = clock()
        let record = OperationRecord(
            id: id, kind: request.operation.rawValue, status: .pending,
            requestJSON: JSONWriter.write(request.json, pretty: false),
            snapshotId: request.snapshotId ?? UUID().uuidString.lowercased(),
            rebootOption: request.rebootOption.rawValue,
            createdAt: now, startedAt: nil, endedAt: nil, bootId: bootId(), phase: nil, rebootAttempts: 0,
            progress: nil, error: nil, reportJSON: nil)
        do {
            if let active = try store.claimActive(record) { return .conflict(active.id) }
        } catch {
            return .invalid("state store: \(error)")
        }
        current = (id, "starting")
        progress = []
        progressBase = 0
        let stop = StopRequest()
        self.stop = stop
        let seconds =
            request.operation == .scan ? configuration.scanTimeoutSeconds : configuration.installTimeoutSeconds
        let setting = request.operation == .scan ? "scan_timeout_seconds" : "install_timeout_seconds"
        deadline = Task {
            try? await Task.sleep(for: .seconds(seconds))
            guard !Task.isCancelled else { return }
            stop.request(
                .timedOut, detail: "the \(request.operation.rawValue) ran longer than \(setting) (\(seconds) s)")
        }
        task = Task { await self.execute(id: id, request: request, stop: stop) }
        return .started(id)
    }

    /// Cancels the running operation (at its next safe point: a package transaction that has started runs to its
    /// end) or one waiting for a reboot (no reboot follows; its patches stay InstalledPendingReboot).
    public func cancel(id: String, by uid: UInt32) -> CancelResult {
        if current?.id == id, let stop {
            if stop.request(.cancelled, detail: "cancelled by uid \(uid)") {
                note("cancel requested by uid \(uid); stopping at the next safe point")
                log(.notice, "cancel requested by uid \(uid)", id: id)
            }
            return .cancelling
        }
        guard let op = (try? store.operation(id: id)) ?? nil else { return .notFound }
        guard op.status.isActive, op.phase == "awaiting-reboot" else { return .ended(op.status.rawValue) }
        rebootWatch?.cancel()
        rebootWatch = nil
        _ = try? store.update(id: id) {
            $0.status = .cancelled
            $0.phase = nil
            $0.endedAt = self.clock()
            $0.error =
                "the reboot was cancelled by uid \(uid); installed patches stay InstalledPendingReboot until the node "
                + "reboots and a Scan runs"
        }
        log(.notice, "reboot cancelled by uid \(uid)", id: id)
        return .cancelled
    }

    /// A journal entry about an operation, with OPERATION_ID (and the given fields) as structured fields.
    nonisolated func log(_ level: Logger.Level, _ message: String, id: String, _ fields: Logger.Metadata = [:]) {
        var metadata = fields
        metadata["operation_id"] = .string(id)
        logger.log(level: level, "\(message)", metadata: metadata)
    }

    /// Waits for the running operation (graceful stop never abandons an install half-way).
    public func waitUntilIdle() async {
        while let t = task { await t.value }
    }

    private func execute(id: String, request: OperationRequest, stop: StopRequest) async {
        let started = clock()
        _ = try? store.update(id: id) {
            $0.status = .inProgress
            $0.startedAt = started
        }
        note("\(request.operation.rawValue) started")
        log(
            .info, "\(request.operation.rawValue) started", id: id,
            ["operation": .string(request.operation.rawValue), "reboot_option": .string(request.rebootOption.rawValue)])
        var outcome: Result<PatchReport, RequestProblem>
        do {
            outcome = .success(try await perform(request, operationTime: started, id: id, stop: stop))
        } catch let problem as RequestProblem {
            outcome = .failure(problem)
        } catch let stopped as StopRequest.Stopped {
            outcome = .failure(RequestProblem(stopped))
        } catch let failure as AptScan.Failure {
            outcome = .failure(failure.stopped.map(RequestProblem.init) ?? RequestProblem(failure.description))
        } catch {
            outcome = .failure(RequestProblem("\(error)"))
        }
        deadline?.cancel()
        deadline = nil
        stop.release()
        self.stop = nil
        await finish(id: id, request: request, outcome: outcome, started: started)
        current = nil
        task = nil
    }

    /// Runs read-only `work` off the actor and returns its result — or throws ``StopRequest/Stopped`` as soon as a
    /// stop is requested, abandoning the work (it changes nothing; its result is dropped when it comes).
    static func untilStopped<T: Sendable>(
        _ stop: StopRequest, before step: String, _ work: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let first = FirstResult<T>()
        Task.detached { first.resolve(Result { try work() }) }
        Task {
            await stop.wait()
            if let (reason, detail) = stop.requested {
                first.resolve(.failure(StopRequest.Stopped(reason: reason, detail: detail, before: step)))
            }
        }
        return try await first.value()
    }

    private func loadBaseline(_ request: OperationRequest, os: OperatingSystem) async throws -> PatchBaseline? {
        guard let file = request.baselineOverride else { return nil }
        let data: [UInt8]
        do {
            data = try await DocumentSource.load(file, caFile: configuration.caFile)
        } catch {
            throw RequestProblem("baselineOverride: \(error)")
        }
        let result = BaselineReader.read(data)
        guard result.isValid, let document = result.document else {
            throw RequestProblem(
                "baselineOverride: " + result.errors.map { "\(file): \($0)" }.joined(separator: "; "))
        }
        guard let baseline = document.baseline(for: os), baseline.operatingSystem == os else {
            throw RequestProblem("baselineOverride: \(file) has no baseline for \(os.rawValue)")
        }
        return baseline
    }

    var hooks: Hooks {
        Hooks(
            directory: configuration.hooksDirectory, timeout: .seconds(configuration.hookTimeoutSeconds), runner: runner
        )
    }

    private func perform(
        _ request: OperationRequest, operationTime: UTCInstant, id: String, stop: StopRequest
    ) async throws -> PatchReport {
        let root = configuration.root
        let (os, _) = try AptInventoryReader.detect(root: root)
        let baseline = try await loadBaseline(request, os: os)
        let pending = (try? store.pendingReboot().keys) ?? []
        switch request.operation {
        case .scan:
            setPhase("scanning")
            let options = AptScan.Options(
                root: root, baseline: baseline, operationTime: operationTime, pendingReboot: pending)
            let clock = self.clock
            // The scan is CPU work: off the actor, so status requests are answered meanwhile; read-only, so a
            // cancel or the deadline ends the operation at once.
            return try await Self.untilStopped(stop, before: "the scan finished") {
                try AptScan.run(options, clock: clock).report
            }
        case .install:
            setPhase("installing")
            var overrides: [InstallOverride]?
            if let file = request.installOverrideList {
                let data: [UInt8]
                do {
                    data = try await DocumentSource.load(file, caFile: configuration.caFile)
                } catch {
                    throw RequestProblem("installOverrideList: \(error)")
                }
                overrides = try InstallOverrideListReader.parse(String(decoding: data, as: UTF8.self), source: file)
            }
            let noteLine: @Sendable (String) -> Void = { line in Task { await self.note(line) } }
            try stop.check(before: "the pre-install hooks")
            setPhase("pre-install hooks")
            if let failure = await hooks.run(
                .preInstall, operationId: id, operation: "Install", rebootOption: request.rebootOption.rawValue,
                note: noteLine)
            {
                // A failing pre-install hook stops the install: nothing was changed.
                throw RequestProblem(failure)
            }
            setPhase("installing")
            let options = AptInstall.Options(
                root: root, baseline: baseline, installOverrideList: overrides,
                installOverrideListSource: request.installOverrideList, rebootOption: request.rebootOption,
                operationTime: operationTime, update: configuration.updateBeforeInstall,
                lockWait: .seconds(configuration.lockWaitSeconds),
                installTimeout: .seconds(configuration.installTimeoutSeconds), stop: stop)
            var report = try await AptInstall.run(options, runner: runner, clock: clock) { line in
                Task { await self.note(line) }
            }
            setPhase("post-install hooks")
            if let failure = await hooks.run(
                .postInstall, operationId: id, operation: "Install", rebootOption: request.rebootOption.rawValue,
                note: noteLine)
            {
                report.warnings.append(failure)
                report.hookFailure = failure
            }
            return report
        }
    }

    private func finish(
        id: String, request: OperationRequest, outcome: Result<PatchReport, RequestProblem>, started: UTCInstant
    ) async {
        switch outcome {
        case .failure(let problem):
            if request.operation == .install {
                await runOnExit(id: id, rebootOption: request.rebootOption.rawValue)
            }
            let status: OperationStatus =
                switch problem.stopped?.reason {
                case .cancelled: .cancelled
                case .timedOut: .timedOut
                case nil: .failed
                }
            note("\(status.rawValue): \(problem)")
            log(
                status == .cancelled ? .notice : .error, "\(request.operation.rawValue) \(status.rawValue): \(problem)",
                id: id, ["operation": .string(request.operation.rawValue), "status": .string(status.rawValue)])
            _ = try? store.update(id: id) {
                $0.status = status
                $0.error = problem.description
                $0.endedAt = self.clock()
                $0.phase = nil
            }
        case .success(var report):
            report.snapshotId = (try? store.operation(id: id))??.snapshotId
            let json = JSONWriter.write(report.json(), pretty: false)
            let failed = report.summary.failed > 0 || report.hookFailure != nil
            // States and summary first: durable before any reboot; the report queued for the control plane too.
            try? store.replacePatchStates(operationId: id, Self.records(report, operationId: id))
            queueReport(report, id: id)
            try? store.setLastSummary(
                operationId: id, json: JSONWriter.write(report.json()["summary"] ?? .null, pretty: false))
            let installedNow = report.evaluation.decisions.filter { $0.state == .installedPendingReboot }.map(\.key)
            if request.operation == .install {
                if report.rebootRequired {
                    try? store.setPendingReboot(Set(installedNow), operationId: id, bootId: bootId())
                }
                if request.rebootOption == .noReboot, let t = report.lastNoRebootInstallOperationTime {
                    try? store.setLastNoRebootInstallTime(t)
                }
            }
            let mustReboot =
                request.operation == .install && request.rebootOption == .rebootIfNeeded
                && report.rebootRequired && configuration.root == "/"
            _ = try? store.update(id: id) {
                $0.reportJSON = json
                if mustReboot {
                    $0.phase = "awaiting-reboot"
                    $0.rebootAttempts += 1
                    $0.bootId = self.bootId()
                } else {
                    $0.status = failed ? .failed : .success
                    $0.endedAt = self.clock()
                    $0.phase = nil
                    if failed {
                        $0.error = report.hookFailure ?? "\(report.summary.failed) patch(es) failed"
                    }
                }
            }
            logPatches(report, id: id)
            let summary = report.summary
            log(
                failed ? .error : .info,
                "\(request.operation.rawValue) \(mustReboot ? "done, rebooting" : failed ? "Failed" : "Success"): "
                    + "\(summary.missing) missing, \(summary.failed) failed, \(summary.installedPendingReboot) pending reboot",
                id: id,
                [
                    "operation": .string(request.operation.rawValue),
                    "status": .string(mustReboot ? "InProgress" : failed ? "Failed" : "Success"),
                    "missing_count": .stringConvertible(summary.missing),
                    "failed_count": .stringConvertible(summary.failed),
                    "installed_pending_reboot_count": .stringConvertible(summary.installedPendingReboot),
                    "compliant": .stringConvertible(summary.isCompliant),
                ])
            if !mustReboot && request.operation == .install {
                await runOnExit(id: id, rebootOption: request.rebootOption.rawValue)
            }
            note(mustReboot ? "rebooting" : "finished: \(failed ? "Failed" : "Success")")
            if mustReboot { await rebootAndWatch(id: id) }
        }
    }

    /// At most this many per-patch journal entries per operation (then one saying how many more).
    static let patchLogLimit = 500

    /// One journal entry per patch that needs attention or changed in this run — Missing, Failed,
    /// InstalledPendingReboot, and Installed by this operation — with PACKAGE, PATCH_ID and PATCH_STATE fields.
    private func logPatches(_ report: PatchReport, id: String) {
        let start = report.operationStartTime
        let notable = report.evaluation.decisions.filter { d in
            switch d.state {
            case .missing, .failed, .installedPendingReboot: true
            case .installed: report.operation == .install && (d.installedTime.map { $0 >= start } ?? false)
            default: false
            }
        }
        for d in notable.prefix(Self.patchLogLimit) {
            var fields: Logger.Metadata = [
                "operation": .string(report.operation.rawValue), "package": .string(d.key.name),
                "patch_id": .string(d.id), "patch_state": .string(d.state.displayName),
                "compliance_level": .string(d.complianceLevel.rawValue),
            ]
            if let v = d.installedVersion { fields["installed_version"] = .string(v) }
            if let v = d.targetVersion { fields["available_version"] = .string(v) }
            if let v = d.severity { fields["severity"] = .string(v) }
            if let v = d.classification { fields["classification"] = .string(v) }
            if !d.cveIds.isEmpty { fields["cve_ids"] = .string(d.cveIds.joined(separator: ",")) }
            let level: Logger.Level = d.state == .failed ? .warning : d.state == .installed ? .info : .notice
            log(level, "\(d.id): \(d.state.displayName) \(d.targetVersion ?? d.installedVersion ?? "")", id: id, fields)
        }
        if notable.count > Self.patchLogLimit {
            log(.notice, "\(notable.count - Self.patchLogLimit) more patch(es) not logged one by one", id: id)
        }
    }

    /// Runs the reboot command, then waits `reboot_wait_seconds` for the node to go down. If it is still up (the
    /// same boot), the reboot is asked again, up to `maximum_reboot_attempts`, then the operation fails — never a
    /// reboot loop.
    private func rebootAndWatch(id: String) async {
        log(.notice, "rebooting: \(configuration.rebootCommand.joined(separator: " "))", id: id)
        await rebootHook()
        let wait = configuration.rebootWaitSeconds
        rebootWatch?.cancel()
        rebootWatch = Task {
            try? await Task.sleep(for: .seconds(wait))
            guard !Task.isCancelled else { return }
            await self.rebootDidNotHappen(id: id)
        }
    }

    private func rebootDidNotHappen(id: String) async {
        rebootWatch = nil
        guard let op = (try? store.operation(id: id)) ?? nil, op.status.isActive, op.phase == "awaiting-reboot",
            op.bootId == bootId()
        else { return }
        await askAgainOrFail(op)
    }

    /// An operation still waiting in the boot it asked to leave: the reboot is asked again while attempts remain,
    /// else the operation fails and its on-exit hooks run (in the background: a starting daemon serves meanwhile).
    private func askAgainOrFail(_ op: OperationRecord) async {
        if op.rebootAttempts < configuration.maximumRebootAttempts {
            _ = try? store.update(id: op.id) { $0.rebootAttempts += 1 }
            log(.warning, "the node did not reboot; asking again", id: op.id)
            await rebootAndWatch(id: op.id)
        } else {
            let message = "the node did not reboot after \(op.rebootAttempts) attempt(s)"
            _ = try? store.update(id: op.id) {
                $0.status = .failed
                $0.phase = nil
                $0.endedAt = self.clock()
                $0.error = message
            }
            log(.error, message, id: op.id)
            let option = op.rebootOption ?? "RebootIfNeeded"
            Task { await self.runOnExit(id: op.id, rebootOption: option) }
        }
    }

    static func records(_ report: PatchReport, operationId: String) -> [PatchStateRecord] {
        report.evaluation.decisions.filter { $0.state != .notApplicable }.map {
            PatchStateRecord($0, operationId: operationId)
        }
    }

    /// At start: operations the previous process left unfinished. One waiting for a reboot completes once after it
    /// (a new boot id): its patches are Installed and the result is final. One whose reboot never happened is
    /// retried a bounded number of times, then Failed. Anything else was cut off by a crash: Failed, and the next
    /// Install repairs dpkg if it was interrupted.
    public func resumeUnfinished() async {
        guard let unfinished = try? store.unfinished() else { return }
        let boot = bootId()
        for op in unfinished {
            if op.phase == "awaiting-reboot" {
                if op.bootId != boot {
                    try? store.clearPendingReboot()
                    // A fresh scan records the post-reboot truth.
                    let rescan = try? AptScan.run(
                        AptScan.Options(root: configuration.root, operationTime: clock()), clock: clock
                    ).report
                    if var rescan {
                        try? store.replacePatchStates(operationId: op.id, Self.records(rescan, operationId: op.id))
                        // The result after the reboot is the one the control plane gets, once.
                        rescan.snapshotId = op.snapshotId
                        queueReport(rescan, id: op.id)
                    }
                    _ = try? store.update(id: op.id) {
                        $0.status = .success
                        $0.phase = nil
                        $0.endedAt = self.clock()
                        $0.progress = "completed after reboot"
                    }
                    log(.info, "Install completed after the reboot", id: op.id)
                    // On-exit hooks run last, after the reboot; in the background, so serving starts now.
                    let option = op.rebootOption ?? "RebootIfNeeded"
                    Task { await self.runOnExit(id: op.id, rebootOption: option) }
                } else {
                    await askAgainOrFail(op)
                }
            } else {
                _ = try? store.update(id: op.id) {
                    $0.status = .failed
                    $0.phase = nil
                    $0.endedAt = self.clock()
                    $0.error = "patchd stopped while the operation ran (\(op.phase ?? "pending"))"
                }
            }
        }
    }

    /// The on-exit hooks: last, after the reboot when there is one. Their failure is recorded, not fatal.
    private func runOnExit(id: String, rebootOption: String) async {
        let noteLine: @Sendable (String) -> Void = { line in Task { await self.note(line) } }
        if let failure = await hooks.run(
            .onExit, operationId: id, operation: "Install", rebootOption: rebootOption, note: noteLine)
        {
            note(failure)
            _ = try? store.update(id: id) { $0.error = ($0.error.map { $0 + "; " } ?? "") + failure }
        }
    }

    /// Tests replace the reboot command's effect.
    public func setRebootHook(_ hook: @escaping @Sendable () async -> Void) { rebootHook = hook }
}

/// The first of several results to arrive; later ones are ignored.
final class FirstResult<T: Sendable>: Sendable {
    private struct State {
        var result: Result<T, any Error>?
        var waiter: CheckedContinuation<Result<T, any Error>, Never>?
    }

    private let state = Mutex(State())

    func resolve(_ result: Result<T, any Error>) {
        let waiter = state.withLock { s -> CheckedContinuation<Result<T, any Error>, Never>? in
            guard s.result == nil else { return nil }
            s.result = result
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: result)
    }

    /// Waits for the first result (one caller).
    func value() async throws -> T {
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<T, any Error>, Never>) in
            let ready = state.withLock { s -> Result<T, any Error>? in
                if let r = s.result { return r }
                s.waiter = c
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
        return try result.get()
    }
}
