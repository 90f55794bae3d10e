import Foundation
import PatchCore
import PatchStore
import PatchTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real `patchd` process on a real socket, managing this machine's root read-only (Scans only: nothing in these
/// tests installs on the host).
final class DaemonProcess: @unchecked Sendable {
    // Set once in init; the process handle is only touched from the test's task.
    let directory: String
    let socket: String
    let stateDirectory: String
    let process: Process
    let log: String

    /// `journalStream`: set `JOURNAL_STREAM` to the device and inode of the log file that is patchd's stderr, as
    /// systemd does when it connects stderr to the journal.
    init(
        config: String = "", environment: [String: String] = [:], arguments: [String] = [],
        stateDirectory: String? = nil, wrapper: [String] = [], journalStream: Bool = false
    ) throws {
        directory = try TestDirectory.make(prefix: "patchd-daemon")
        socket = directory + "/patchd.sock"
        self.stateDirectory = stateDirectory ?? directory + "/state"
        log = directory + "/log"
        try TestDirectory.write(config, to: directory + "/patchd.yaml")
        let binary = try BuiltProduct.path("patchd")
        process = Process()
        let argv =
            wrapper + [
                binary, "--config", directory + "/patchd.yaml", "--socket", socket, "--state-dir", self.stateDirectory,
            ]
            + arguments
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        var env = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"]
        for (k, v) in environment { env[k] = v }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        if journalStream {
            var st = stat()
            guard stat(log, &st) == 0 else { throw TestSupportError("stat \(log): errno \(errno)") }
            env["JOURNAL_STREAM"] = "\(st.st_dev):\(st.st_ino)"
        }
        process.environment = env
        let handle = FileHandle(forWritingAtPath: log)!
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    /// Waits until the socket answers.
    func waitUntilServing(timeout: Duration = .seconds(30)) throws {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < timeout {
            if (try? UnixHTTPClient.request(socket, "/v1/status"))?.status == 200 { return }
            guard process.isRunning else {
                throw TestSupportError("patchd exited (\(process.terminationStatus)): \(logText)")
            }
            usleep(50_000)
        }
        throw TestSupportError("patchd did not serve within \(timeout): \(logText)")
    }

    var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    func request(_ method: String = "GET", _ target: String, body: String? = nil) throws -> (Int, JSONValue) {
        let r = try UnixHTTPClient.request(socket, method: method, target, body: body)
        return (r.status, (try? JSONParser.parse(bytes: r.body)) ?? .null)
    }

    func stop(signal: Int32 = SIGTERM) {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
    }

    /// Polls an operation until it is no longer Pending/InProgress.
    func waitForOperation(_ id: String, timeout: Duration = .seconds(120)) throws -> JSONValue {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < timeout {
            let (status, json) = try request("GET", "/v1/operations/\(id)")
            if status == 200, let s = json["status"]?.stringValue, s != "Pending" && s != "InProgress" { return json }
            usleep(100_000)
        }
        throw TestSupportError("operation \(id) did not finish: \(logText)")
    }

    deinit {
        stop(signal: SIGKILL)
        try? TestDirectory.remove(directory)
    }
}

/// A datagram socket that receives what patchd sends to NOTIFY_SOCKET.
final class NotifyListener: @unchecked Sendable {
    // The descriptor is owned here and closed in deinit.
    let path: String
    let fd: Int32

    init(directory: String, name: String = "notify.sock") throws {
        path = directory + "/" + name
        fd = try UnixSocketFixture.bound(.datagram, pathBytes: Array(path.utf8) + [0])
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Datagrams received until `predicate` holds for one of them, or the timeout.
    func receive(until predicate: (String) -> Bool, timeout: Duration = .seconds(20)) -> [String] {
        var got: [String] = []
        let clock = ContinuousClock()
        let start = clock.now
        var buffer = [UInt8](repeating: 0, count: 65536)
        while clock.now - start < timeout {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                let text = String(decoding: buffer[0..<n], as: UTF8.self)
                got.append(text)
                if predicate(text) { break }
            }
        }
        return got
    }

    deinit { close(fd) }
}

@Suite("patchd as a real process", .serialized)
struct DaemonProcessTests {
    @Test("status, a Scan through the API, its patches, history, metrics and explain")
    func scanThroughTheAPI() throws {
        let daemon = try DaemonProcess()
        try daemon.waitUntilServing()
        let (status, json) = try daemon.request("GET", "/v1/status")
        #expect(status == 200)
        #expect(json["state"]?.stringValue == "Idle")
        #expect(json["node"]?["operatingSystem"]?.stringValue == "DEBIAN")

        let (code, started) = try daemon.request("POST", "/v1/operations", body: #"{"operation": "Scan"}"#)
        #expect(code == 202)
        let id = try #require(started["id"]?.stringValue)
        let done = try daemon.waitForOperation(id)
        #expect(done["status"]?.stringValue == "Success", "\(daemon.logText)")
        #expect(done["report"]?["summary"]?["operation"]?.stringValue == "Scan")

        let (_, patches) = try daemon.request("GET", "/v1/patches?state=InstalledOther")
        guard case .array(let list)? = patches["patches"] else { Issue.record("no patches"); return }
        #expect(!list.isEmpty)
        #expect(list.allSatisfy { $0["state"]?.stringValue == "InstalledOther" })
        #expect(try daemon.request("GET", "/v1/patches?state=Bogus").0 == 400)

        let (_, history) = try daemon.request("GET", "/v1/operations")
        if case .array(let ops)? = history["operations"] { #expect(ops.first?["id"]?.stringValue == id) }
        let after = try daemon.request("GET", "/v1/status").1
        #expect(after["lastOperation"]?["id"]?.stringValue == id)
        #expect(after["summary"]?["operation"]?.stringValue == "Scan")

        let metrics = try UnixHTTPClient.request(daemon.socket, "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("patchd_operations{operation=\"Scan\",status=\"Success\"} 1"))

        let (explainStatus, explain) = try daemon.request("GET", "/v1/explain/dpkg")
        #expect(explainStatus == 200)
        #expect(explain["package"]?.stringValue == "dpkg")
        daemon.stop()
        #expect(daemon.process.terminationStatus == 0, "\(daemon.logText)")
    }

    @Test("one operation at a time: the second request gets 409 with the running id")
    func conflict() throws {
        let daemon = try DaemonProcess()
        try daemon.waitUntilServing()
        let first = try daemon.request("POST", "/v1/operations", body: #"{"operation": "Scan"}"#)
        let second = try daemon.request("POST", "/v1/operations", body: #"{"operation": "Scan"}"#)
        #expect(first.0 == 202)
        if second.0 == 409 {
            #expect(second.1["id"]?.stringValue == first.1["id"]?.stringValue)
            #expect(second.1["error"]?.stringValue == "OperationInProgress")
        } else {
            // The first scan was already done: then the second simply starts.
            #expect(second.0 == 202)
        }
        _ = try daemon.waitForOperation(try #require(first.1["id"]?.stringValue))
    }

    @Test(
        "bad requests get a JSON error and the daemon keeps serving",
        arguments: [
            ("GARBAGE\r\n\r\n", 400), ("GET /v1/status HTTP/2.0\r\n\r\n", 505),
            ("POST /v1/operations HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413),
            ("GET /v1/status HTTP/1.1\r\nX: \(String(repeating: "a", count: 20000))\r\n\r\n", 431),
            ("\u{01}\u{02}\u{7F} binary\r\n\r\n", 400),
            ("POST /v1/operations HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411),
        ])
    func garbage(request: String, expected: Int) throws {
        let daemon = try DaemonProcess()
        try daemon.waitUntilServing()
        let raw = try UnixHTTPClient.raw(daemon.socket, Array(request.utf8))
        let response = try UnixHTTPClient.parse(raw)
        #expect(response.status == expected)
        #expect((try? JSONParser.parse(bytes: response.body))?["error"] != nil)
        for body in [
            #"{"operation": "Bogus"}"#, #"{"operation": "Scan", "x": 1}"#, "[1",
            #"{"operation": "Scan", "snapshotId": "nope"}"#,
        ] {
            let (status, json) = try daemon.request("POST", "/v1/operations", body: body)
            #expect(status == 400, "\(body)")
            #expect(json["error"]?.stringValue == "InvalidRequest")
        }
        #expect(try daemon.request("GET", "/v1/status").0 == 200)
        #expect(try daemon.request("DELETE", "/v1/status").0 == 405)
        #expect(try daemon.request("GET", "/v2/anything").0 == 404)
    }

    @Test("many clients at once")
    func concurrentClients() async throws {
        let daemon = try DaemonProcess()
        try daemon.waitUntilServing()
        let socket = daemon.socket
        let statuses = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<100 {
                group.addTask { (try? UnixHTTPClient.request(socket, "/v1/status").status) ?? -1 }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.count == 100)
        #expect(statuses.allSatisfy { $0 == 200 })
    }

    @Test("a group member who is not root may read but not start or cancel operations")
    func authorization() throws {
        let daemon = try DaemonProcess(config: "socket_group: nogroup\n")
        try daemon.waitUntilServing()
        chmod(daemon.directory, 0o755)
        let script = """
            import socket, sys
            def req(method, body=b""):
                s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
                s.sendall(method + b" HTTP/1.1\\r\\nConnection: close\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body) + body)
                out = b""
                while True:
                    d = s.recv(65536)
                    if not d: break
                    out += d
                return out.split(b" ")[1].decode()
            print(req(b"GET /v1/status"), req(b"POST /v1/operations", b'{"operation": "Scan"}'),
                  req(b"POST /v1/operations/00000000-0000-0000-0000-000000000000/cancel"))
            """
        try TestDirectory.write(script, to: daemon.directory + "/client.py")
        let out = try TestProcess.run(
            [
                "/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3",
                daemon.directory + "/client.py", daemon.socket,
            ], timeout: .seconds(30))
        #expect(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "200 403 403", "\(out.stderr)")
    }

    @Test("systemd: READY=1 when serving, STOPPING=1 on SIGTERM, watchdog pings")
    func notify() throws {
        let dir = try TestDirectory.make(prefix: "patchd-notify")
        defer { try? TestDirectory.remove(dir) }
        let listener = try NotifyListener(directory: dir)
        let daemon = try DaemonProcess(environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "400000"])
        let ready = listener.receive(until: { $0.contains("READY=1") })
        #expect(ready.contains { $0.contains("READY=1") }, "\(daemon.logText)")
        try daemon.waitUntilServing()
        let pings = listener.receive(until: { $0.contains("WATCHDOG=1") })
        #expect(pings.contains { $0.contains("WATCHDOG=1") })
        kill(daemon.process.processIdentifier, SIGTERM)
        let stopping = listener.receive(until: { $0.contains("STOPPING=1") })
        #expect(stopping.contains { $0.contains("STOPPING=1") })
        daemon.process.waitUntilExit()
        #expect(daemon.process.terminationStatus == 0)
    }

    @Test("socket activation: serves on the descriptor systemd-socket-activate passes")
    func socketActivation() throws {
        let dir = try TestDirectory.make(prefix: "patchd-activate")
        defer { try? TestDirectory.remove(dir) }
        let activated = dir + "/activated.sock"
        let daemon = try DaemonProcess(wrapper: ["/usr/bin/systemd-socket-activate", "-l", activated])
        // The activator accepts no connection itself: the first client starts patchd with the listening socket.
        var response: UnixHTTPClient.Response?
        for _ in 0..<100 {
            if FileManager.default.fileExists(atPath: activated),
                let r = try? UnixHTTPClient.request(activated, "/v1/status")
            {
                response = r
                break
            }
            usleep(100_000)
        }
        #expect(response?.status == 200, "\(daemon.logText)")
        #expect(daemon.logText.contains("socket systemd passed"))
        // It did not bind its own socket.
        #expect(!FileManager.default.fileExists(atPath: daemon.socket))
    }

    @Test("kill -9 during an operation: the restarted daemon records it as Failed and serves again")
    func killDuringOperation() throws {
        let state = try TestDirectory.make(prefix: "patchd-state")
        defer { try? TestDirectory.remove(state) }
        let first = try DaemonProcess(stateDirectory: state)
        try first.waitUntilServing()
        let (_, started) = try first.request("POST", "/v1/operations", body: #"{"operation": "Scan"}"#)
        let id = try #require(started["id"]?.stringValue)
        first.stop(signal: SIGKILL)
        let second = try DaemonProcess(stateDirectory: state)
        try second.waitUntilServing()
        let (_, op) = try second.request("GET", "/v1/operations/\(id)")
        let status = op["status"]?.stringValue
        // Either the scan finished before the kill, or the restart marked it Failed: never left running.
        #expect(status == "Success" || status == "Failed", "\(op)")
        if status == "Failed" { #expect(op["error"]?.stringValue?.contains("patchd stopped") == true) }
        #expect(try second.request("GET", "/v1/status").1["state"]?.stringValue == "Idle")
    }

    @Test(
        "after a reboot (a new boot id) a RebootIfNeeded install completes once; without one it is retried, then Failed"
    )
    func rebootCompletion() throws {
        let state = try TestDirectory.make(prefix: "patchd-reboot")
        defer { try? TestDirectory.remove(state) }
        let bootFile = state + "/boot_id"
        let marker = state + "/rebooted"
        try TestDirectory.write("11111111-1111-1111-1111-111111111111\n", to: bootFile)
        try TestDirectory.write("#!/bin/sh\necho reboot >> \(marker)\n", to: state + "/reboot.sh", mode: 0o755)
        // An Install that asked for a reboot in boot 1111…, as the runner leaves it before rebooting.
        do {
            let store = try PatchStore(directory: state + "/db")
            let now = UTCInstant(secondsSinceEpoch: 1_795_300_000)
            for (id, attempts) in [("a0000000-0000-0000-0000-000000000001", 1)] {
                try store.create(
                    OperationRecord(
                        id: id, kind: "Install", status: .inProgress, requestJSON: "{}", rebootOption: "RebootIfNeeded",
                        createdAt: now, startedAt: now, bootId: "11111111-1111-1111-1111-111111111111",
                        phase: "awaiting-reboot", rebootAttempts: attempts))
            }
        }
        // The on-exit hook runs once the operation's outcome is final: after the reboot, or once it never came.
        let hookRuns = state + "/on-exit"
        try Self.hook(state, "on-exit", "10-done", marker: hookRuns)
        let config =
            "boot_id_path: \(bootFile)\nreboot_command: [\"\(state)/reboot.sh\"]\nmaximum_reboot_attempts: 2\n"
            + "hooks_directory: \(state)/hooks\n"
        func onExitRuns() -> Int {
            ((try? String(contentsOfFile: hookRuns, encoding: .utf8)) ?? "").split(separator: "\n").count
        }
        // Same boot: the reboot never happened. One more attempt is allowed (2 in all)...
        var daemon = try DaemonProcess(config: config, stateDirectory: state + "/db")
        try daemon.waitUntilServing()
        #expect((try? String(contentsOfFile: marker, encoding: .utf8)) == "reboot\n")
        #expect(onExitRuns() == 0)
        daemon.stop()
        // ...then Failed, not a reboot loop.
        daemon = try DaemonProcess(config: config, stateDirectory: state + "/db")
        try daemon.waitUntilServing()
        let (_, failed) = try daemon.request("GET", "/v1/operations/a0000000-0000-0000-0000-000000000001")
        #expect(failed["status"]?.stringValue == "Failed")
        #expect(failed["error"]?.stringValue?.contains("did not reboot") == true)
        #expect((try? String(contentsOfFile: marker, encoding: .utf8)) == "reboot\n")
        usleep(500_000)
        #expect(onExitRuns() == 1)
        daemon.stop()

        // A second operation waiting for a reboot, and this time the boot id changes: completed once, Success.
        do {
            let store = try PatchStore(directory: state + "/db")
            let now = UTCInstant(secondsSinceEpoch: 1_795_300_100)
            try store.create(
                OperationRecord(
                    id: "a0000000-0000-0000-0000-000000000002", kind: "Install", status: .inProgress, requestJSON: "{}",
                    rebootOption: "RebootIfNeeded", createdAt: now, startedAt: now,
                    bootId: "11111111-1111-1111-1111-111111111111", phase: "awaiting-reboot", rebootAttempts: 1))
        }
        try TestDirectory.write("22222222-2222-2222-2222-222222222222\n", to: bootFile)
        daemon = try DaemonProcess(config: config, stateDirectory: state + "/db")
        try daemon.waitUntilServing()
        let (_, done) = try daemon.request("GET", "/v1/operations/a0000000-0000-0000-0000-000000000002")
        #expect(done["status"]?.stringValue == "Success", "\(daemon.logText)")
        usleep(500_000)
        #expect(onExitRuns() == 2)
        #expect((try? String(contentsOfFile: marker, encoding: .utf8)) == "reboot\n")
    }

    @Test(
        "patchctl over the socket: status, scan following progress, history, patches, explain; a clear word without patchd"
    )
    func patchctlOverTheSocket() throws {
        let daemon = try DaemonProcess()
        try daemon.waitUntilServing()
        let patchctl = try PatchctlBinary.path()
        func run(_ args: [String]) throws -> TestProcess.Output {
            try TestProcess.run([patchctl] + args + ["--socket", daemon.socket], timeout: .seconds(120))
        }
        let status = try run(["status"])
        #expect(status.status == 0)
        #expect(status.stdout.contains("Idle"), "\(status.stdout)\(status.stderr)")
        let scan = try run(["scan", "--format", "json"])
        #expect(scan.status == 0 || scan.status == 3, "\(scan.stderr)")
        let op = try JSONParser.parse(scan.stdout)
        #expect(op["status"]?.stringValue == "Success")
        #expect(op["report"]?["summary"]?["operation"]?.stringValue == "Scan")
        let table = try run(["scan"])
        #expect(table.stdout.contains("Scan of Debian"), "\(table.stdout)")
        #expect(table.stderr.contains("started"))
        let history = try run(["history"])
        #expect(history.stdout.split(separator: "\n").count >= 2)
        let patches = try run(["patches", "--state", "InstalledOther", "--format", "json"])
        #expect(patches.status == 0)
        #expect(try JSONParser.parse(patches.stdout)["patches"] != nil)
        let explain = try run(["explain", "dpkg"])
        #expect(explain.stdout.contains("dpkg."), "\(explain.stdout)\(explain.stderr)")
        daemon.stop()
        let down = try run(["status"])
        #expect(down.status == 2)
        #expect(down.stderr.contains("patchd is not running"), "\(down.stderr)")
    }

    /// A Debian root with nothing in it but its OS and a one-package dpkg database: an Install there runs no
    /// package manager at all (apt-get is not in it), so hooks can be exercised without touching this machine.
    static func emptyDebianRoot(in dir: String) throws -> String {
        let root = dir + "/root"
        try TestDirectory.write(
            "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n", to: root + "/etc/os-release")
        try TestDirectory.write(
            "Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.21.22\n",
            to: root + "/var/lib/dpkg/status")
        return root
    }

    static func hook(_ dir: String, _ stage: String, _ name: String, marker: String, exit: Int = 0) throws {
        try TestDirectory.write(
            "#!/bin/sh\necho \"$PATCHD_HOOK $PATCHD_OPERATION\" >> \(marker)\nexit \(exit)\n",
            to: "\(dir)/hooks/\(stage).d/\(name)", mode: 0o755)
    }

    @Test("hooks run in RunPatchBaselineWithHooks order; a failing pre-install hook stops the install")
    func hooks() throws {
        let dir = try TestDirectory.make(prefix: "patchd-hooks")
        defer { try? TestDirectory.remove(dir) }
        let root = try Self.emptyDebianRoot(in: dir)
        let marker = dir + "/ran"
        try Self.hook(dir, "pre-install", "10-check", marker: marker)
        try Self.hook(dir, "post-install", "10-notify", marker: marker)
        try Self.hook(dir, "on-exit", "10-done", marker: marker)
        let config = "root: \(root)\nhooks_directory: \(dir)/hooks\nupdate_before_install: false\n"
        let daemon = try DaemonProcess(config: config)
        try daemon.waitUntilServing()
        let (_, started) = try daemon.request(
            "POST", "/v1/operations", body: #"{"operation": "Install", "rebootOption": "NoReboot"}"#)
        let done = try daemon.waitForOperation(try #require(started["id"]?.stringValue))
        #expect(done["status"]?.stringValue == "Success", "\(done)\n\(daemon.logText)")
        #expect(
            (try? String(contentsOfFile: marker, encoding: .utf8))
                == "pre-install Install\npost-install Install\non-exit Install\n")

        // A pre-install hook that fails: no install, the operation fails naming the hook, on-exit still runs.
        try FileManager.default.removeItem(atPath: marker)
        try Self.hook(dir, "pre-install", "20-refuse", marker: marker, exit: 3)
        let (_, again) = try daemon.request("POST", "/v1/operations", body: #"{"operation": "Install"}"#)
        let failed = try daemon.waitForOperation(try #require(again["id"]?.stringValue))
        #expect(failed["status"]?.stringValue == "Failed")
        #expect(failed["error"]?.stringValue?.contains("20-refuse") == true, "\(failed)")
        #expect(
            (try? String(contentsOfFile: marker, encoding: .utf8))
                == "pre-install Install\npre-install Install\non-exit Install\n")
        // A Scan runs no hooks.
        try FileManager.default.removeItem(atPath: marker)
        let (_, scan) = try daemon.request("POST", "/v1/operations", body: #"{"operation": "Scan"}"#)
        _ = try daemon.waitForOperation(try #require(scan["id"]?.stringValue))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
