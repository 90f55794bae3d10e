import Glibc
import Systemd
import Testing

@Suite("Watchdog from WATCHDOG_USEC and WATCHDOG_PID")
struct WatchdogTests {
    static let pid: Int32 = 4242

    @Test(
        "parsing",
        arguments: [
            (["WATCHDOG_USEC": "30000000"], Duration.seconds(30)),
            (["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4242"], .seconds(30)),
            (["WATCHDOG_USEC": "1"], .microseconds(1)),
            (["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4243"], nil),
            (["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "x"], nil),
            (["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": ""], nil),
            (["WATCHDOG_USEC": "0"], nil),
            (["WATCHDOG_USEC": ""], nil),
            (["WATCHDOG_USEC": "-5"], nil),
            (["WATCHDOG_USEC": "+5"], nil),
            (["WATCHDOG_USEC": " 5"], nil),
            (["WATCHDOG_USEC": "5s"], nil),
            (["WATCHDOG_USEC": "18446744073709551615"], nil),
            (["WATCHDOG_USEC": "99999999999999999999999"], nil),
            (["WATCHDOG_PID": "4242"], nil),
            ([:], nil),
        ] as [([String: String], Duration?)])
    func parses(environment: [String: String], timeout: Duration?) {
        let watchdog = Watchdog(environment: environment, pid: Self.pid)
        #expect(watchdog?.timeout == timeout)
    }

    @Test("the ping interval is half the timeout")
    func pingIntervalIsHalf() throws {
        let watchdog = try #require(Watchdog(environment: ["WATCHDOG_USEC": "20000001"], pid: Self.pid))
        #expect(watchdog.pingInterval == .microseconds(10_000_000) + .nanoseconds(500))
    }

    @Test("WATCHDOG_PID is compared with this process when no pid is given")
    func defaultsToThisProcess() {
        #expect(Watchdog(environment: ["WATCHDOG_USEC": "1000000", "WATCHDOG_PID": String(getpid())]) != nil)
        #expect(Watchdog(environment: ["WATCHDOG_USEC": "1000000", "WATCHDOG_PID": String(getpid() + 1)]) == nil)
    }

    @Test("run pings WATCHDOG=1 at the interval until cancelled")
    func runPingsUntilCancelled() async throws {
        let listener = try DatagramListener(inTemporaryDirectoryNamed: "notify")
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.address]))
        let watchdog = Watchdog(timeout: .milliseconds(200))
        let clock = ContinuousClock()
        let start = clock.now
        let task = Task { await watchdog.run(notifier: notifier) }
        for _ in 0..<3 {
            #expect(try listener.receiveText() == "WATCHDOG=1\n")
        }
        // The first ping is immediate, the next two a ping interval (100 ms) apart each.
        #expect(clock.now - start >= .milliseconds(200))
        task.cancel()
        await task.value
        // Drain what was sent before the cancellation landed; then nothing more comes.
        while listener.hasPending(within: .milliseconds(10)) { _ = try listener.receive() }
        #expect(!listener.hasPending(within: .milliseconds(300)))
    }

    @Test("run reports a failed ping and keeps going")
    func runReportsFailures() async throws {
        let notifier = SystemdNotifier(address: .path("/nonexistent-patchd-test/notify"))
        let watchdog = Watchdog(timeout: .milliseconds(20))
        let (errors, continuation) = AsyncStream.makeStream(of: SystemdError.self)
        let task = Task { await watchdog.run(notifier: notifier) { continuation.yield($0) } }
        var seen: [SystemdError] = []
        for await error in errors {
            seen.append(error)
            if seen.count == 2 { break }
        }
        task.cancel()
        await task.value
        #expect(seen.map(\.errno) == [ENOENT, ENOENT])
    }
}
