import Foundation
import PackageManagers
import PatchAgent
public import PatchCore
public import PatchStore

/// The local API: decodes, authorizes and validates requests, asks the runner and the store, encodes answers.
/// Errors are `{"error": code, "message": text}` with a matching status.
public struct APIRouter: Sendable {
    let runner: OperationRunner
    let store: PatchStore
    let configuration: DaemonConfiguration
    let clock: @Sendable () -> UTCInstant
    let startedAt: UTCInstant

    public init(
        runner: OperationRunner, store: PatchStore, configuration: DaemonConfiguration,
        clock: @escaping @Sendable () -> UTCInstant
    ) {
        self.runner = runner
        self.store = store
        self.configuration = configuration
        self.clock = clock
        startedAt = clock()
    }

    static func error(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
        .json(
            status,
            JSONWriter.write(.object([("error", .string(code)), ("message", .string(message))]), pretty: false))
    }

    static func ok(_ json: JSONValue, status: Int = 200) -> HTTPResponse {
        .json(status, JSONWriter.write(json, pretty: false))
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch (request.method, parts.count, parts.first) {
        case ("GET", 2, "v1") where parts[1] == "status": return await status()
        case ("GET", 2, "v1") where parts[1] == "patches": return patches(request)
        case ("GET", 2, "v1") where parts[1] == "operations": return operations(request)
        case ("POST", 2, "v1") where parts[1] == "operations": return await startOperation(request)
        case ("GET", 3, "v1") where parts[1] == "operations": return operation(parts[2])
        case ("GET", 4, "v1") where parts[1] == "operations" && parts[3] == "events":
            return events(parts[2], request)
        case ("POST", 4, "v1") where parts[1] == "operations" && parts[3] == "cancel":
            return await cancel(parts[2], request)
        case ("GET", 3, "v1") where parts[1] == "explain":
            return await explain(HTTPRequestParser.percentDecode(parts[2]))
        case ("GET", 1, "metrics"): return await metrics()
        case (_, _, "v1"), (_, _, "metrics"):
            let known = ["status", "patches", "operations", "explain"]
            if parts.count >= 2, known.contains(parts[1]) || parts[0] == "metrics" {
                return Self.error(405, "MethodNotAllowed", "\(request.method) is not allowed on \(request.path)")
            }
            return Self.error(404, "NotFound", "no such endpoint: \(request.path)")
        default:
            return Self.error(404, "NotFound", "no such endpoint: \(request.path)")
        }
    }

    func operationJSON(_ op: OperationRecord, includeReport: Bool = false) -> JSONValue {
        func s(_ v: String?) -> JSONValue { v.map(JSONValue.string) ?? .null }
        var members: [(key: String, value: JSONValue)] = [
            ("id", .string(op.id)), ("operation", .string(op.kind)), ("status", .string(op.status.rawValue)),
            ("phase", s(op.phase)), ("rebootOption", s(op.rebootOption)), ("snapshotId", s(op.snapshotId)),
            ("createdAt", .string(op.createdAt.iso8601)), ("startedAt", s(op.startedAt?.iso8601)),
            ("endedAt", s(op.endedAt?.iso8601)), ("progress", s(op.progress)), ("error", s(op.error)),
        ]
        if includeReport, let report = op.reportJSON, let json = try? JSONParser.parse(report) {
            members.append(("report", json))
        } else if let report = op.reportJSON, let json = try? JSONParser.parse(report) {
            members.append(("summary", json["summary"] ?? .null))
        }
        return .object(members)
    }

    func status() async -> HTTPResponse {
        let current = await runner.currentOperation
        let last = (try? store.operations(limit: 1))?.first
        let summary = (try? store.lastSummary()).flatMap { $0 }.flatMap { try? JSONParser.parse($0.json) }
        var node: JSONValue = .null
        if let (os, release) = try? AptInventoryReader.detect(root: configuration.root) {
            node = .object([
                ("operatingSystem", .string(os.rawValue)), ("product", .string(release.product(for: os))),
                ("root", .string(configuration.root)),
            ])
        }
        var currentJSON: JSONValue = .null
        if let current {
            currentJSON = .object([
                ("id", .string(current.id)), ("phase", .string(current.phase)),
                ("progress", .array(current.progress.map(JSONValue.string))),
            ])
        }
        let pending = try? store.pendingReboot()
        return Self.ok(
            .object([
                ("state", .string(current == nil ? "Idle" : "Busy")),
                ("version", .string(PatchdVersion.current)),
                ("startedAt", .string(startedAt.iso8601)),
                ("node", node),
                ("currentOperation", currentJSON),
                ("lastOperation", last.map { operationJSON($0) } ?? .null),
                ("summary", summary ?? .null),
                ("pendingReboot", .bool(!(pending?.keys.isEmpty ?? true))),
                ("patchGroup", .null),
                ("upstream", await upstreamJSON()),
            ]))
    }

    /// The control plane: configured or not, this node's id there, the reports waiting, the last contact.
    func upstreamJSON() async -> JSONValue {
        guard let endpoint = configuration.upstreamEndpoint else { return .object([("configured", .bool(false))]) }
        let state = await runner.upstreamState
        let lastContact = (try? store.upstreamValue("upstream.lastContact")).flatMap { $0 }.flatMap(Int64.init)
        return .object([
            ("configured", .bool(true)), ("endpoint", .string(endpoint)),
            ("region", .string(configuration.upstreamRegion)),
            ("instanceId", state.map { .string($0.instanceId) } ?? .null),
            ("registered", .bool(state != nil)),
            ("outboxDepth", .number(String((try? store.outboxDepth()) ?? 0))),
            ("lastContact", lastContact.map { .string(UTCInstant(secondsSinceEpoch: $0).iso8601) } ?? .null),
            ("lastError", state?.lastError.map(JSONValue.string) ?? .null),
        ])
    }

    func patches(_ request: HTTPRequest) -> HTTPResponse {
        var filter: PatchState?
        if let wanted = request.query["state"] {
            guard let state = PatchState(displayName: wanted) ?? PatchState(rawValue: wanted) else {
                return Self.error(
                    400, "InvalidState",
                    "state: \"\(wanted)\" is not one of "
                        + PatchState.allCases.map(\.displayName).joined(separator: ", "))
            }
            filter = state
        }
        do {
            let records = try store.patchStates(state: filter)
            return Self.ok(
                .object([
                    (
                        "patches",
                        .array(
                            records.map { r in
                                func s(_ v: String?) -> JSONValue { v.map(JSONValue.string) ?? .null }
                                return .object([
                                    ("id", .string("\(r.name).\(r.arch)")), ("name", .string(r.name)),
                                    ("arch", .string(r.arch)), ("state", .string(r.state.displayName)),
                                    ("installedVersion", s(r.installedVersion)),
                                    ("availableVersion", s(r.availableVersion)),
                                    ("classification", s(r.classification)), ("severity", s(r.severity)),
                                    ("complianceLevel", .string(r.complianceLevel.rawValue)),
                                    ("cves", .array(r.cves.map(JSONValue.string))),
                                    ("installedTime", s(r.installedTime?.iso8601)),
                                    ("operationId", .string(r.operationId)),
                                ])
                            })
                    )
                ]))
        } catch {
            return Self.error(500, "StoreError", "\(error)")
        }
    }

    func operations(_ request: HTTPRequest) -> HTTPResponse {
        var limit = 50
        if let text = request.query["limit"] {
            guard let n = Int(text), (1...500).contains(n) else {
                return Self.error(400, "InvalidLimit", "limit: must be a whole number in 1...500")
            }
            limit = n
        }
        do {
            let list = try store.operations(limit: limit, before: request.query["before"])
            return Self.ok(.object([("operations", .array(list.map { operationJSON($0) }))]))
        } catch {
            return Self.error(500, "StoreError", "\(error)")
        }
    }

    func operation(_ id: String) -> HTTPResponse {
        guard let op = (try? store.operation(id: id)) ?? nil else {
            return Self.error(404, "OperationNotFound", "no operation \(id)")
        }
        return Self.ok(operationJSON(op, includeReport: true))
    }

    /// The progress of an operation as it happens. NDJSON by default: one `{"progress": …}` line per message, then
    /// a final line with the status. Server-sent events with `Accept: text/event-stream` (or `?format=sse`):
    /// `progress` events whose `id` is the message's number, so a client reconnecting with `Last-Event-ID` resumes
    /// after it, then one `end` event.
    func events(_ id: String, _ request: HTTPRequest) -> HTTPResponse {
        guard (try? store.operation(id: id)) ?? nil != nil else {
            return Self.error(404, "OperationNotFound", "no operation \(id)")
        }
        let accept = request.header("accept") ?? ""
        let sse = request.query["format"] == "sse" || accept.contains("text/event-stream")
        if let format = request.query["format"], format != "sse", format != "ndjson" {
            return Self.error(400, "InvalidFormat", "format: must be ndjson or sse")
        }
        let cursor = EventCursor()
        if sse, let last = request.header("last-event-id") {
            guard let n = Int(last.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                return Self.error(400, "InvalidLastEventId", "Last-Event-ID: expected a message number")
            }
            cursor.index = n + 1
        }
        let runner = self.runner
        let store = self.store
        @Sendable func progress(_ lines: [String], first: Int) -> [UInt8] {
            var out = ""
            for (offset, line) in lines.enumerated() {
                let json = JSONWriter.write(.object([("progress", .string(line))]), pretty: false)
                out += sse ? "id: \(first + offset)\nevent: progress\ndata: \(json)\n\n" : json + "\n"
            }
            return Array(out.utf8)
        }
        return HTTPResponse(
            status: 200,
            headers: [
                ("Content-Type", sse ? "text/event-stream; charset=utf-8" : "application/x-ndjson"),
                ("Cache-Control", "no-cache"),
            ],
            body: .stream {
                if cursor.finished { return nil }
                while true {
                    let from = cursor.index
                    let (lines, next, running) = await runner.progressLines(of: id, from: from)
                    cursor.index = next
                    if !lines.isEmpty { return progress(lines, first: next - lines.count) }
                    if !running {
                        cursor.finished = true
                        let op = (try? store.operation(id: id)) ?? nil
                        let final = JSONWriter.write(
                            .object([
                                ("id", .string(id)), ("status", .string(op?.status.rawValue ?? "Unknown")),
                                ("phase", op?.phase.map(JSONValue.string) ?? .null),
                                ("error", op?.error.map(JSONValue.string) ?? .null),
                            ]), pretty: false)
                        return Array((sse ? "event: end\ndata: \(final)\n\n" : final + "\n").utf8)
                    }
                    try? await Task.sleep(for: .milliseconds(200))
                }
            })
    }

    /// `POST /v1/operations/{id}/cancel` (root only): the running operation stops at its next safe point — a package
    /// transaction that has started always runs to its end — and ends Cancelled; one waiting for a reboot is
    /// Cancelled at once and no reboot follows.
    func cancel(_ id: String, _ request: HTTPRequest) async -> HTTPResponse {
        guard request.peer.uid == 0 else {
            return Self.error(403, "AccessDenied", "only root may cancel operations (you are uid \(request.peer.uid))")
        }
        switch await runner.cancel(id: id, by: request.peer.uid) {
        case .cancelling:
            return Self.ok(.object([("id", .string(id)), ("status", .string("Cancelling"))]), status: 202)
        case .cancelled:
            return Self.ok(.object([("id", .string(id)), ("status", .string("Cancelled"))]))
        case .ended(let status):
            return Self.error(409, "OperationNotActive", "operation \(id) already ended: \(status)")
        case .notFound:
            return Self.error(404, "OperationNotFound", "no operation \(id)")
        }
    }

    func startOperation(_ request: HTTPRequest) async -> HTTPResponse {
        guard request.peer.uid == 0 else {
            return Self.error(403, "AccessDenied", "only root may start operations (you are uid \(request.peer.uid))")
        }
        let decoded: OperationRequest
        switch OperationRequest.decode(request.body) {
        case .success(let r): decoded = r
        case .failure(let problem): return Self.error(400, "InvalidRequest", problem.description)
        }
        switch await runner.start(decoded) {
        case .started(let id):
            return Self.ok(.object([("id", .string(id)), ("status", .string("Pending"))]), status: 202)
        case .conflict(let id):
            return .json(
                409,
                JSONWriter.write(
                    .object([
                        ("error", .string("OperationInProgress")),
                        ("message", .string("operation \(id) is still running; one operation runs at a time")),
                        ("id", .string(id)),
                    ]), pretty: false))
        case .invalid(let message):
            return Self.error(500, "StoreError", message)
        }
    }

    func explain(_ package: String) async -> HTTPResponse {
        guard !package.isEmpty, package.utf8.count <= 200 else {
            return Self.error(400, "InvalidPackage", "give a package name")
        }
        let root = configuration.root
        let clock = self.clock
        let result: Result<PatchReport, AptScan.Failure> = await Task.detached {
            do throws(AptScan.Failure) {
                return .success(
                    try AptScan.run(
                        AptScan.Options(root: root, operationTime: clock(), explain: true, onlyNames: [package]),
                        clock: clock
                    ).report)
            } catch {
                return .failure(error)
            }
        }.value
        switch result {
        case .failure(let error): return Self.error(500, "ScanFailed", error.description)
        case .success(let report):
            let decisions = report.evaluation.decisions.map { d -> JSONValue in
                .object([
                    ("id", .string(d.id)), ("state", .string(d.state.displayName)),
                    ("installedVersion", d.installedVersion.map(JSONValue.string) ?? .null),
                    ("availableVersion", d.targetVersion.map(JSONValue.string) ?? .null),
                    ("complianceLevel", .string(d.complianceLevel.rawValue)),
                    ("trace", .array(d.trace.map { .string($0.description) })),
                ])
            }
            return Self.ok(
                .object([
                    ("package", .string(package)), ("baseline", report.baseline.name.map(JSONValue.string) ?? .null),
                    ("decisions", .array(decisions)),
                ]))
        }
    }

    func metrics() async -> HTTPResponse {
        var out = ""
        let busy = await runner.isBusy
        out += "# HELP patchd_up Whether patchd is serving.\n# TYPE patchd_up gauge\npatchd_up 1\n"
        out += "# HELP patchd_operation_running Whether an operation is running.\n"
        out += "# TYPE patchd_operation_running gauge\npatchd_operation_running \(busy ? 1 : 0)\n"
        if let ops = try? store.operations(limit: 500) {
            var counts: [String: Int] = [:]
            var lastSuccess: Int64?
            out += "# HELP patchd_operation_duration_seconds Duration of recent operations.\n"
            out += "# TYPE patchd_operation_duration_seconds gauge\n"
            for op in ops {
                counts["\(op.kind)|\(op.status.rawValue)", default: 0] += 1
                if op.status == .success, let end = op.endedAt {
                    lastSuccess = max(lastSuccess ?? 0, end.secondsSinceEpoch)
                }
            }
            if let op = ops.first(where: { $0.endedAt != nil && $0.startedAt != nil }),
                let start = op.startedAt, let end = op.endedAt
            {
                out +=
                    "patchd_operation_duration_seconds{operation=\"\(op.kind)\"} \(end.secondsSinceEpoch - start.secondsSinceEpoch)\n"
            }
            out += "# HELP patchd_operations Recent operations by kind and status.\n# TYPE patchd_operations gauge\n"
            for (key, n) in counts.sorted(by: { $0.key < $1.key }) {
                let p = key.split(separator: "|")
                out += "patchd_operations{operation=\"\(p[0])\",status=\"\(p[1])\"} \(n)\n"
            }
            if let lastSuccess {
                out += "# HELP patchd_last_success_timestamp_seconds End of the last successful operation.\n"
                out += "# TYPE patchd_last_success_timestamp_seconds gauge\n"
                out += "patchd_last_success_timestamp_seconds \(lastSuccess)\n"
            }
        }
        if configuration.upstreamEndpoint != nil {
            out += "# HELP patchd_upstream_outbox_depth Reports waiting to be sent to the control plane.\n"
            out += "# TYPE patchd_upstream_outbox_depth gauge\n"
            out += "patchd_upstream_outbox_depth \((try? store.outboxDepth()) ?? 0)\n"
            if let last = (try? store.upstreamValue("upstream.lastContact")).flatMap({ $0 }) {
                out +=
                    "# HELP patchd_upstream_last_contact_timestamp_seconds When the control plane last took a report.\n"
                out += "# TYPE patchd_upstream_last_contact_timestamp_seconds gauge\n"
                out += "patchd_upstream_last_contact_timestamp_seconds \(last)\n"
            }
        }
        if let states = try? store.patchStates() {
            var byState: [PatchState: Int] = [:]
            for s in states { byState[s.state, default: 0] += 1 }
            out +=
                "# HELP patchd_patches Patches of the last operation by compliance state.\n# TYPE patchd_patches gauge\n"
            for state in PatchState.allCases where state != .notApplicable {
                out += "patchd_patches{state=\"\(state.displayName)\"} \(byState[state] ?? 0)\n"
            }
        }
        return .text(200, out, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}

/// Where an events stream is (the stream closure is called again for each chunk).
final class EventCursor: @unchecked Sendable {
    // Only the one connection's worker calls the stream closure, one call at a time.
    var index = 0
    var finished = false
}
