import Synchronization
import Testing

@testable import PackageManagers

@Suite("Command runner (real processes)")
struct CommandRunnerTests {
    let runner = SystemCommandRunner()

    @Test("exit status, both streams, the given environment only")
    func basics() async throws {
        let ok = try await runner.run(
            CommandSpec("/usr/bin/env", [], environment: ["ONLY": "this"], timeout: .seconds(10)))
        #expect(ok.succeeded)
        #expect(ok.stdout == "ONLY=this\n")
        let failed = try await runner.run(
            CommandSpec("/bin/ls", ["--", "/nonexistent-patchd-path"], timeout: .seconds(10)))
        #expect(failed.exitCode == 2)
        #expect(failed.stderr.contains("nonexistent-patchd-path"))
        #expect(failed.summary == "exit status 2")
    }

    @Test("a hostile argument is one argv element, never a shell word")
    func noShell() async throws {
        let out = try await runner.run(CommandSpec("/bin/echo", ["a; rm -rf /tmp/x $(id) `id`"], timeout: .seconds(5)))
        #expect(out.stdout == "a; rm -rf /tmp/x $(id) `id`\n")
    }

    @Test("a child that outlives its timeout is terminated, with its children")
    func timeout() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let out = try await runner.run(
            CommandSpec("/bin/sleep", ["120"], timeout: .milliseconds(300), killGrace: .seconds(1)))
        #expect(out.timedOut)
        #expect(!out.succeeded)
        #expect(out.signal == 15)
        // Stopped long before it would have ended by itself (a loaded machine may take a while to notice).
        #expect(clock.now - start < .seconds(90))
    }

    @Test("output beyond the limit is dropped, the child is not blocked")
    func outputLimit() async throws {
        let out = try await runner.run(
            CommandSpec("/usr/bin/head", ["-c", "5000000", "/dev/zero"], timeout: .seconds(20), outputLimit: 1000))
        #expect(out.succeeded)
        #expect(out.truncated)
        #expect(out.stdout.utf8.count == 1000)
    }

    @Test("lines are passed on as they arrive, from each stream")
    func lines() async throws {
        let seen = Mutex<[String]>([])
        let out = try await runner.run(
            CommandSpec("/usr/bin/seq", ["1", "3"], timeout: .seconds(5))
        ) { stream, line in seen.withLock { $0.append("\(stream):\(line)") } }
        #expect(out.succeeded)
        #expect(seen.withLock { $0 } == ["1:1", "1:2", "1:3"])
    }

    @Test("a missing executable is an error naming it")
    func missing() async {
        await #expect(throws: CommandError.self) {
            _ = try await runner.run(CommandSpec("/nonexistent/tool", [], timeout: .seconds(5)))
        }
    }
}
