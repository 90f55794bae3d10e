import Glibc
import Logging
import PatchTestSupport
import Systemd
import Testing

@Suite("StderrLogHandler lines")
struct StderrLogHandlerTests {
    static func logger(_ pipe: CapturePipe, prefix: Bool = false) -> Logger {
        Logger(label: "patchd.scan") { label in
            StderrLogHandler(label: label, logLevel: .debug, fd: pipe.writeFD, syslogPriorityPrefix: prefix)
        }
    }

    @Test("LEVEL [label] message key=value…, metadata sorted, odd values quoted")
    func lineFormat() throws {
        let pipe = try CapturePipe()
        var logger = Self.logger(pipe)
        logger[metadataKey: "node"] = "web-1"
        logger.warning(
            "3 updates pending",
            metadata: ["count": "3", "origin": "Debian Security", "empty": "", "detail": "a\"b\\c\nd"])
        #expect(
            try pipe.readAvailable()
                == "WARNING [patchd.scan] 3 updates pending count=3 detail=\"a\\\"b\\\\c\\nd\" empty=\"\" node=web-1 "
                + "origin=\"Debian Security\"\n")
    }

    @Test("without metadata, just LEVEL [label] message")
    func noMetadata() throws {
        let pipe = try CapturePipe()
        Self.logger(pipe).debug("starting")
        #expect(try pipe.readAvailable() == "DEBUG [patchd.scan] starting\n")
    }

    @Test("with the syslog prefix, the line starts with <priority> for journald's stream transport")
    func syslogPrefix() throws {
        let pipe = try CapturePipe()
        Self.logger(pipe, prefix: true).critical("disk full")
        #expect(try pipe.readAvailable() == "<2>CRITICAL [patchd.scan] disk full\n")
    }

    @Test("an attached error appears as error.message and error.type")
    func attachedError() throws {
        let pipe = try CapturePipe()
        StderrLogHandler(label: "patchd.scan", fd: pipe.writeFD).log(
            event: LogEvent(
                level: .error, message: "failed", error: AttachedError(), metadata: nil, source: "test", file: #fileID,
                function: #function, line: #line))
        #expect(
            try pipe.readAvailable()
                == "ERROR [patchd.scan] failed error.message=boom error.type=SystemdTests.AttachedError\n")
    }
}

struct AttachedError: Error, CustomStringConvertible {
    var description: String { "boom" }
}

@Suite("PatchdLogging picks journald under systemd, stderr otherwise")
struct PatchdLoggingTests {
    /// `device:inode` of a descriptor, as systemd writes `$JOURNAL_STREAM`.
    static func streamIdentity(of fd: Int32) throws -> String {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw TestSupportError("fstat(\(fd)): errno \(errno)") }
        return "\(status.st_dev):\(status.st_ino)"
    }

    @Test("JOURNAL_STREAM matching stderr and a journal socket: journal")
    func journalWhenBothHold() throws {
        let journal = try DatagramListener(inTemporaryDirectoryNamed: "socket")
        let pipe = try CapturePipe()
        let environment = ["JOURNAL_STREAM": try Self.streamIdentity(of: pipe.writeFD)]
        #expect(
            PatchdLogging.destination(
                environment: environment, journalSocketPath: journal.address, stderrFD: pipe.writeFD)
                == .journal(socketPath: journal.address))
    }

    @Test("JOURNAL_STREAM matching stderr but no journal socket: stderr with priority prefixes")
    func stderrWithPrefixWhenSocketMissing() throws {
        let pipe = try CapturePipe()
        let environment = ["JOURNAL_STREAM": try Self.streamIdentity(of: pipe.writeFD)]
        #expect(
            PatchdLogging.destination(
                environment: environment, journalSocketPath: "/nonexistent-patchd-test/socket", stderrFD: pipe.writeFD)
                == .stderr(syslogPriorityPrefix: true))
        // A regular file where the socket should be is no socket either.
        let directory = try TestDirectory.make(prefix: "patchd-logging")
        defer { try? TestDirectory.remove(directory) }
        try TestDirectory.write("", to: directory + "/socket")
        #expect(
            PatchdLogging.destination(
                environment: environment, journalSocketPath: directory + "/socket", stderrFD: pipe.writeFD)
                == .stderr(syslogPriorityPrefix: true))
    }

    @Test(
        "JOURNAL_STREAM absent, malformed or naming another file: plain stderr",
        arguments: ["absent", "", "garbage", "1:", ":2", "1:2:3", "other"])
    func plainStderr(stream: String) throws {
        let journal = try DatagramListener(inTemporaryDirectoryNamed: "socket")
        let pipe = try CapturePipe()
        let other = try CapturePipe()
        var environment: [String: String] = [:]
        switch stream {
        case "absent": break
        case "other": environment["JOURNAL_STREAM"] = try Self.streamIdentity(of: other.writeFD)
        default: environment["JOURNAL_STREAM"] = stream
        }
        #expect(
            PatchdLogging.destination(
                environment: environment, journalSocketPath: journal.address, stderrFD: pipe.writeFD)
                == .stderr(syslogPriorityPrefix: false))
    }

    @Test("the factory for this process's real stderr: journal handlers that reach the socket")
    func factoryUnderSystemd() throws {
        let journal = try DatagramListener(inTemporaryDirectoryNamed: "socket")
        let environment = ["JOURNAL_STREAM": try Self.streamIdentity(of: 2)]
        let factory = PatchdLogging.bootstrap(
            identifier: "patchd", environment: environment, journalSocketPath: journal.address, logLevel: .debug)
        let handler = factory("patchd.daemon")
        #expect(handler is JournalLogHandler)
        #expect(handler.logLevel == .debug)
        Logger(label: "patchd.daemon", factory: factory).debug("bootstrapped")
        let fields = try parseJournalDatagram(journal.receive())
        #expect(fields[field: "MESSAGE"]?.text == "bootstrapped")
        #expect(fields[field: "SYSLOG_IDENTIFIER"]?.text == "patchd")
        #expect(fields[field: "LOGGER_LABEL"]?.text == "patchd.daemon")
    }

    @Test("the factory outside systemd: stderr handlers")
    func factoryOutsideSystemd() throws {
        let journal = try DatagramListener(inTemporaryDirectoryNamed: "socket")
        let factory = PatchdLogging.bootstrap(
            identifier: "patchd", environment: [:], journalSocketPath: journal.address)
        let handler = try #require(factory("patchd.daemon") as? StderrLogHandler)
        #expect(handler.fd == 2)
        #expect(!handler.syslogPriorityPrefix)
        #expect(handler.logLevel == .info)
    }
}
