import Glibc
import Systemd
import Testing

@Suite("sd_notify over a real NOTIFY_SOCKET")
struct SystemdNotifierTests {
    enum Kind: String, CaseIterable, Sendable {
        case path, abstract
    }

    /// A listener of `kind` and the notifier that $NOTIFY_SOCKET pointing at it gives.
    static func listenerAndNotifier(_ kind: Kind) throws -> (DatagramListener, SystemdNotifier) {
        let listener =
            switch kind {
            case .path: try DatagramListener(inTemporaryDirectoryNamed: "notify")
            case .abstract: try DatagramListener(abstractPrefix: "patchd-test-notify")
            }
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.address]))
        return (listener, notifier)
    }

    @Test("each notification arrives as exactly the datagram systemd expects", arguments: Kind.allCases)
    func wellKnownAssignments(kind: Kind) throws {
        let (listener, notifier) = try Self.listenerAndNotifier(kind)
        switch kind {
        case .path: #expect(notifier.address == .path(listener.address))
        case .abstract: #expect(notifier.address == .abstract(String(listener.address.dropFirst())))
        }

        try notifier.ready()
        #expect(try listener.receiveText() == "READY=1\n")
        try notifier.status("Scanning 3 of 7 repositories")
        #expect(try listener.receiveText() == "STATUS=Scanning 3 of 7 repositories\n")
        try notifier.watchdog()
        #expect(try listener.receiveText() == "WATCHDOG=1\n")
        try notifier.stopping()
        #expect(try listener.receiveText() == "STOPPING=1\n")
        try notifier.mainPID(4711)
        #expect(try listener.receiveText() == "MAINPID=4711\n")
        try notifier.send([("STATUS", "Installing"), ("X_PATCHD_OPERATION", "op-1")])
        #expect(try listener.receiveText() == "STATUS=Installing\nX_PATCHD_OPERATION=op-1\n")
    }

    @Test("STATUS is kept on one line: CR, LF and CRLF become single spaces")
    func statusIsSingleLine() throws {
        let (listener, notifier) = try Self.listenerAndNotifier(.path)
        try notifier.status("line one\nline two\r\nline three\rend")
        #expect(try listener.receiveText() == "STATUS=line one line two line three end\n")
    }

    @Test("RELOADING=1 carries MONOTONIC_USEC read from CLOCK_MONOTONIC at sending time", arguments: Kind.allCases)
    func reloadingCarriesMonotonicTimestamp(kind: Kind) throws {
        let (listener, notifier) = try Self.listenerAndNotifier(kind)
        let before = monotonicMicroseconds()
        try notifier.reloading()
        let after = monotonicMicroseconds()
        let lines = try listener.receiveText().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(lines.first == "RELOADING=1")
        #expect(lines.last == "")
        let stamp = try #require(lines.dropFirst().first)
        #expect(stamp.hasPrefix("MONOTONIC_USEC="))
        let value = try #require(UInt64(stamp.dropFirst("MONOTONIC_USEC=".count)))
        #expect((before...after).contains(value))
    }

    @Test(
        "messages that would corrupt the protocol are refused with EINVAL and nothing is sent",
        arguments: [
            [("READY", "1\nSTOPPING=1")],
            [("STATUS", "ok\rSTOPPING=1")],
            [("ST=ATUS", "x")],
            [("", "x")],
            [("STATUS", "nul\0byte")],
            [("MAIN\nPID", "1")],
            [],
        ] as [[(String, String)]])
    func refusesMalformedFields(fields: [(String, String)]) throws {
        let (listener, notifier) = try Self.listenerAndNotifier(.path)
        let error = #expect(throws: SystemdError.self) { try notifier.send(fields) }
        #expect(error?.errno == EINVAL)
        #expect(!listener.hasPending(within: .milliseconds(50)))
    }

    @Test("a message longer than the manager reads (4095 bytes) is refused with EMSGSIZE; 4095 bytes go through")
    func sizeLimit() throws {
        let (listener, notifier) = try Self.listenerAndNotifier(.path)
        let fits = String(repeating: "x", count: 4095 - "X_FILL=\n".utf8.count)
        try notifier.send([("X_FILL", fits)])
        #expect(try listener.receive().count == 4095)
        let error = #expect(throws: SystemdError.self) { try notifier.send([("X_FILL", fits + "x")]) }
        #expect(error?.errno == EMSGSIZE)
        #expect(!listener.hasPending(within: .milliseconds(50)))
    }

    @Test("a STATUS too long for one message is cut on a character boundary and ends in …")
    func longStatusIsCut() throws {
        let (listener, notifier) = try Self.listenerAndNotifier(.path)
        // "é" is two bytes; 4087 bytes of room minus 3 for "…" leave 4084 bytes: "x" and 2041 "é" (4083 bytes).
        try notifier.status("x" + String(repeating: "é", count: 5000))
        let text = try listener.receiveText()
        #expect(text == "STATUS=x" + String(repeating: "é", count: 2041) + "…\n")
        #expect(text.utf8.count <= SystemdNotifier.maximumMessageSize)
    }

    @Test("MAINPID must be a process id")
    func mainPIDMustBePositive() throws {
        let (listener, notifier) = try Self.listenerAndNotifier(.path)
        let error = #expect(throws: SystemdError.self) { try notifier.mainPID(0) }
        #expect(error?.errno == EINVAL)
        #expect(!listener.hasPending(within: .milliseconds(50)))
    }

    @Test("nobody listening is an error with the errno, not a crash")
    func nobodyListening() throws {
        let missingPath = SystemdNotifier(address: .path("/nonexistent-patchd-test/notify"))
        let pathError = #expect(throws: SystemdError.self) { try missingPath.ready() }
        #expect(pathError?.errno == ENOENT)
        #expect(pathError?.message.contains("/nonexistent-patchd-test/notify") == true)

        let unboundName = SystemdNotifier(
            address: .abstract("patchd-test-unbound-\(UInt64.random(in: 0...UInt64.max))"))
        let abstractError = #expect(throws: SystemdError.self) { try unboundName.ready() }
        #expect(abstractError?.errno == ECONNREFUSED)
    }

    @Test(
        "NOTIFY_SOCKET values",
        arguments: [
            ("/run/systemd/notify", SystemdNotifier.Address.path("/run/systemd/notify")),
            ("@/org/freedesktop/systemd1/notify", .abstract("/org/freedesktop/systemd1/notify")),
            ("", nil),
            ("@", nil),
            ("run/systemd/notify", nil),
            ("vsock:2:1234", nil),
            ("/" + String(repeating: "x", count: 106), .path("/" + String(repeating: "x", count: 106))),
            ("/" + String(repeating: "x", count: 107), nil),
            ("@" + String(repeating: "x", count: 107), .abstract(String(repeating: "x", count: 107))),
            ("@" + String(repeating: "x", count: 108), nil),
        ] as [(String, SystemdNotifier.Address?)])
    func parsesNotifySocket(value: String, expected: SystemdNotifier.Address?) {
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": value])?.address == expected)
    }

    @Test("no NOTIFY_SOCKET, no notifier")
    func absentWithoutVariable() {
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "1000"]) == nil)
    }
}
