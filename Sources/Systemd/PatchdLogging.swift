public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Chooses where patchd logs: journald's native protocol when systemd runs it, stderr lines otherwise.
public enum PatchdLogging {
    public enum Destination: Sendable, Equatable {
        /// Structured entries to journald over the native protocol at this socket.
        case journal(socketPath: String)
        /// Lines on stderr; `syslogPriorityPrefix` when stderr is journald's stream but the native socket is
        /// missing, so that levels still reach the journal as priorities.
        case stderr(syslogPriorityPrefix: Bool)
    }

    /// The destination for this process: the journal when `$JOURNAL_STREAM` names the device and inode of the
    /// descriptor `stderrFD` (systemd connected stderr to the journal and no wrapper redirected it since, as
    /// journald's native protocol document asks clients to check) and `journalSocketPath` is a socket; stderr
    /// otherwise.
    public static func destination(
        environment: [String: String], journalSocketPath: String = JournalSocket.defaultPath, stderrFD: Int32 = 2
    ) -> Destination {
        guard let stream = environment["JOURNAL_STREAM"], stderrIsJournalStream(stream, fd: stderrFD) else {
            return .stderr(syslogPriorityPrefix: false)
        }
        var status = stat()
        guard stat(journalSocketPath, &status) == 0, status.st_mode & S_IFMT == S_IFSOCK else {
            return .stderr(syslogPriorityPrefix: true)
        }
        return .journal(socketPath: journalSocketPath)
    }

    /// The handler factory for `LoggingSystem.bootstrap`: ``JournalLogHandler``s sharing one socket with
    /// `SYSLOG_IDENTIFIER=identifier` when ``destination(environment:journalSocketPath:stderrFD:)`` says journal,
    /// ``StderrLogHandler``s otherwise (also when the journal socket cannot be opened). A function rather than a
    /// bootstrap of its own, so that tests can call it: `LoggingSystem.bootstrap` may run once per process.
    public static func bootstrap(
        identifier: String, environment: [String: String], journalSocketPath: String = JournalSocket.defaultPath,
        logLevel: Logger.Level = .info
    ) -> @Sendable (String) -> any LogHandler {
        switch destination(environment: environment, journalSocketPath: journalSocketPath) {
        case .journal(let path):
            if let socket = try? JournalSocket(path: path) {
                return { label in
                    JournalLogHandler(label: label, identifier: identifier, socket: socket, logLevel: logLevel)
                }
            }
            return { label in StderrLogHandler(label: label, logLevel: logLevel, syslogPriorityPrefix: true) }
        case .stderr(let prefix):
            return { label in StderrLogHandler(label: label, logLevel: logLevel, syslogPriorityPrefix: prefix) }
        }
    }

    /// `$JOURNAL_STREAM` is `device:inode` in decimal; it must match `fstat(fd)`.
    static func stderrIsJournalStream(_ value: String, fd: Int32) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = parseDecimal(String(parts[0])), let inode = parseDecimal(String(parts[1]))
        else { return false }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}
