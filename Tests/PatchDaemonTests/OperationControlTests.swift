import Foundation
import PatchCore
import PatchStore
import PatchTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Cancel, deadlines, the events stream as server-sent events, the reboot watch and journald fields, through real
/// patchd processes on empty or test-built roots (nothing is installed on this machine).
@Suite("patchd: cancel, timeouts, SSE, reboot watch, journal fields", .serialized)
struct OperationControlTests {
    /// A daemon managing an empty Debian root whose pre-install hook sleeps `seconds`, then appends to `marker`
    /// (as the on-exit hook does); `start` posts an Install with NoReboot.
    final class SlowInstall {
        let dir: String
        let marker: String
        let daemon: DaemonProcess

        init(_ prefix: String, seconds: Int, config: String = "") throws {
            dir = try TestDirectory.make(prefix: prefix)
            marker = dir + "/ran"
            let root = try DaemonProcessTests.emptyDebianRoot(in: dir)
            try TestDirectory.write(
                "#!/bin/sh\nsleep \(seconds)\necho \"$PATCHD_HOOK\" >> \(marker)\n",
                to: "\(dir)/hooks/pre-install.d/10-slow", mode: 0o755)
            try TestDirectory.write(
                "#!/bin/sh\necho \"$PATCHD_HOOK\" >> \(marker)\n", to: "\(dir)/hooks/on-exit.d/10-done", mode: 0o755)
            daemon = try DaemonProcess(
                config: "root: \(root)\nhooks_directory: \(dir)/hooks\nupdate_before_install: false\n" + config)
            try daemon.waitUntilServing()
        }

        func start() throws -> String {
            let (_, started) = try daemon.request(
                "POST", "/v1/operations", body: #"{"operation": "Install", "rebootOption": "NoReboot"}"#)
            return try #require(started["id"]?.stringValue)
        }

        var ran: String? { try? String(contentsOfFile: marker, encoding: .utf8) }

        deinit { try? TestDirectory.remove(dir) }
    }

    /// A state directory holding an Install that waits for its reboot in boot 1111…, and a reboot command that only
    /// appends to `marker`: the node never goes down.
    struct AwaitingReboot {
        let state: String
        let marker: String
        let config: String

        init(_ prefix: String, id: String, rebootWait: Int) throws {
            state = try TestDirectory.make(prefix: prefix)
            marker = state + "/rebooted"
            try TestDirectory.write("11111111-1111-1111-1111-111111111111\n", to: state + "/boot_id")
            try TestDirectory.write("#!/bin/sh\necho reboot >> \(marker)\n", to: state + "/reboot.sh", mode: 0o755)
            let now = UTCInstant(secondsSinceEpoch: 1_795_300_000)
            try PatchStore(directory: state + "/db").create(
                OperationRecord(
                    id: id, kind: "Install", status: .inProgress, requestJSON: "{}", rebootOption: "RebootIfNeeded",
                    createdAt: now, startedAt: now, bootId: "11111111-1111-1111-1111-111111111111",
                    phase: "awaiting-reboot", rebootAttempts: 1))
            config =
                "boot_id_path: \(state)/boot_id\nreboot_command: [\"\(state)/reboot.sh\"]\nmaximum_reboot_attempts: 3\n"
                + "reboot_wait_seconds: \(rebootWait)\n"
        }

        var reboots: String? { try? String(contentsOfFile: marker, encoding: .utf8) }
    }

    @Test("cancel: the running Install stops at the next safe point, hooks not cut; Cancelled; 409 once ended")
    func cancelRunningInstall() throws {
        let fixture = try SlowInstall("patchd-cancel", seconds: 2)
        let daemon = fixture.daemon
        let id = try fixture.start()
        usleep(500_000)
        let (status, cancelling) = try daemon.request("POST", "/v1/operations/\(id)/cancel")
        #expect(status == 202, "\(cancelling)")
        #expect(cancelling["status"]?.stringValue == "Cancelling")
        let done = try daemon.waitForOperation(id)
        #expect(done["status"]?.stringValue == "Cancelled", "\(done)")
        #expect(done["error"]?.stringValue?.contains("cancelled by uid 0") == true, "\(done)")
        #expect(done["error"]?.stringValue?.contains("stopped before waiting for the dpkg lock") == true, "\(done)")
        // The hook that was running finished (it is never killed by a cancel); on-exit still ran.
        #expect(fixture.ran == "pre-install\non-exit\n")
        // Cancelling what has ended: 409; an unknown id: 404.
        #expect(try daemon.request("POST", "/v1/operations/\(id)/cancel").0 == 409)
        #expect(try daemon.request("POST", "/v1/operations/00000000-0000-0000-0000-000000000000/cancel").0 == 404)
        #expect(try daemon.request("GET", "/v1/status").1["state"]?.stringValue == "Idle")
    }

    @Test("cancel during the dpkg lock wait ends the wait at once")
    func cancelLockWait() throws {
        let dir = try TestDirectory.make(prefix: "patchd-cancel-lock")
        defer { try? TestDirectory.remove(dir) }
        let root = try DaemonProcessTests.emptyDebianRoot(in: dir)
        // Another package manager holds the frontend lock (an fcntl lock, as apt and dpkg take it).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = [
            "-c",
            "import fcntl,sys,time; f=open(sys.argv[1],'w'); fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
            root + "/var/lib/dpkg/lock-frontend",
        ]
        let out = Pipe()
        holder.standardOutput = out
        try holder.run()
        defer {
            kill(holder.processIdentifier, SIGKILL)
            holder.waitUntilExit()
        }
        _ = out.fileHandleForReading.availableData
        let daemon = try DaemonProcess(
            config: "root: \(root)\nupdate_before_install: false\nlock_wait_seconds: 600\n")
        try daemon.waitUntilServing()
        let (_, started) = try daemon.request("POST", "/v1/operations", body: #"{"operation": "Install"}"#)
        let id = try #require(started["id"]?.stringValue)
        // Wait until it is waiting for the lock.
        var waiting = false
        for _ in 0..<100 where !waiting {
            usleep(100_000)
            let progress = try daemon.request("GET", "/v1/status").1["currentOperation"]?["progress"]
            waiting = "\(progress ?? .null)".contains("waiting for the dpkg lock")
        }
        #expect(waiting, "\(daemon.logText)")
        let clock = ContinuousClock()
        let t0 = clock.now
        // patchctl cancel, without an id: the running operation.
        let cancel = try TestProcess.run(
            [try PatchctlBinary.path(), "cancel", "--socket", daemon.socket], timeout: .seconds(30))
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(cancel.stdout == "\(id): cancelling; it stops at its next safe point\n")
        let done = try daemon.waitForOperation(id, timeout: .seconds(10))
        #expect(clock.now - t0 < .seconds(5))
        #expect(done["status"]?.stringValue == "Cancelled", "\(done)")
    }

    @Test("an Install past install_timeout_seconds ends TimedOut at its next safe point")
    func installTimeout() throws {
        let fixture = try SlowInstall("patchd-timeout", seconds: 2, config: "install_timeout_seconds: 1\n")
        let daemon = fixture.daemon
        let done = try daemon.waitForOperation(try fixture.start())
        #expect(done["status"]?.stringValue == "TimedOut", "\(done)")
        #expect(done["error"]?.stringValue?.contains("install_timeout_seconds (1 s)") == true, "\(done)")
        #expect(try daemon.request("GET", "/metrics").0 == 200)
    }

    @Test("a Scan whose reading hangs (a FIFO for a package list) ends TimedOut and the daemon serves on")
    func scanTimeout() throws {
        let dir = try TestDirectory.make(prefix: "patchd-scan-timeout")
        defer { try? TestDirectory.remove(dir) }
        let root = try DaemonProcessTests.emptyDebianRoot(in: dir)
        try TestDirectory.write(
            "deb http://deb.debian.org/debian bookworm main\n", to: root + "/etc/apt/sources.list")
        let lists = root + "/var/lib/apt/lists"
        try TestDirectory.makeDirectories(lists)
        try TestDirectory.write(
            "Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: bookworm\nArchitectures: amd64\nComponents: main\n",
            to: lists + "/deb.debian.org_debian_dists_bookworm_InRelease")
        #expect(mkfifo(lists + "/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages", 0o600) == 0)
        let daemon = try DaemonProcess(config: "root: \(root)\nscan_timeout_seconds: 1\n")
        try daemon.waitUntilServing()
        let (_, started) = try daemon.request("POST", "/v1/operations", body: #"{"operation": "Scan"}"#)
        let done = try daemon.waitForOperation(try #require(started["id"]?.stringValue), timeout: .seconds(20))
        #expect(done["status"]?.stringValue == "TimedOut", "\(done)")
        #expect(done["error"]?.stringValue?.contains("scan_timeout_seconds (1 s)") == true, "\(done)")
        #expect(try daemon.request("GET", "/v1/status").1["state"]?.stringValue == "Idle")
    }

    @Test("events as server-sent events: numbered progress events, resumable with Last-Event-ID, then an end event")
    func serverSentEvents() throws {
        let fixture = try SlowInstall("patchd-sse", seconds: 1)
        let daemon = fixture.daemon
        let id = try fixture.start()
        let stream = try UnixHTTPClient.request(
            daemon.socket, "/v1/operations/\(id)/events", headers: [("Accept", "text/event-stream")])
        #expect(stream.status == 200)
        #expect(stream.header("content-type")?.hasPrefix("text/event-stream") == true)
        let text = String(decoding: stream.body, as: UTF8.self)
        let events = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.first?.hasPrefix("id: 0\nevent: progress\ndata: {\"progress\":") == true, "\(text)")
        #expect(text.contains("Install started"), "\(text)")
        let last = try #require(events.last)
        #expect(last.hasPrefix("event: end\ndata: "), "\(text)")
        let end = try JSONParser.parse(String(last.dropFirst("event: end\ndata: ".count)))
        #expect(end["status"]?.stringValue == "Success", "\(text)")
        // Numbered 0, 1, 2, … without gaps.
        let ids = events.compactMap { e in e.hasPrefix("id: ") ? Int(e.dropFirst(4).prefix { $0 != "\n" }) : nil }
        #expect(ids == Array(0..<ids.count) && ids.count >= 2, "\(ids)")
        // NDJSON stays the default; a bad format is a 400.
        let ndjson = try UnixHTTPClient.request(daemon.socket, "/v1/operations/\(id)/events")
        #expect(ndjson.header("content-type") == "application/x-ndjson")
        #expect(try daemon.request("GET", "/v1/operations/\(id)/events?format=xml").0 == 400)
        let badResume = try UnixHTTPClient.request(
            daemon.socket, "/v1/operations/\(id)/events?format=sse", headers: [("Last-Event-ID", "x")])
        #expect(badResume.status == 400)
    }

    @Test("SSE resume: a client reconnecting with Last-Event-ID gets only the later events")
    func sseResume() throws {
        let fixture = try SlowInstall("patchd-sse-resume", seconds: 2)
        let daemon = fixture.daemon
        let id = try fixture.start()
        usleep(300_000)
        let resumed = try UnixHTTPClient.request(
            daemon.socket, "/v1/operations/\(id)/events?format=sse", headers: [("Last-Event-ID", "0")])
        let text = String(decoding: resumed.body, as: UTF8.self)
        #expect(!text.contains("id: 0\n"), "\(text)")
        #expect(text.contains("id: 1\n"), "\(text)")
        #expect(!text.contains("Install started"), "\(text)")
        #expect(text.contains("event: end"), "\(text)")
    }

    @Test("a node that does not go down after the reboot command is asked again, then the operation fails")
    func rebootWatch() throws {
        let node = try AwaitingReboot("patchd-reboot-watch", id: "b0000000-0000-0000-0000-000000000001", rebootWait: 1)
        defer { try? TestDirectory.remove(node.state) }
        let daemon = try DaemonProcess(config: node.config, stateDirectory: node.state + "/db")
        try daemon.waitUntilServing()
        let done = try daemon.waitForOperation("b0000000-0000-0000-0000-000000000001", timeout: .seconds(20))
        #expect(done["status"]?.stringValue == "Failed", "\(done)")
        #expect(done["error"]?.stringValue == "the node did not reboot after 3 attempt(s)", "\(done)")
        // Attempts 2 and 3 in this process, none after: bounded, never a loop.
        usleep(1_500_000)
        #expect(node.reboots == "reboot\nreboot\n")
    }

    @Test("cancelling an operation that waits for a reboot: Cancelled at once, no further reboot")
    func cancelAwaitingReboot() throws {
        let id = "c0000000-0000-0000-0000-000000000001"
        let node = try AwaitingReboot("patchd-reboot-cancel", id: id, rebootWait: 2)
        defer { try? TestDirectory.remove(node.state) }
        let daemon = try DaemonProcess(config: node.config, stateDirectory: node.state + "/db")
        try daemon.waitUntilServing()
        // While it waits, the node is held: a new operation is refused with its id.
        let (conflict, body) = try daemon.request("POST", "/v1/operations", body: #"{"operation": "Scan"}"#)
        #expect(conflict == 409 && body["id"]?.stringValue == id, "\(body)")
        let (status, cancelled) = try daemon.request("POST", "/v1/operations/\(id)/cancel")
        #expect(status == 200 && cancelled["status"]?.stringValue == "Cancelled", "\(cancelled)")
        let (_, op) = try daemon.request("GET", "/v1/operations/\(id)")
        #expect(op["status"]?.stringValue == "Cancelled")
        #expect(op["error"]?.stringValue?.contains("InstalledPendingReboot") == true, "\(op)")
        // The watch was stopped: no second reboot after reboot_wait_seconds.
        usleep(3_000_000)
        #expect(node.reboots == "reboot\n")
        // The node is free again.
        let (_, scan) = try daemon.request("POST", "/v1/operations", body: #"{"operation": "Scan"}"#)
        #expect(scan["id"] != nil, "\(scan)")
    }

    @Test("journald: structured OPERATION_ID, PACKAGE and PATCH_STATE fields over the native protocol")
    func journalFields() throws {
        let dir = try TestDirectory.make(prefix: "patchd-journal")
        defer { try? TestDirectory.remove(dir) }
        // A Debian 12 root where bookworm-security offers a newer alpha than the installed one.
        let repo = try AptRepository(suites: [.debianSecurity()], compressions: [.xz])
        defer { try? repo.remove() }
        _ = try repo.add(DebPackage(name: "alpha", version: "1.0-1+deb12u2"), to: "bookworm-security")
        try repo.publish()
        let apt = try IsolatedApt()
        defer { try? apt.remove() }
        try TestDirectory.write(
            "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n", to: apt.root + "/etc/os-release")
        try apt.writeStatus([DpkgStatusEntry("alpha", "1.0-1"), DpkgStatusEntry("dpkg", "1.21.22")])
        try apt.addSource(repo, suites: ["bookworm-security"])
        try apt.update()

        let journal = try NotifyListener(directory: dir, name: "journal.sock")
        let daemon = try DaemonProcess(
            config: "root: \(apt.root)\njournal_socket: \(journal.path)\n", journalStream: true)
        try daemon.waitUntilServing()
        let (_, started) = try daemon.request("POST", "/v1/operations", body: #"{"operation": "Scan"}"#)
        let id = try #require(started["id"]?.stringValue)
        let entries = journal.receive(until: { $0.contains("PATCH_STATE=Missing") })
        let operation = try daemon.request("GET", "/v1/operations/\(id)").1
        let patch = try #require(entries.first { $0.contains("PATCH_STATE=Missing") }, "\(entries)\n\(operation)")
        let fields = Set(patch.split(separator: "\n").map(String.init))
        #expect(fields.contains("OPERATION_ID=\(id)"), "\(fields)")
        #expect(fields.contains("PACKAGE=alpha"))
        #expect(fields.contains("PATCH_ID=alpha.amd64"))
        #expect(fields.contains("AVAILABLE_VERSION=1.0-1+deb12u2"))
        #expect(fields.contains("INSTALLED_VERSION=1.0-1"))
        #expect(fields.contains("SYSLOG_IDENTIFIER=patchd"))
        #expect(fields.contains("PRIORITY=5"))
        let summary = journal.receive(until: { $0.contains("MISSING_COUNT=") })
        let end = try #require(summary.first { $0.contains("MISSING_COUNT=") }, "\(summary)")
        #expect(
            end.contains("OPERATION_ID=\(id)\n") && end.contains("MISSING_COUNT=1\n") && end.contains("STATUS=Success"))
        _ = try daemon.waitForOperation(id)
        // Nothing of this went to stderr: the journal took it.
        #expect(!daemon.logText.contains("alpha"), "\(daemon.logText)")
    }
}
