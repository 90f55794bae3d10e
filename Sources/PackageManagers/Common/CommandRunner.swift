import Dispatch
import Subprocess
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// One child process to run: argv (never a shell), its environment, a timeout and an output limit.
public struct CommandSpec: Sendable, CustomStringConvertible {
    public var executable: String
    public var arguments: [String]
    /// The whole environment of the child (nothing is inherited unless put here).
    public var environment: [String: String]
    public var timeout: Duration
    /// Bytes kept of each of stdout and stderr; the rest is counted and dropped (the child is never blocked).
    public var outputLimit: Int
    /// How long after SIGTERM (on timeout) before SIGKILL.
    public var killGrace: Duration

    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = CommandSpec.baseEnvironment,
        timeout: Duration, outputLimit: Int = 4 << 20, killGrace: Duration = .seconds(10)
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.timeout = timeout
        self.outputLimit = outputLimit
        self.killGrace = killGrace
    }

    /// A clean, predictable environment: no locale surprises, no prompts.
    public static let baseEnvironment: [String: String] = [
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
    ]

    public var description: String { ([executable] + arguments).joined(separator: " ") }

    static func nanoseconds(_ d: Duration) -> Int64 {
        let c = d.components
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }
}

/// How a child ended, and what it said.
public struct CommandOutcome: Sendable {
    public var exitCode: Int32?
    public var signal: Int32?
    public var stdout: String
    public var stderr: String
    public var timedOut: Bool
    /// Output beyond the limit was dropped.
    public var truncated: Bool

    public init(
        exitCode: Int32?, signal: Int32? = nil, stdout: String = "", stderr: String = "", timedOut: Bool = false,
        truncated: Bool = false
    ) {
        self.exitCode = exitCode
        self.signal = signal
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
        self.truncated = truncated
    }

    public var succeeded: Bool { exitCode == 0 && !timedOut }

    /// `exit status 100`, `killed by signal 9 after the 30s timeout`, ….
    public var summary: String {
        if timedOut { return "timed out" + (signal.map { " (killed by signal \($0))" } ?? "") }
        if let signal { return "killed by signal \(signal)" }
        return "exit status \(exitCode ?? -1)"
    }

    /// The last lines of stderr (or stdout), for an error message.
    public func tail(_ lines: Int = 5) -> String {
        let text = stderr.isEmpty ? stdout : stderr
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}

/// Why a child could not be run at all.
public struct CommandError: Error, Sendable, CustomStringConvertible {
    public var command: String
    public var message: String
    public var description: String { "\(command): \(message)" }
}

/// Runs children. Injected everywhere a package manager is driven, never global.
public protocol CommandRunning: Sendable {
    /// Runs `spec`; each complete stdout/stderr line also goes to `onLine` (stream 1 or 2) as it arrives.
    func run(_ spec: CommandSpec, onLine: (@Sendable (Int, String) -> Void)?) async throws(CommandError)
        -> CommandOutcome
}

extension CommandRunning {
    public func run(_ spec: CommandSpec) async throws(CommandError) -> CommandOutcome {
        try await run(spec, onLine: nil)
    }
}

/// Runs real processes with swift-subprocess: both pipes drained concurrently, a timeout that sends SIGTERM to the
/// child's process group and SIGKILL after a grace period.
public struct SystemCommandRunner: CommandRunning {
    public init() {}

    /// Collects one stream up to a limit, passing each line on.
    private static func drain(
        _ sequence: SubprocessOutputSequence, stream: Int, limit: Int, onLine: (@Sendable (Int, String) -> Void)?
    ) async throws -> (String, Bool) {
        var kept: [UInt8] = []
        var truncated = false
        var line: [UInt8] = []
        for try await buffer in sequence {
            buffer.withUnsafeBytes { raw in
                for b in raw {
                    if kept.count < limit { kept.append(b) } else { truncated = true }
                    guard let onLine else { continue }
                    if b == 0x0A {
                        onLine(stream, String(decoding: line, as: UTF8.self))
                        line.removeAll(keepingCapacity: true)
                    } else if line.count < 65_536 {
                        line.append(b)
                    }
                }
            }
        }
        if let onLine, !line.isEmpty { onLine(stream, String(decoding: line, as: UTF8.self)) }
        return (String(decoding: kept, as: UTF8.self), truncated)
    }

    public func run(_ spec: CommandSpec, onLine: (@Sendable (Int, String) -> Void)?) async throws(CommandError)
        -> CommandOutcome
    {
        var options = PlatformOptions()
        // Its own process group, so a timeout reaches grandchildren (dpkg, maintainer scripts) too.
        options.processGroupID = 0
        let environment = Environment.custom(spec.environment.map { Array("\($0.key)=\($0.value)".utf8) + [0] })
        let fired = TimeoutFlag()
        let finished = TimeoutFlag()
        let limit = spec.outputLimit
        do {
            let result = try await Subprocess.run(
                .path(FilePath(spec.executable)), arguments: Arguments(spec.arguments), environment: environment,
                platformOptions: options, input: .none, output: .sequence, error: .sequence
            ) { execution in
                try await withThrowingTaskGroup(of: Drained.self) { group in
                    group.addTask {
                        let (text, cut) = try await Self.drain(
                            execution.standardOutput, stream: 1, limit: limit, onLine: onLine)
                        return .stdout(text, cut)
                    }
                    group.addTask {
                        let (text, cut) = try await Self.drain(
                            execution.standardError, stream: 2, limit: limit, onLine: onLine)
                        return .stderr(text, cut)
                    }
                    // The timeout runs on a Dispatch timer, not on the cooperative pool: when the pool's threads are
                    // all busy, a child must still be stopped on time.
                    let pid = execution.processIdentifier.value
                    let timer = DispatchSource.makeTimerSource(queue: .global())
                    timer.schedule(deadline: .now() + .nanoseconds(Int(CommandSpec.nanoseconds(spec.timeout))))
                    timer.setEventHandler {
                        fired.value.store(true, ordering: .sequentiallyConsistent)
                        kill(-pid, SIGTERM)
                        DispatchQueue.global().asyncAfter(
                            deadline: .now() + .nanoseconds(Int(CommandSpec.nanoseconds(spec.killGrace)))
                        ) {
                            if !finished.value.load(ordering: .sequentiallyConsistent) { kill(-pid, SIGKILL) }
                        }
                    }
                    timer.resume()
                    defer {
                        finished.value.store(true, ordering: .sequentiallyConsistent)
                        timer.cancel()
                    }
                    var out = ""
                    var err = ""
                    var truncated = false
                    var streamsDone = 0
                    while streamsDone < 2, let next = try await group.next() {
                        switch next {
                        case .stdout(let t, let c):
                            out = t
                            truncated = truncated || c
                            streamsDone += 1
                        case .stderr(let t, let c):
                            err = t
                            truncated = truncated || c
                            streamsDone += 1
                        }
                    }
                    let timedOut = fired.value.load(ordering: .sequentiallyConsistent)
                    return CommandOutcome(
                        exitCode: nil, stdout: out, stderr: err, timedOut: timedOut, truncated: truncated)
                }
            }
            var outcome = result.closureResult
            switch result.terminationStatus {
            case .exited(let code):
                outcome.exitCode = code
                // It ended by itself; the timer may still have fired if this process was too busy to notice soon.
                outcome.timedOut = false
            case .signaled(let signal): outcome.signal = signal
            }
            return outcome
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError(command: spec.description, message: "\(error)")
        }
    }

    /// Set by the timeout task before it signals the child, read after the streams end.
    private final class TimeoutFlag: Sendable {
        let value = Atomic<Bool>(false)
    }

    private enum Drained: Sendable {
        case stdout(String, Bool)
        case stderr(String, Bool)
    }
}
