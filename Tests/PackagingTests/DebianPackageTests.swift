import Foundation
import PatchCore
import PatchTestSupport
import Testing

extension Testing.Tag {
    /// Tests that debootstrap (first run, minutes, needs deb.debian.org) or extract a Debian chroot.
    @Tag static var chroot: Self
}

/// The .deb under test: `$PATCHD_DEB` (scripts/test builds it first with packaging/build-deb), else built here by
/// running packaging/build-deb, once per test process. Never skipped: without a package the tests fail.
enum PackageUnderTest {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func path() throws -> String { try located.get() }

    private static let located: Result<String, TestSupportError> = {
        if let given = ProcessInfo.processInfo.environment["PATCHD_DEB"], !given.isEmpty {
            guard FileManager.default.fileExists(atPath: given) else {
                return .failure(TestSupportError("PATCHD_DEB=\(given): no such file"))
            }
            return .success(given)
        }
        do {
            // The release build and dpkg-buildpackage: minutes on a cold scratch directory.
            let out = try TestProcess.runChecked(
                [repository + "/packaging/build-deb"], currentDirectory: repository, timeout: .seconds(3600))
            guard let last = out.stdout.split(separator: "\n").last.map(String.init), last.hasSuffix(".deb"),
                FileManager.default.fileExists(atPath: last)
            else {
                return .failure(TestSupportError("packaging/build-deb did not name a .deb: \(out.stdout)"))
            }
            return .success(last)
        } catch {
            return .failure(TestSupportError("packaging/build-deb failed: \(error)"))
        }
    }()

    static func field(_ deb: String, _ name: String) throws -> String {
        try TestProcess.runChecked(["dpkg-deb", "-f", deb, name], timeout: .seconds(60)).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A copy of `deb` with a lower version, standing in for the previous release: unpacked with `dpkg-deb -R`, its
    /// Version lowered to `<version>~previous`, packed again with `dpkg-deb -b`. Same files, same maintainer
    /// scripts, so an upgrade from it exercises exactly what dpkg does between two builds (without compiling twice).
    /// Uncompressed (-Znone): compressing 130 MB again would take most of the test's time.
    static func previousBuild(of deb: String, into directory: String) throws -> (path: String, version: String) {
        let version = try field(deb, "Version")
        let previous = version + "~previous"
        let tree = directory + "/previous"
        try TestProcess.runChecked(["dpkg-deb", "-R", deb, tree], timeout: .seconds(300))
        let controlPath = tree + "/DEBIAN/control"
        let control = try String(contentsOfFile: controlPath, encoding: .utf8)
        let lines = control.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasPrefix("Version: ") ? "Version: \(previous)" : String($0)
        }
        try TestDirectory.write(lines.joined(separator: "\n"), to: controlPath)
        let path = directory + "/patchd_\(previous)_previous.deb"
        try TestProcess.runChecked(
            ["dpkg-deb", "--root-owner-group", "-Znone", "-b", tree, path], timeout: .seconds(600))
        try TestDirectory.remove(tree)
        return (path, previous)
    }
}

@Suite("The Debian package", .serialized, .timeLimit(.minutes(60)))
struct DebianPackageTests {
    @Test("control fields: Depends from the shared libraries plus libcurl4, the conffile, the files shipped")
    func contents() throws {
        let deb = try PackageUnderTest.path()
        let version = try PackageUnderTest.field(deb, "Version")
        #expect(deb.hasSuffix("/patchd_\(version)_\(try PackageUnderTest.field(deb, "Architecture")).deb"))
        let depends = try PackageUnderTest.field(deb, "Depends").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
        }
        // From dh_shlibdeps (what the binaries link) and by hand (libcurl4: dlopen; apt; adduser).
        for package in ["libc6", "libsqlite3-0", "zlib1g", "liblzma5", "liblz4-1", "libzstd1", "libbz2-1.0"]
            + ["libcurl4", "apt", "adduser"]
        {
            #expect(depends.contains(package), "Depends lacks \(package): \(depends)")
        }
        // The loader must know packed relative relocations (DT_RELR): glibc 2.36 or later.
        #expect(try PackageUnderTest.field(deb, "Depends").contains("libc6 (>= 2.36)"))
        // The Swift runtime is inside the binaries, not a dependency.
        #expect(!depends.contains { $0.lowercased().contains("swift") })

        let listing = try TestProcess.runChecked(["dpkg-deb", "-c", deb], timeout: .seconds(60)).stdout
        let files = Set(
            listing.split(separator: "\n").compactMap { line in
                line.split(separator: " ", omittingEmptySubsequences: true).last.map { String($0.dropFirst()) }
            })
        for path in [
            "/usr/sbin/patchd", "/usr/bin/patchctl", "/etc/patchd/patchd.yaml", "/lib/systemd/system/patchd.service",
            "/lib/systemd/system/patchd.socket", "/usr/share/man/man8/patchd.8.gz", "/usr/share/man/man8/patchctl.8.gz",
            "/usr/share/bash-completion/completions/patchctl", "/usr/share/zsh/vendor-completions/_patchctl",
            "/usr/share/fish/vendor_completions.d/patchctl.fish", "/usr/share/patchd/openapi.yaml",
            "/usr/share/patchd/baselines/DEBIAN.json", "/usr/share/patchd/baselines/UBUNTU.json",
            "/usr/share/patchd/baselines/AMAZON_LINUX_2023.json", "/usr/share/doc/patchd/copyright",
        ] {
            #expect(files.contains(path), "\(path) is not in the package")
        }
        // One baseline per OperatingSystem value.
        let baselines = files.filter { $0.hasPrefix("/usr/share/patchd/baselines/") && $0.hasSuffix(".json") }
        #expect(baselines.count == OperatingSystem.allCases.count)

        let scratch = try TestDirectory.make(prefix: "patchd-deb-control")
        defer { try? TestDirectory.remove(scratch) }
        try TestProcess.runChecked(["dpkg-deb", "-e", deb, scratch + "/DEBIAN"], timeout: .seconds(60))
        let conffiles = try String(contentsOfFile: scratch + "/DEBIAN/conffiles", encoding: .utf8)
        #expect(conffiles.split(separator: "\n") == ["/etc/patchd/patchd.yaml"])
        let unit = try TestProcess.runChecked(
            ["sh", "-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -xOf - ./lib/systemd/system/patchd.service", "sh", deb],
            timeout: .seconds(120)
        ).stdout
        for line in ["Type=notify", "KillMode=mixed", "Restart=on-failure", "Requires=patchd.socket"] {
            #expect(unit.split(separator: "\n").contains { $0 == line }, "patchd.service lacks \(line)")
        }
    }

    @Test(
        "in a clean Debian 12 chroot: install, scan, state and configuration kept by an upgrade, purge removes them",
        .tags(.chroot))
    func lifecycle() throws {
        let deb = try PackageUnderTest.path()
        let version = try PackageUnderTest.field(deb, "Version")
        let work = try TestDirectory.make(prefix: "patchd-deb")
        defer { try? TestDirectory.remove(work) }
        let previous = try PackageUnderTest.previousBuild(of: deb, into: work)
        #expect(
            try TestProcess.run(["dpkg", "--compare-versions", previous.version, "lt", version], timeout: .seconds(10))
                .status == 0)

        let chroot = try DebianChroot()
        defer { try? chroot.destroy() }
        try TestDirectory.makeDirectories(chroot.hostPath("/root/debs"))
        try FileManager.default.copyItem(atPath: previous.path, toPath: chroot.hostPath("/root/debs/previous.deb"))
        try FileManager.default.copyItem(atPath: deb, toPath: chroot.hostPath("/root/debs/current.deb"))

        func installedVersion() throws -> String? {
            let out = try chroot.run(["dpkg-query", "-W", "-f", "${Status}|${Version}", "patchd"])
            let parts = out.stdout.split(separator: "|")
            guard out.status == 0, parts.count == 2, parts[0].hasSuffix(" installed") else { return nil }
            return String(parts[1])
        }

        // dpkg -i, not apt: every dependency must already be in the image (the chroot has no network).
        try chroot.runChecked(["dpkg", "-i", "/root/debs/previous.deb"])
        #expect(try installedVersion() == previous.version)

        // Both programs run with only Debian's libraries: the Swift runtime is linked in.
        #expect(try chroot.runChecked(["patchd", "--version"]).stdout == "patchd \(version)\n")
        #expect(try chroot.runChecked(["patchctl", "--version"]).stdout == "\(version)\n")
        let ldd = try chroot.runChecked(["ldd", "/usr/sbin/patchd", "/usr/bin/patchctl"]).stdout
        #expect(!ldd.contains("not found") && !ldd.contains("swift"), "\(ldd)")

        let scan = try chroot.run(["patchctl", "scan", "--local", "--format", "json"])
        #expect([0, 3].contains(scan.status), "patchctl scan --local: \(scan.status)\n\(scan.stderr)")
        let report = try JSONParser.parse(scan.stdout)
        #expect(report["summary"] != nil, "\(scan.stdout)")

        // The shipped baselines are valid, as patchctl reads them.
        try chroot.runChecked(["sh", "-c", "patchctl baseline validate /usr/share/patchd/baselines/*.json"])
        // libcurl4 (dlopen'ed, so listed in Depends by hand) loads and fetches: an https:// InstallOverrideList
        // from a server on the host's loopback, read and found not to be a list (exit 1), before anything installs.
        let server = try TLSTestServer()
        try server.serve("list.yaml", "just text\n")
        try FileManager.default.copyItem(atPath: server.caFile, toPath: chroot.hostPath("/root/ca.pem"))
        let fetch = try chroot.run([
            "patchctl", "install", "--local", "--no-update", "--ca-file", "/root/ca.pem", "--install-override-list",
            "https://127.0.0.1:\(server.port)/list.yaml",
        ])
        #expect(fetch.status == 1, "\(fetch.status): \(fetch.stderr)")
        #expect(!fetch.stderr.contains("libcurl"), "\(fetch.stderr)")

        // The maintainer scripts: the group, the state directory, the units enabled by deb-systemd-helper (which
        // works without systemd running).
        #expect(try chroot.run(["getent", "group", "patchd"]).status == 0)
        #expect(try chroot.runChecked(["stat", "-c", "%a %U %G", "/var/lib/patchd"]).stdout == "700 root root\n")
        let wants = [
            "/etc/systemd/system/multi-user.target.wants/patchd.service",
            "/etc/systemd/system/sockets.target.wants/patchd.socket",
        ]
        for link in wants {
            #expect(
                (try? FileManager.default.destinationOfSymbolicLink(atPath: chroot.hostPath(link)))?
                    .hasSuffix("/systemd/system/" + (link as NSString).lastPathComponent) == true,
                "\(link) is not a link to the unit")
        }

        // State: patchd started in the chroot runs a Scan through its socket, and stops on SIGTERM.
        let firstIds = try operationIds(afterScanIn: chroot)
        #expect(firstIds.count == 1)
        try TestDirectory.write("kept\n", to: chroot.hostPath("/var/lib/patchd/marker"))
        let configPath = chroot.hostPath("/etc/patchd/patchd.yaml")
        let localConfig = try String(contentsOfFile: configPath, encoding: .utf8) + "\n# Changed on this node.\n"
        try TestDirectory.write(localConfig, to: configPath)
        let stateBefore = try contents(of: chroot.hostPath("/var/lib/patchd"))
        #expect(stateBefore["patchd.sqlite"] != nil, "\(stateBefore.keys)")

        // Upgrade: the state database and the locally changed conffile stay as they were.
        try chroot.runChecked(["dpkg", "-i", "/root/debs/current.deb"])
        #expect(try installedVersion() == version)
        #expect(try contents(of: chroot.hostPath("/var/lib/patchd")) == stateBefore)
        #expect(try String(contentsOfFile: configPath, encoding: .utf8) == localConfig)
        let secondIds = try operationIds(afterScanIn: chroot)
        #expect(secondIds.count == 2 && secondIds.contains(firstIds[0]), "\(firstIds) then \(secondIds)")

        // Remove keeps the state and the configuration; purge removes both and the units' links.
        try chroot.runChecked(["dpkg", "--remove", "patchd"])
        #expect(!FileManager.default.fileExists(atPath: chroot.hostPath("/usr/sbin/patchd")))
        #expect(FileManager.default.fileExists(atPath: chroot.hostPath("/var/lib/patchd/marker")))
        #expect(FileManager.default.fileExists(atPath: configPath))
        try chroot.runChecked(["dpkg", "--purge", "patchd"])
        #expect(try installedVersion() == nil)
        #expect(!FileManager.default.fileExists(atPath: chroot.hostPath("/var/lib/patchd")))
        #expect(!FileManager.default.fileExists(atPath: configPath))
        for link in wants {
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: chroot.hostPath(link))) == nil)
        }
    }

    /// Starts the installed patchd in the chroot (its configuration, the real state directory, a socket of its
    /// own), runs a Scan through it, lists the operations, and stops it with SIGTERM; returns the operation ids.
    func operationIds(afterScanIn chroot: DebianChroot) throws -> [String] {
        let script = """
            set -u
            patchd --socket /run/patchd-test.sock 2>/root/patchd.log &
            pid=$!
            i=0
            while [ ! -S /run/patchd-test.sock ]; do
                i=$((i + 1)); [ "$i" -le 100 ] || { echo "patchd did not start" >&2; cat /root/patchd.log >&2; exit 9; }
                sleep 0.1
            done
            patchctl scan --socket /run/patchd-test.sock --format json >/root/scan.json
            status=$?
            [ "$status" -eq 0 ] || [ "$status" -eq 3 ] || { echo "scan through patchd: $status" >&2; exit 8; }
            patchctl history --socket /run/patchd-test.sock --format json || exit 7
            kill -TERM "$pid"
            wait "$pid" || { echo "patchd exited $?" >&2; cat /root/patchd.log >&2; exit 6; }
            """
        let out = try chroot.runChecked(["sh", "-c", script], timeout: .seconds(300))
        guard case .array(let operations)? = try JSONParser.parse(out.stdout)["operations"] else {
            throw TestSupportError("no operations in: \(out.stdout)")
        }
        return operations.compactMap { $0["id"]?.stringValue }
    }

    /// Every regular file under `directory` (relative path → bytes).
    func contents(of directory: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return result }
        for case let relative as String in walker {
            let path = directory + "/" + relative
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                result[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        }
        return result
    }
}
