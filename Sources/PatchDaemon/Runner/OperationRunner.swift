import Foundation
public import PackageManagers
public import PatchAgent
public import PatchCore
public import PatchStore

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
    public init(_ description: String) { self.description = description }
}

/// Runs one operation at a time, records everything durably, and finishes operations a reboot interrupted.
public actor OperationRunner {
    public enum StartResult: Sendable {
        case started(String)
        case conflict(String)
        case invalid(String)
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
    private var rebootHook: @Sendable () async -> Void

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
        task = Task { await self.execute(id: id, request: request) }
        return .started(id)
    }

    /// Waits for the running operation (graceful stop never abandons an install half-way).
    public func waitUntilIdle() async {
        while let t = task { await t.value }
    }

    private func execute(id: String, request: OperationRequest) async {
        let started = clock()
        _ = try? store.update(id: id) {
            $0.status = .inProgress
            $0.startedAt = started
        }
        note("\(request.operation.rawValue) started")
        var outcome: Result<PatchReport, RequestProblem>
        do {
            outcome = .success(try await perform(request, operationTime: started, id: id))
        } catch let problem as RequestProblem {
            outcome = .failure(problem)
        } catch {
            outcome = .failure(RequestProblem("\(error)"))
        }
        await finish(id: id, request: request, outcome: outcome, started: started)
        current = nil
        task = nil
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

    private func perform(_ request: OperationRequest, operationTime: UTCInstant, id: String) async throws -> PatchReport
    {
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
            // The scan is CPU work: off the actor, so status requests are answered meanwhile.
            return try await Task.detached { try AptScan.run(options, clock: clock).report }.value
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
                installTimeout: .seconds(configuration.installTimeoutSeconds))
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
            note("failed: \(problem)")
            _ = try? store.update(id: id) {
                $0.status = .failed
                $0.error = problem.description
                $0.endedAt = self.clock()
                $0.phase = nil
            }
        case .success(var report):
            report.snapshotId = (try? store.operation(id: id))??.snapshotId
            let json = JSONWriter.write(report.json(), pretty: false)
            let failed = report.summary.failed > 0 || report.hookFailure != nil
            // States and summary first: durable before any reboot.
            try? store.replacePatchStates(operationId: id, Self.records(report, operationId: id))
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
            if !mustReboot && request.operation == .install {
                await runOnExit(id: id, rebootOption: request.rebootOption.rawValue)
            }
            note(mustReboot ? "rebooting" : "finished: \(failed ? "Failed" : "Success")")
            if mustReboot { await rebootHook() }
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
                    if let rescan {
                        try? store.replacePatchStates(operationId: op.id, Self.records(rescan, operationId: op.id))
                    }
                    _ = try? store.update(id: op.id) {
                        $0.status = .success
                        $0.phase = nil
                        $0.endedAt = self.clock()
                        $0.progress = "completed after reboot"
                    }
                } else if op.rebootAttempts < configuration.maximumRebootAttempts {
                    _ = try? store.update(id: op.id) { $0.rebootAttempts += 1 }
                    await rebootHook()
                } else {
                    _ = try? store.update(id: op.id) {
                        $0.status = .failed
                        $0.phase = nil
                        $0.endedAt = self.clock()
                        $0.error = "the node did not reboot after \(op.rebootAttempts) attempt(s)"
                    }
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
