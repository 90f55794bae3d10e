import Foundation
import PatchCore
import PatchStore
import PatchTestSupport
import Synchronization
import Testing

@testable import PatchDaemon

/// The reporter's contract with the outbox: nothing leaves before the control plane took it, a failure waits its
/// retry delay, the first success drains the rest, unchanged compliance content is not resent, a queued report
/// wakes the sender. The control plane here is a closure that records calls (the HTTPS path is tested in
/// TransportTests); the outbox is a real SQLite store.
@Suite("UpstreamReporter: the outbox drained to the control plane", .serialized)
struct UpstreamReporterTests {
    /// Calls received, and how many more to refuse.
    final class ControlPlane: Sendable {
        let calls = Mutex<[JSONValue]>([])
        let refusals = Mutex(0)

        func call(_ operation: String, _ input: JSONValue) throws -> JSONValue {
            #expect(operation == "PutInventory")
            if refusals.withLock({ n in
                defer { n = max(0, n - 1) }
                return n > 0
            }) {
                throw TestSupportError("HTTP 503 ServiceUnavailable")
            }
            calls.withLock { $0.append(input) }
            return .object([])
        }

        var received: [JSONValue] { calls.withLock { $0 } }
    }

    final class Clock: Sendable {
        let seconds = Mutex<Int64>(1_795_300_000)
        var read: @Sendable () -> UTCInstant { { [self] in UTCInstant(secondsSinceEpoch: seconds.withLock { $0 }) } }
        func advance(_ s: Int64) { seconds.withLock { $0 += s } }
    }

    static func payload(_ n: Int, complianceHash: String = "c0ffee") -> String {
        JSONWriter.write(
            .object([
                ("InstanceId", .string("mi-0123456789abcdef0")),
                (
                    "Items",
                    .array([
                        .object([
                            ("TypeName", .string("AWS:PatchSummary")), ("ContentHash", .string("summary-\(n)")),
                            ("Content", .array([.object([("ExecutionId", .string("op-\(n)"))])])),
                        ]),
                        .object([
                            ("TypeName", .string("AWS:ComplianceItem")), ("ContentHash", .string(complianceHash)),
                            ("Content", .array([])),
                        ]),
                    ])
                ),
            ]), pretty: false)
    }

    static func withReporter(_ body: (PatchStore, UpstreamReporter, ControlPlane, Clock) async throws -> Void)
        async throws
    {
        let dir = try TestDirectory.make(prefix: "patchd-upstream")
        defer { try? TestDirectory.remove(dir) }
        let clock = Clock()
        let store = try PatchStore(directory: dir + "/state", clock: clock.read)
        let plane = ControlPlane()
        let reporter = UpstreamReporter(store: store, clock: clock.read) { try plane.call($0, $1) }
        try await body(store, reporter, plane, clock)
    }

    static func executionIds(_ calls: [JSONValue]) -> [String] {
        calls.compactMap { call in
            guard case .array(let items)? = call["Items"], case .array(let content)? = items.first?["Content"] else {
                return nil
            }
            return content.first?["ExecutionId"]?.stringValue
        }
    }

    @Test("a refused report stays and waits its delay; a new report sends the whole queue, oldest first")
    func retryThenDrain() async throws {
        try await Self.withReporter { store, reporter, plane, clock in
            plane.refusals.withLock { $0 = 1 }
            try store.enqueue(kind: "PutInventory", payload: Self.payload(1), dedupKey: "op-1")
            await reporter.drain()
            #expect(plane.received.isEmpty)
            #expect(try store.outboxDepth() == 1)
            let waiting = try #require(try store.pendingOutbox(limit: 10).first)
            #expect(waiting.attempts == 1 && waiting.lastError?.contains("503") == true)
            #expect(await reporter.lastError?.contains("503") == true)
            // Not due yet: nothing is tried.
            await reporter.drain()
            #expect(plane.received.isEmpty)
            try store.enqueue(kind: "PutInventory", payload: Self.payload(2), dedupKey: "op-2")
            try store.enqueue(kind: "PutInventory", payload: Self.payload(3), dedupKey: "op-3")
            clock.advance(1)
            // op-2 and op-3 are due now: the queue goes in order from op-1, though its own delay has not passed.
            await reporter.drain()
            #expect(Self.executionIds(plane.received) == ["op-1", "op-2", "op-3"])
            #expect(try store.outboxDepth() == 0)
            #expect(await reporter.lastContact != nil)
            #expect(await reporter.lastError == nil)
        }
    }

    @Test("compliance content the control plane already took is not sent again; the summary always is")
    func contentHash() async throws {
        try await Self.withReporter { store, reporter, plane, _ in
            try store.enqueue(kind: "PutInventory", payload: Self.payload(1, complianceHash: "aaa"), dedupKey: "op-1")
            try store.enqueue(kind: "PutInventory", payload: Self.payload(2, complianceHash: "aaa"), dedupKey: "op-2")
            try store.enqueue(kind: "PutInventory", payload: Self.payload(3, complianceHash: "bbb"), dedupKey: "op-3")
            await reporter.drain()
            let types = plane.received.map { call -> [String] in
                guard case .array(let items)? = call["Items"] else { return [] }
                return items.compactMap { $0["TypeName"]?.stringValue }
            }
            #expect(
                types == [
                    ["AWS:PatchSummary", "AWS:ComplianceItem"], ["AWS:PatchSummary"],
                    ["AWS:PatchSummary", "AWS:ComplianceItem"],
                ])
            #expect(try store.upstreamValue("upstream.contentHash.AWS:ComplianceItem") == "bbb")
        }
    }

    @Test("a queued report wakes the sleeping sender at once; an empty outbox keeps it asleep")
    func wakeUp() async throws {
        try await Self.withReporter { store, reporter, plane, _ in
            let running = Task { await reporter.run() }
            defer { running.cancel() }
            try await Task.sleep(for: .milliseconds(200))
            #expect(plane.received.isEmpty)
            try store.enqueue(kind: "PutInventory", payload: Self.payload(7), dedupKey: "op-7")
            reporter.reportQueued()
            let clock = ContinuousClock()
            let start = clock.now
            while plane.received.isEmpty && clock.now - start < .seconds(5) {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(Self.executionIds(plane.received) == ["op-7"])
            #expect(clock.now - start < .seconds(2))
            running.cancel()
            await running.value
        }
    }
}
