import Synchronization

/// A request to stop an operation early — a client's cancel, or the operation's deadline — honoured only at safe
/// points: before a step that changes nothing yet (the lock wait, `apt-get update`, the simulation) and never
/// during a package transaction, which always runs to its end.
public final class StopRequest: Sendable {
    public enum Reason: String, Sendable, Equatable {
        case cancelled = "Cancelled"
        case timedOut = "TimedOut"
    }

    /// Thrown at a safe point once a stop was requested.
    public struct Stopped: Error, Sendable, CustomStringConvertible {
        public var reason: Reason
        public var detail: String
        /// The step that did not start.
        public var before: String
        public var description: String { "\(detail); stopped before \(before)" }

        public init(reason: Reason, detail: String, before: String) {
            self.reason = reason
            self.detail = detail
            self.before = before
        }
    }

    private struct State {
        var reason: (Reason, String)?
        var waiters: [CheckedContinuation<Void, Never>] = []
        var released = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Asks the operation to stop; the first request wins (a cancel after the deadline stays TimedOut). Returns
    /// whether this call was the first.
    @discardableResult
    public func request(_ reason: Reason, detail: String) -> Bool {
        let waiters: [CheckedContinuation<Void, Never>]? = state.withLock { s in
            guard s.reason == nil, !s.released else { return nil }
            s.reason = (reason, detail)
            defer { s.waiters = [] }
            return s.waiters
        }
        guard let waiters else { return false }
        for w in waiters { w.resume() }
        return true
    }

    /// Why the operation was asked to stop, if it was.
    public var requested: (reason: Reason, detail: String)? {
        state.withLock { $0.reason.map { ($0.0, $0.1) } }
    }

    /// Throws ``Stopped`` if a stop was requested; `step` names what would have run next.
    public func check(before step: String) throws(Stopped) {
        if let (reason, detail) = requested { throw Stopped(reason: reason, detail: detail, before: step) }
    }

    /// The operation ended: later requests are ignored and every ``wait()`` returns.
    public func release() {
        let waiters = state.withLock { s in
            s.released = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }

    /// Returns once a stop is requested or the operation ended (immediately if either already happened).
    public func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.reason != nil || s.released { return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
}
