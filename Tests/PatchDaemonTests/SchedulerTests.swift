import PatchAgent
import PatchCore
import Synchronization
import Testing

@testable import PatchDaemon

@Suite("Local schedule")
struct SchedulerTests {
    /// A clock that sleeping moves forward: the scheduler's waits take no real time.
    final class FakeTime: Sendable {
        let now: Mutex<Int64>
        let starts = Mutex<[(Int64, PatchReport.Operation)]>([])
        let busyAt: Set<Int64>
        init(_ start: String, busyAt: Set<Int64> = []) {
            now = Mutex(UTCInstant(iso8601: start)!.secondsSinceEpoch)
            self.busyAt = busyAt
        }
    }

    @Test("operations start at their cron times; a busy runner makes the time skip, not pile up")
    func firesOnTime() async throws {
        let time = FakeTime(
            "2026-11-22T01:00:00Z", busyAt: [UTCInstant(iso8601: "2026-11-22T03:00:00Z")!.secondsSinceEpoch])
        let entries = [
            ScheduleEntry(cron: try CronExpression("0 3 * * *"), operation: .install, rebootOption: .noReboot),
            ScheduleEntry(cron: try CronExpression("0 */2 * * *"), operation: .scan, rebootOption: .rebootIfNeeded),
        ]
        let logs = Mutex<[String]>([])
        let scheduler = Scheduler(
            entries: entries, clock: { UTCInstant(secondsSinceEpoch: time.now.withLock { $0 }) },
            sleep: { d in time.now.withLock { $0 += d.components.seconds } },
            start: { request in
                let t = time.now.withLock { $0 }
                if time.busyAt.contains(t) && request.operation == .install { return .conflict("running-one") }
                time.starts.withLock { $0.append((t, request.operation)) }
                return .started("op-\(t)")
            },
            log: { line in logs.withLock { $0.append(line) } })
        await scheduler.run(limit: 4)
        let starts = time.starts.withLock { $0 }.map { (UTCInstant(secondsSinceEpoch: $0.0).iso8601, $0.1) }
        #expect(starts.map(\.0) == ["2026-11-22T02:00:00Z", "2026-11-22T04:00:00Z", "2026-11-22T06:00:00Z"])
        #expect(starts.allSatisfy { $0.1 == .scan })
        #expect(logs.withLock { $0 }.contains { $0.contains("skipped, running-one is still running") })
    }

    @Test("the schedule in the configuration file")
    func configuration() throws {
        let config = try DaemonConfiguration.parse(
            """
            schedule:
              - cron: "0 3 * * SUN"
                operation: Install
                reboot_option: NoReboot
              - cron: "*/30 * * * *"
                operation: Scan
            """, file: "x.yaml")
        #expect(config.schedule.count == 2)
        #expect(config.schedule[0].operation == .install && config.schedule[0].rebootOption == .noReboot)
        #expect(config.schedule[1].rebootOption == .rebootIfNeeded)
        #expect {
            _ = try DaemonConfiguration.parse(
                "schedule:\n  - cron: \"61 * * * *\"\n    operation: Scan\n", file: "x.yaml")
        } throws: { "\($0)".contains("x.yaml:2: schedule: cron minute 61") }
        #expect {
            _ = try DaemonConfiguration.parse(
                "schedule:\n  - cron: \"* * * * *\"\n    operation: Patch\n", file: "x.yaml")
        } throws: { "\($0)".contains("operation must be Scan or Install") }
    }
}
