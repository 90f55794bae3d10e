import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs child processes for tests: an argv array (never a shell), an optional environment, working directory and
/// standard input, and a timeout after which the child's whole process group is killed.
///
/// Output goes to temporary files rather than pipes, so a chatty child can never block on a full pipe while we
/// wait for it.
public enum TestProcess {
    /// What a finished child left behind.
    public typealias Output = (status: Int32, stdout: String, stderr: String)

    /// Runs `argv` and returns its exit status and output, whatever the status.
    ///
    /// `argv[0]` is looked up in `PATH` (the given environment's, else ours) plus the sbin directories, unless it
    /// contains a slash. `environment` replaces the whole environment when given. A child killed by a signal
    /// reports `128 + signal`, like a shell.
    /// - Throws: `TestProcessError` when the program is missing, cannot start, or outlives `timeout`.
    public static func run(
        _ argv: [String], environment: [String: String]? = nil, currentDirectory: String? = nil,
        input: String? = nil, timeout: Duration
    ) throws -> Output {
        guard let program = argv.first else {
            throw TestProcessError(.launchFailed, argv: argv, message: "empty argv")
        }
        guard let executable = resolve(program, path: environment?["PATH"]) else {
            throw TestProcessError(.notFound, argv: argv, message: "\(program) not found in PATH")
        }
        let scratch = try TestDirectory.make(prefix: "patchd-proc")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let outPath = scratch + "/stdout"
        let errPath = scratch + "/stderr"
        let inPath = scratch + "/stdin"
        for p in [outPath, errPath] { _ = FileManager.default.createFile(atPath: p, contents: nil) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(argv.dropFirst())
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            throw TestProcessError(.launchFailed, argv: argv, message: "cannot open output files in \(scratch)")
        }
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        if let input {
            _ = FileManager.default.createFile(atPath: inPath, contents: Data(input.utf8))
            process.standardInput = FileHandle(forReadingAtPath: inPath)
        } else {
            process.standardInput = FileHandle.nullDevice
        }

        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do {
            try process.run()
        } catch {
            throw TestProcessError(.launchFailed, argv: argv, message: "\(error)")
        }

        let (seconds, attoseconds) = timeout.components
        let wait = Double(seconds) + Double(attoseconds) / 1e18
        var timedOut = false
        if finished.wait(timeout: .now() + wait) == .timedOut {
            timedOut = true
            // Foundation starts every child as the leader of its own process group: kill the group, so that
            // grandchildren (apt's methods, dpkg, a chroot's processes) go too.
            let pid = process.processIdentifier
            kill(-pid, SIGTERM)
            if finished.wait(timeout: .now() + 2) == .timedOut {
                kill(-pid, SIGKILL)
                finished.wait()
            }
        }

        let stdout = String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
        if timedOut {
            throw TestProcessError(
                .timedOut, argv: argv, stdout: stdout, stderr: stderr, message: "killed after \(timeout)")
        }
        let status: Int32 =
            process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return (status, stdout, stderr)
    }

    /// Runs `argv` like `run`, and throws unless it exits with status 0; the error names the full command and
    /// carries its stderr.
    @discardableResult
    public static func runChecked(
        _ argv: [String], environment: [String: String]? = nil, currentDirectory: String? = nil,
        input: String? = nil, timeout: Duration
    ) throws -> Output {
        let result = try run(
            argv, environment: environment, currentDirectory: currentDirectory, input: input, timeout: timeout)
        guard result.status == 0 else {
            throw TestProcessError(
                .nonZeroExit, argv: argv, status: result.status, stdout: result.stdout, stderr: result.stderr,
                message: "exited with status \(result.status)")
        }
        return result
    }

    /// Our environment with `overrides` applied: the usual base for a child that needs one or two variables.
    public static func environment(_ overrides: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(overrides) { _, new in new }
    }

    /// The absolute path `program` would run as, or nil.
    public static func resolve(_ program: String, path: String? = nil) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        let searched = (path ?? ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/local/sbin:/usr/sbin:/sbin"
        for dir in searched.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// `argv` as one line a person can paste into a shell.
    public static func quoted(_ argv: [String]) -> String {
        argv.map { arg in
            let plain = arg.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
            return plain && !arg.isEmpty ? arg : "'" + arg.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}

/// A child process that could not run, timed out, or failed; the description names the full command and its
/// stderr so a failing test says what to run by hand.
public struct TestProcessError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case notFound, launchFailed, timedOut, nonZeroExit }

    public var kind: Kind
    public var argv: [String]
    public var status: Int32?
    public var stdout: String
    public var stderr: String
    public var message: String

    public init(
        _ kind: Kind, argv: [String], status: Int32? = nil, stdout: String = "", stderr: String = "",
        message: String
    ) {
        self.kind = kind
        self.argv = argv
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.message = message
    }

    public var description: String {
        var text = "\(TestProcess.quoted(argv)): \(message)"
        let err = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        if !err.isEmpty { text += "\n--- stderr ---\n" + err }
        let out = stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if kind != .notFound, !out.isEmpty { text += "\n--- stdout (last 40 lines) ---\n" + tail(out, 40) }
        return text
    }

    private func tail(_ text: String, _ lines: Int) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}
