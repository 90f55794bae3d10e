import Logging
public import PatchCore
public import PatchStore
import Synchronization

/// Sends the outbox to the control plane: every report was written there, durably, before any attempt, so nothing is
/// lost while the control plane is down, across restarts and reboots. Entries go in order, oldest first; a failure waits
/// its retry delay (30 s, doubling, at most 6 h), and a new report retries at once. Content
/// the control plane already accepted (the same ContentHash of an `AWS:ComplianceItem`) is not sent again.
/// Between entries it sleeps until the next is due or a new report arrives — with an empty outbox, never wakes.
public actor UpstreamReporter {
    /// One call to the control plane: the operation (`PutInventory`) and its JSON input; throws on failure.
    public typealias Call = @Sendable (_ operation: String, _ input: JSONValue) async throws -> JSONValue

    let store: PatchStore
    let call: Call
    let clock: @Sendable () -> UTCInstant
    let logger = Logger(label: "patchd.upstream")
    let wakeup = Wakeup()
    public private(set) var lastContact: UTCInstant?
    public private(set) var lastError: String?
    public private(set) var sent = 0

    public init(store: PatchStore, clock: @escaping @Sendable () -> UTCInstant, call: @escaping Call) {
        self.store = store
        self.clock = clock
        self.call = call
    }

    /// A new report is in the outbox: send it now.
    public nonisolated func reportQueued() { wakeup.signal() }

    /// Sends until cancelled.
    public func run() async {
        while !Task.isCancelled {
            await drain()
            let next = (try? store.nextOutboxAttempt()) ?? nil
            let delay = next.map { Duration.seconds(max(1, $0.secondsSinceEpoch - clock().secondsSinceEpoch)) }
            await wakeup.wait(timeout: delay)
        }
    }

    /// Sends the outbox oldest first, as a queue, once anything in it is due (a new report is due at once); stops at
    /// the first failure, which waits its delay. Order matters: a control plane keeps the last summary it receives.
    public func drain() async {
        while !Task.isCancelled {
            guard let next = (try? store.nextOutboxAttempt()) ?? nil, next <= clock() else { return }
            let batch = (try? store.pendingOutbox(limit: 20)) ?? []
            if batch.isEmpty { return }
            for item in batch where await !send(item) { return }
        }
    }

    static func hashKey(_ type: String) -> String { "upstream.contentHash.\(type)" }

    /// One entry: true when the control plane took it.
    func send(_ item: OutboxItem) async -> Bool {
        guard item.kind == "PutInventory", var input = try? JSONParser.parse(item.payload),
            case .array(let items)? = input["Items"]
        else {
            logger.error("dropping outbox entry \(item.id): not a PutInventory report")
            try? store.markSent(id: item.id)
            return true
        }
        // Unchanged compliance content is not sent again (the summary, with its times, always is).
        let kept = items.filter { entry in
            guard entry["TypeName"]?.stringValue == "AWS:ComplianceItem", let hash = entry["ContentHash"]?.stringValue
            else { return true }
            return (try? store.upstreamValue(Self.hashKey("AWS:ComplianceItem"))) != hash
        }
        if case .object(let members) = input {
            input = .object(members.map { $0.key == "Items" ? ("Items", .array(kept)) : $0 })
        }
        do {
            _ = try await call("PutInventory", input)
        } catch {
            lastError = "\(error)"
            let updated = try? store.recordAttempt(id: item.id, error: "\(error)")
            logger.warning(
                "PutInventory failed (attempt \(updated?.attempts ?? item.attempts + 1)); kept in the outbox: \(error)",
                metadata: ["outbox_id": .stringConvertible(item.id)])
            return false
        }
        for entry in kept {
            if let type = entry["TypeName"]?.stringValue, let hash = entry["ContentHash"]?.stringValue {
                try? store.setUpstreamValue(Self.hashKey(type), hash)
            }
        }
        try? store.markSent(id: item.id)
        lastContact = clock()
        try? store.setUpstreamValue("upstream.lastContact", String(clock().secondsSinceEpoch))
        lastError = nil
        sent += 1
        logger.info(
            "report sent (PutInventory, \(kept.count) item(s))", metadata: ["outbox_id": .stringConvertible(item.id)])
        return true
    }
}

/// A wake-up signal for one waiter, remembered when nobody waits yet.
final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        /// A wait ended (timeout or cancellation) before its signal waiter parked: it must not park.
        var released = false
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at a signal (or one that came since the last wait), after `timeout`, or when the task is cancelled.
    func wait(timeout: Duration?) async {
        state.withLock { $0.released = false }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal() }
            if let timeout { group.addTask { try? await Task.sleep(for: timeout) } }
            await group.next()
            group.cancelAll()
            // The signal waiter may still be parked: wake it so the group can end.
            self.cancelWaiter()
        }
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.pending || s.released {
                        s.pending = false
                        s.released = false
                        return true
                    }
                    s.waiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            cancelWaiter()
        }
    }

    private func cancelWaiter() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let w = s.waiter else {
                s.released = true
                return nil
            }
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }
}
