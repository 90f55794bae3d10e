import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The service watchdog (`WatchdogSec=`), as systemd hands it over in `$WATCHDOG_USEC` and `$WATCHDOG_PID`.
public struct Watchdog: Sendable, Equatable {
    /// How long the manager waits for a `WATCHDOG=1` before it acts.
    public let timeout: Duration

    /// How often to ping: half the timeout, as sd_watchdog_enabled(3) advises.
    public var pingInterval: Duration { timeout / 2 }

    public init(timeout: Duration) {
        self.timeout = timeout
    }

    /// The watchdog for this process, or nil when none is configured or it is meant for another process:
    /// `WATCHDOG_USEC` must be a positive decimal count of microseconds, and `WATCHDOG_PID`, when present, a decimal
    /// pid equal to `pid` (this process when nil): a child that inherited the variables must not ping on its parent's
    /// behalf.
    public init?(environment: [String: String], pid: Int32? = nil) {
        let pid = pid ?? getpid()
        guard let text = environment["WATCHDOG_USEC"], let usec = parseDecimal(text), usec > 0,
            usec <= UInt64(Int64.max)
        else { return nil }
        if let pidText = environment["WATCHDOG_PID"] {
            guard let owner = parseDecimal(pidText), owner == UInt64(clamping: max(pid, 0)), owner > 0 else {
                return nil
            }
        }
        timeout = .microseconds(Int64(usec))
    }

    /// Pings through `notifier` now and then every ``pingInterval`` until the task is cancelled. A failed ping is
    /// handed to `onError` and the loop goes on: the manager, not this process, decides what a missed ping means.
    ///
    /// The pings come from a Dispatch timer, not from a task that sleeps: when every thread of Swift's cooperative
    /// pool is busy (a long scan, say), the watchdog must still be fed on time.
    public func run(notifier: SystemdNotifier, onError: @escaping @Sendable (SystemdError) -> Void = { _ in }) async {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "patchd.watchdog"))
        let c = pingInterval.components
        let interval = DispatchTimeInterval.nanoseconds(Int(c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000))
        timer.schedule(deadline: .now(), repeating: interval)
        timer.setEventHandler {
            do throws(SystemdError) {
                try notifier.watchdog()
            } catch {
                onError(error)
            }
        }
        let finished = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let cancelled = Mutex(false)
        await withTaskCancellationHandler {
            timer.resume()
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let alreadyCancelled = cancelled.withLock { flag in
                    if !flag { finished.withLock { $0 = continuation } }
                    return flag
                }
                if alreadyCancelled { continuation.resume() }
            }
        } onCancel: {
            cancelled.withLock { $0 = true }
            finished.withLock {
                $0?.resume(); $0 = nil
            }
        }
        timer.cancel()
    }
}
