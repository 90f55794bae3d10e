import Foundation
import PatchCore
import PatchTestSupport
import Testing

/// Real installs: a cached Debian 12 minbase chroot, a signed test archive with a normal and a security suite, and
/// the built `patchctl` running inside the chroot (`install --local`), exactly as on a node.
@Suite("Install with real apt in a Debian chroot", .tags(.chroot), .serialized, .timeLimit(.minutes(30)))
struct AptInstallTests {
    /// A node with the test archive configured and the starting versions installed.
    struct Node {
        var chroot: DebianChroot
        let repo: AptRepository

        func patchctl(_ arguments: [String], timeout: Duration = .seconds(600)) throws -> TestProcess.Output {
            try chroot.run(["/opt/patchd/patchctl"] + arguments, timeout: timeout)
        }

        /// The JSON report of an install or scan.
        func report(_ arguments: [String]) throws -> (status: Int32, json: JSONValue, stderr: String) {
            let out = try patchctl(arguments + ["--format", "json"])
            guard let json = try? JSONParser.parse(out.stdout) else {
                throw TestSupportError("no JSON report (status \(out.status)): \(out.stdout)\n\(out.stderr)")
            }
            return (out.status, json, out.stderr)
        }

        func installedVersion(_ name: String) throws -> String? {
            let out = try chroot.run(["dpkg-query", "-W", "-f", "${Status}|${Version}", name])
            let parts = out.stdout.split(separator: "|")
            guard out.status == 0, parts.count == 2, parts[0].hasSuffix(" installed") else { return nil }
            return String(parts[1])
        }

        func destroy() {
            try? chroot.destroy()
            try? repo.remove()
        }
    }

    static func deb(
        _ name: String, _ version: String, depends: String? = nil, conffile: String? = nil, reboot: Bool = false,
        arch: String = "amd64"
    ) -> DebPackage {
        DebPackage(
            name: name, version: version, architecture: arch, depends: depends,
            conffiles: conffile.map { ["/etc/\(name).conf": $0] } ?? [:], requiresReboot: reboot)
    }

    /// The archive: `bookworm` (Origin/Label Debian) and `bookworm-security` (Label Debian-Security).
    static func makeNode(security: [DebPackage], normal: [DebPackage], initial: [String]) throws -> Node {
        let repo = try AptRepository(suites: [.debian(), .debianSecurity()], compressions: [.xz, .gz])
        try repo.add(normal, to: "bookworm")
        try repo.add(security, to: "bookworm-security")
        try repo.publish()
        var chroot = try DebianChroot()
        try chroot.addRepository(repo, suites: ["bookworm", "bookworm-security"])
        // patchctl and the Swift runtime it links, read-only, where the binary's RUNPATH looks.
        let binary = try PatchctlBinary.path()
        try chroot.bind((binary as NSString).deletingLastPathComponent, at: "/opt/patchd")
        try chroot.bind("/opt/swift/usr/lib/swift/linux", at: "/opt/swift/usr/lib/swift/linux")
        try chroot.runChecked(["apt-get", "update", "-q"])
        if !initial.isEmpty {
            try chroot.runChecked(["apt-get", "install", "-y", "-q", "--no-install-recommends"] + initial)
        }
        return Node(chroot: chroot, repo: repo)
    }

    static func patches(_ json: JSONValue) -> [String: JSONValue] {
        guard case .array(let list)? = json["patches"] else { return [:] }
        var out: [String: JSONValue] = [:]
        for p in list { if let name = p["name"]?.stringValue { out[name] = p } }
        return out
    }

    static func count(_ json: JSONValue, _ key: String) -> Int? { json["summary"]?[key]?.integerValue }

    @Test("default baseline: security versions installed, python3-apt first, a non-security dependency refused")
    func securityOnlyInstall() throws {
        let node = try Self.makeNode(
            security: [
                Self.deb("pt-lib", "1.1"),
                Self.deb("pt-tool", "2.0", depends: "pt-dep (>= 1.0)"),
                Self.deb("python3-apt", "99.0"),
                Self.deb("pt-held", "1.1"),
            ],
            normal: [
                Self.deb("pt-lib", "1.0"), Self.deb("pt-lib", "1.2"), Self.deb("pt-tool", "1.0"),
                Self.deb("pt-dep", "1.0"), Self.deb("pt-held", "1.0"),
            ],
            initial: ["pt-lib=1.0", "pt-tool=1.0", "pt-held=1.0"])
        defer { node.destroy() }
        try node.chroot.runChecked(["apt-mark", "hold", "pt-held"])
        let before = try node.installedVersion("python3-apt")
        let logPath = node.chroot.hostPath("/var/log/dpkg.log")
        let logStart = (try? Data(contentsOf: URL(fileURLWithPath: logPath)).count) ?? 0

        let (status, json, stderr) = try node.report(["install", "--local", "--reboot-option", "NoReboot"])
        let patches = Self.patches(json)
        // The newest *security* version, not the newer one from the normal suite.
        #expect(try node.installedVersion("pt-lib") == "1.1", "\(stderr)")
        #expect(patches["pt-lib"]?["state"]?.stringValue == "Installed")
        // pt-tool 2.0 would pull pt-dep from a non-security origin: refused, reported Failed with the reason.
        #expect(try node.installedVersion("pt-tool") == "1.0")
        #expect(try node.installedVersion("pt-dep") == nil)
        #expect(patches["pt-tool"]?["state"]?.stringValue == "Failed")
        let warnings = json["warnings"].map { "\($0)" } ?? ""
        #expect(warnings.contains("pt-dep") && warnings.contains("not a security origin"))
        // The held package stays as it is and stays Missing.
        #expect(try node.installedVersion("pt-held") == "1.0")
        #expect(patches["pt-held"]?["state"]?.stringValue == "Missing")
        // python3-apt went first, to its newest version even though that is not what the baseline needs.
        #expect(try node.installedVersion("python3-apt") == "99.0")
        #expect(before != "99.0")
        let log = String(
            decoding: try Data(contentsOf: URL(fileURLWithPath: logPath)).dropFirst(logStart), as: UTF8.self)
        let upgrades = log.split(separator: "\n").filter { $0.contains(" upgrade ") }.map {
            $0.split(separator: " ")[3].split(separator: ":")[0]
        }
        #expect(upgrades.first == "python3-apt", "\(upgrades)")
        #expect(Self.count(json, "failedCount") == 1)
        #expect(status == 3)
        // A second Scan agrees with what is now on disk.
        let rescan = try node.report(["scan", "--local"])
        #expect(Self.patches(rescan.json)["pt-lib"]?["state"]?.stringValue == "Installed")
    }

    @Test(
        "a rejected dependency: BLOCK refuses the patch that needs it, ALLOW_AS_DEPENDENCY lets it in",
        arguments: ["BLOCK", "ALLOW_AS_DEPENDENCY"])
    func rejectedDependency(action: String) throws {
        let node = try Self.makeNode(
            security: [Self.deb("pt-app", "2.0", depends: "pt-blocked (>= 2.0)"), Self.deb("pt-blocked", "2.0")],
            normal: [Self.deb("pt-app", "1.0")], initial: ["pt-app=1.0"])
        defer { node.destroy() }
        let baseline = """
            {"Name": "reject-test", "OperatingSystem": "DEBIAN",
             "ApprovalRules": {"PatchRules": [{"PatchFilterGroup": {"PatchFilters": [
                {"Key": "PRIORITY", "Values": ["*"]}]}, "ApproveAfterDays": 0}]},
             "RejectedPatches": ["pt-blocked"], "RejectedPatchesAction": "\(action)"}
            """
        try TestDirectory.write(baseline, to: node.chroot.hostPath("/root/baseline.json"))
        let (_, json, stderr) = try node.report(["install", "--local", "--baseline", "/root/baseline.json"])
        let patches = Self.patches(json)
        if action == "BLOCK" {
            #expect(try node.installedVersion("pt-app") == "1.0", "\(stderr)")
            #expect(try node.installedVersion("pt-blocked") == nil)
            #expect(patches["pt-app"]?["state"]?.stringValue == "Failed")
        } else {
            #expect(try node.installedVersion("pt-app") == "2.0", "\(stderr)")
            #expect(try node.installedVersion("pt-blocked") == "2.0")
            #expect(patches["pt-app"]?["state"]?.stringValue == "Installed")
            // Installed as a dependency, rejected: InstalledOther under ALLOW_AS_DEPENDENCY.
            let rescan = try node.report(["scan", "--local", "--baseline", "/root/baseline.json"])
            #expect(Self.patches(rescan.json)["pt-blocked"]?["state"]?.stringValue == "InstalledOther")
        }
    }

    @Test("a changed conffile is kept, a reboot-required package leaves InstalledPendingReboot")
    func conffileAndReboot() throws {
        let node = try Self.makeNode(
            security: [
                Self.deb("pt-conf", "1.1", conffile: "shipped=2\n"), Self.deb("pt-kernel", "1.1", reboot: true),
            ],
            normal: [Self.deb("pt-conf", "1.0", conffile: "shipped=1\n"), Self.deb("pt-kernel", "1.0")],
            initial: ["pt-conf=1.0", "pt-kernel=1.0"])
        defer { node.destroy() }
        try TestDirectory.write("mine=1\n", to: node.chroot.hostPath("/etc/pt-conf.conf"))
        let (status, json, stderr) = try node.report(["install", "--local", "--reboot-option", "NoReboot"])
        #expect(try node.installedVersion("pt-conf") == "1.1", "\(stderr)")
        #expect(try String(contentsOfFile: node.chroot.hostPath("/etc/pt-conf.conf"), encoding: .utf8) == "mine=1\n")
        let patches = Self.patches(json)
        #expect(patches["pt-kernel"]?["state"]?.stringValue == "InstalledPendingReboot")
        #expect(json["summary"]?["rebootRequired"] == .bool(true))
        #expect(json["summary"]?["lastNoRebootInstallOperationTime"]?.stringValue != nil)
        // Pending reboot is not compliant.
        #expect(status == 3)
    }

    @Test("an override list installs exactly what it names, rejected or not")
    func overrideList() throws {
        let node = try Self.makeNode(
            security: [Self.deb("pt-a", "1.1"), Self.deb("pt-b", "1.1")],
            normal: [
                Self.deb("pt-a", "1.0"), Self.deb("pt-b", "1.0"), Self.deb("pt-c", "1.0"), Self.deb("pt-c", "1.5"),
            ],
            initial: ["pt-a=1.0", "pt-b=1.0", "pt-c=1.0"])
        defer { node.destroy() }
        let list = """
            patches:
              - id: 'pt-c.amd64'
                title: '*1.5'
              - id: 'pt-a.*'
            """
        try TestDirectory.write(list, to: node.chroot.hostPath("/root/override.yaml"))
        let (_, _, stderr) = try node.report(["install", "--local", "--install-override-list", "/root/override.yaml"])
        #expect(try node.installedVersion("pt-a") == "1.1", "\(stderr)")
        #expect(try node.installedVersion("pt-b") == "1.0")  // approved by the baseline, but not in the list
        #expect(try node.installedVersion("pt-c") == "1.5")  // not a security update, but named
    }

    @Test("an override list fetched over HTTPS (a private CA), and an untrusted server refused")
    func overrideListOverHTTPS() throws {
        let server = try TLSTestServer()
        var node = try Self.makeNode(
            security: [Self.deb("pt-a", "1.1")],
            normal: [Self.deb("pt-a", "1.0"), Self.deb("pt-b", "1.0"), Self.deb("pt-b", "1.5")],
            initial: ["pt-a=1.0", "pt-b=1.0"])
        defer { node.destroy() }
        try node.chroot.bind(server.directory, at: "/srv/tls")
        try server.serve("override.yaml", "patches:\n  - id: 'pt-b.amd64'\n")
        let url = server.baseURL + "/override.yaml"
        // Without the CA: refused before anything is installed.
        let refused = try node.patchctl(["install", "--local", "--install-override-list", url])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("TLS"), "\(refused.stderr)")
        #expect(try node.installedVersion("pt-b") == "1.0")
        let (_, _, stderr) = try node.report(
            ["install", "--local", "--install-override-list", url, "--ca-file", "/srv/tls/ca.pem"])
        #expect(try node.installedVersion("pt-b") == "1.5", "\(stderr)")
        #expect(try node.installedVersion("pt-a") == "1.0")
    }

    @Test("an interrupted dpkg is repaired first; a held lock gives a clear error after the wait")
    func interruptedDpkgAndLock() throws {
        let node = try Self.makeNode(
            security: [Self.deb("pt-lib", "1.1")], normal: [Self.deb("pt-lib", "1.0")], initial: ["pt-lib=1.0"])
        defer { node.destroy() }
        // Unpacked but not configured: what a dpkg killed half-way leaves.
        try node.chroot.runChecked(
            ["sh", "-c", "cd /root && apt-get download -q pt-lib=1.1 && dpkg --unpack /root/pt-lib_1.1_amd64.deb"])
        let audit = try node.chroot.run(["dpkg", "--audit"])
        #expect(!audit.stdout.isEmpty)
        let (_, json, stderr) = try node.report(["install", "--local"])
        #expect(try node.installedVersion("pt-lib") == "1.1", "\(stderr)")
        #expect("\(json["warnings"] ?? .null)".contains("dpkg --configure -a"))
        #expect(try node.chroot.run(["dpkg", "--audit"]).stdout.isEmpty)

        // Another process holds the dpkg frontend lock for longer than we wait.
        let holder = """
            import fcntl, time
            f = open('/var/lib/dpkg/lock-frontend', 'w')
            fcntl.lockf(f, fcntl.LOCK_EX)
            time.sleep(30)
            """
        try TestDirectory.write(holder, to: node.chroot.hostPath("/root/hold.py"))
        let locked = try node.chroot.run(
            [
                "sh", "-c",
                "python3 /root/hold.py & sleep 1; /opt/patchd/patchctl install --local --lock-wait 2; echo exit=$?",
            ],
            timeout: .seconds(120))
        #expect(locked.stdout.contains("exit=2"), "\(locked.stdout)\n\(locked.stderr)")
        #expect(locked.stderr.contains("dpkg lock"), "\(locked.stderr)")
        #expect(locked.stderr.contains("python3"), "\(locked.stderr)")
    }

    @Test("Debian 8: jessie-backports is disabled for the run and restored, even after a failed install")
    func debian8Workaround() throws {
        let node = try Self.makeNode(
            security: [Self.deb("pt-lib", "1.1", depends: "pt-missing")], normal: [Self.deb("pt-lib", "1.0")],
            initial: ["pt-lib=1.0"])
        defer { node.destroy() }
        // Pretend to be jessie, with a jessie-backports entry (unreachable, as the real one is).
        let osRelease =
            "PRETTY_NAME=\"Debian GNU/Linux 8 (jessie)\"\nID=debian\nVERSION_ID=\"8\"\nVERSION_CODENAME=jessie\n"
        try TestDirectory.write(osRelease, to: node.chroot.hostPath("/etc/os-release"))
        let original = "deb http://archive.invalid/debian jessie-backports main\n"
        try TestDirectory.write(original, to: node.chroot.hostPath("/etc/apt/sources.list"))
        let (_, json, stderr) = try node.report(["install", "--local"])
        // The update in between ran without the dead entry; the install itself failed (unmet dependency).
        #expect(Self.patches(json)["pt-lib"]?["state"]?.stringValue == "Failed", "\(stderr)")
        #expect(try String(contentsOfFile: node.chroot.hostPath("/etc/apt/sources.list"), encoding: .utf8) == original)
        #expect(
            !FileManager.default.fileExists(atPath: node.chroot.hostPath("/var/lib/patchd/debian8-workaround.journal")))

        // A run that died after changing the sources: the journal lets the next run put them back first.
        let journal = """
            {"changes": [{"path": "/etc/apt/sources.list", "original": "deb http://archive.invalid/debian jessie-backports main\\n"}]}
            """
        try TestDirectory.write("#patchd-disabled# " + original, to: node.chroot.hostPath("/etc/apt/sources.list"))
        try TestDirectory.write(journal, to: node.chroot.hostPath("/var/lib/patchd/debian8-workaround.journal"))
        let (_, again, _) = try node.report(["install", "--local", "--no-update"])
        #expect("\(again["warnings"] ?? .null)".contains("restored the APT sources"))
        #expect(try String(contentsOfFile: node.chroot.hostPath("/etc/apt/sources.list"), encoding: .utf8) == original)
    }
}
