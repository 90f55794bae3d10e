import Glibc
import Logging
import Systemd
import Testing

@Suite("journald native protocol over a real datagram socket")
struct JournalLogHandlerTests {
    /// A listener standing in for journald, and a logger whose handler sends to it.
    static func journal(
        sendBufferSize: Int32 = 8 << 20, logLevel: Logger.Level = .info
    ) throws -> (DatagramListener, Logger) {
        let listener = try DatagramListener(inTemporaryDirectoryNamed: "journal.socket")
        let socket = try JournalSocket(path: listener.address, sendBufferSize: sendBufferSize)
        let logger = Logger(label: "patchd.test") { label in
            JournalLogHandler(label: label, identifier: "patchd", socket: socket, logLevel: logLevel)
        }
        return (listener, logger)
    }

    @Test("an entry carries MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, CODE_* and LOGGER_LABEL as text fields")
    func basicEntry() throws {
        let (listener, logger) = try Self.journal()
        let line = #line + 1
        logger.warning("scan finished")
        let datagram = try listener.receive()
        let fields = try parseJournalDatagram(datagram)

        #expect(
            fields.map(\.name).sorted() == [
                "CODE_FILE", "CODE_FUNC", "CODE_LINE", "LOGGER_LABEL", "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER",
            ])
        #expect(fields.allSatisfy { !$0.binary })
        #expect(fields[field: "MESSAGE"]?.text == "scan finished")
        #expect(fields[field: "PRIORITY"]?.text == "4")
        #expect(fields[field: "SYSLOG_IDENTIFIER"]?.text == "patchd")
        #expect(fields[field: "CODE_FILE"]?.text == #fileID)
        #expect(fields[field: "CODE_LINE"]?.text == String(line))
        #expect(fields[field: "CODE_FUNC"]?.text == #function)
        #expect(fields[field: "LOGGER_LABEL"]?.text == "patchd.test")
        // The text form is literally NAME=value\n.
        #expect(String(decoding: datagram, as: UTF8.self).contains("\nMESSAGE=scan finished\n"))
    }

    @Test("a multi-line message and metadata with newlines use the binary form; metadata names are sanitized")
    func multiLineAndMetadata() throws {
        var (listener, logger) = try Self.journal()
        logger[metadataKey: "operation-id"] = "op-17"
        let message = "apt-get failed:\nE: Unable to locate package foo\n"
        logger.error(
            "\(message)",
            metadata: [
                "package.name": "openssl",
                "stderr": "line 1\nline 2",
                "_trusted": "no",
                "message": "shadow",
                "2fa": "yes",
                "\u{DC}n\u{EF}code key": "v",
            ])
        let datagram = try listener.receive()
        let fields = try parseJournalDatagram(datagram)

        let messageField = try #require(fields[field: "MESSAGE"])
        #expect(messageField.binary)
        #expect(messageField.text == message)
        // Binary form on the wire: MESSAGE\n, the size as a little-endian UInt64, the bytes, \n.
        let size = UInt64(message.utf8.count)
        let expected: [UInt8] =
            Array("MESSAGE\n".utf8) + (0..<8).map { UInt8(truncatingIfNeeded: size >> (8 * $0)) } + Array(message.utf8)
            + [10]
        #expect(datagram.firstRange(of: expected) != nil)

        #expect(fields[field: "PRIORITY"]?.text == "3")
        #expect(fields[field: "OPERATION_ID"]?.text == "op-17")
        #expect(
            fields[field: "PACKAGE_NAME"]
                == JournalField(name: "PACKAGE_NAME", value: Array("openssl".utf8), binary: false))
        #expect(
            fields[field: "STDERR"] == JournalField(name: "STDERR", value: Array("line 1\nline 2".utf8), binary: true))
        #expect(fields[field: "TRUSTED"]?.text == "no")
        #expect(fields[field: "META_MESSAGE"]?.text == "shadow")
        #expect(fields[field: "META_2FA"]?.text == "yes")
        #expect(fields[field: "N_CODE_KEY"]?.text == "v")
        // Every name is one journald accepts from a client.
        for field in fields {
            #expect(field.name.utf8.count <= 64)
            #expect(field.name.first != "_")
            #expect(!(field.name.first?.isNumber ?? true))
            #expect(field.name.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        }
    }

    @Test(
        "swift-log levels map to syslog priorities",
        arguments: [
            (Logger.Level.trace, "7"), (.debug, "7"), (.info, "6"), (.notice, "5"), (.warning, "4"), (.error, "3"),
            (.critical, "2"),
        ])
    func priorities(level: Logger.Level, priority: String) throws {
        let (listener, logger) = try Self.journal(logLevel: .trace)
        logger.log(level: level, "level test")
        #expect(try parseJournalDatagram(listener.receive())[field: "PRIORITY"]?.text == priority)
    }

    @Test("the handler's log level filters before anything is sent")
    func levelFilters() throws {
        let (listener, logger) = try Self.journal(logLevel: .notice)
        logger.info("dropped")
        logger.notice("kept")
        #expect(try parseJournalDatagram(listener.receive())[field: "MESSAGE"]?.text == "kept")
        #expect(!listener.hasPending(within: .milliseconds(50)))
    }

    @Test("an entry too large for one datagram (EMSGSIZE) is sent with its message cut and marked")
    func truncatesOnMessageTooLarge() throws {
        // A 16 KiB send buffer: the kernel doubles it, and refuses datagrams beyond about 32 KiB with EMSGSIZE.
        let (listener, logger) = try Self.journal(sendBufferSize: 16 << 10)
        let long = String(repeating: "0123456789abcdef", count: 6400)  // 102400 bytes
        logger.info("\(long)", metadata: ["package": "openssl"])
        let fields = try parseJournalDatagram(listener.receive())
        let message = try #require(fields[field: "MESSAGE"]).text
        // 64 KiB still does not fit; 8 KiB does.
        #expect(message == String(long.prefix(8192)) + "… [truncated, 102400 bytes]")
        #expect(fields[field: "PACKAGE"]?.text == "openssl")
        #expect(fields[field: "SYSLOG_IDENTIFIER"]?.text == "patchd")
    }

    @Test("truncation does not split a multi-byte character")
    func truncationKeepsUTF8Whole() throws {
        let (listener, logger) = try Self.journal(sendBufferSize: 16 << 10)
        // "é" is two bytes: 1 + 2k puts a character across the 8192-byte cut.
        let long = "x" + String(repeating: "é", count: 50000)
        logger.info("\(long)")
        let message = try #require(try parseJournalDatagram(listener.receive())[field: "MESSAGE"]).text
        #expect(message == "x" + String(repeating: "é", count: 4095) + "… [truncated, 100001 bytes]")
    }

    @Test("when journald cannot be reached, the entry goes to the fallback descriptor as a stderr line")
    func fallsBackWhenUnreachable() throws {
        let pipe = try CapturePipe()
        let socket = try JournalSocket(path: "/nonexistent-patchd-test/journal.socket")
        let logger = Logger(label: "patchd.test") { label in
            JournalLogHandler(label: label, identifier: "patchd", socket: socket, fallbackFD: pipe.writeFD)
        }
        logger.error("journal gone", metadata: ["package": "openssl"])
        #expect(try pipe.readAvailable() == "ERROR [patchd.test] journal gone package=openssl\n")
    }

    @Test(
        "metadata key sanitizing",
        arguments: [
            ("request_id", "REQUEST_ID"),
            ("request.id", "REQUEST_ID"),
            ("Request-Id", "REQUEST_ID"),
            ("_private", "PRIVATE"),
            ("__x", "X"),
            ("9lives", "META_9LIVES"),
            ("_9", "META_9"),
            ("message", "META_MESSAGE"),
            ("PRIORITY", "META_PRIORITY"),
            ("code.file", "META_CODE_FILE"),
            ("message_id", "MESSAGE_ID"),
            ("é", "META"),
            ("", "META"),
            ("___", "META"),
            ("a b\nc=d", "A_B_C_D"),
            (String(repeating: "k", count: 80), String(repeating: "K", count: 64)),
        ])
    func sanitizing(key: String, name: String) {
        #expect(JournalLogHandler.fieldName(forMetadataKey: key) == name)
    }

    @Test("a path too long for sun_path is an error, not a crash")
    func pathTooLong() {
        let error = #expect(throws: SystemdError.self) {
            try JournalSocket(path: "/" + String(repeating: "j", count: 200))
        }
        #expect(error?.errno == ENAMETOOLONG)
    }

    @Test("value semantics: log level and metadata changes do not leak between loggers")
    func valueSemantics() throws {
        var (listener, first) = try Self.journal()
        first[metadataKey: "only-on"] = "first"
        var second = first
        second.logLevel = .error
        second[metadataKey: "only-on"] = "second"
        #expect(first.logLevel == .info)
        #expect(first[metadataKey: "only-on"] == "first")
        first.info("from first")
        #expect(try parseJournalDatagram(listener.receive())[field: "ONLY_ON"]?.text == "first")
        second.info("filtered")
        second.error("from second")
        #expect(try parseJournalDatagram(listener.receive())[field: "ONLY_ON"]?.text == "second")
    }
}
