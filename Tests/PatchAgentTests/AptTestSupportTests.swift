import Foundation
import PatchTestSupport
import Testing

extension Testing.Tag {
    /// Tests that debootstrap (first run, minutes, needs deb.debian.org) or extract a Debian chroot.
    @Tag static var chroot: Self
}

@Suite("AptTestSupport: process runner")
struct AptTestSupportProcessTests {
    @Test func capturesStatusOutputAndInput() throws {
        let result = try TestProcess.run(
            ["sh", "-c", "cat; echo out; echo err >&2; exit 3"], input: "in\n", timeout: .seconds(10))
        #expect(result.status == 3)
        #expect(result.stdout == "in\nout\n")
        #expect(result.stderr == "err\n")
    }

    @Test func checkedFailureNamesTheCommandAndStderr() throws {
        let error = #expect(throws: TestProcessError.self) {
            try TestProcess.runChecked(["ls", "/nonexistent path"], timeout: .seconds(10))
        }
        #expect(error?.kind == .nonZeroExit)
        #expect(error?.description.contains("ls '/nonexistent path'") == true)
        #expect(error?.description.contains("No such file or directory") == true)
    }

    @Test func timeoutKillsTheWholeProcessGroup() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let error = #expect(throws: TestProcessError.self) {
            // The grandchild would keep a pipe open for 60 s; the process group kill ends it too.
            try TestProcess.run(["sh", "-c", "sleep 60 & sleep 60"], timeout: .milliseconds(300))
        }
        #expect(error?.kind == .timedOut)
        #expect(clock.now - start < .seconds(10))
    }

    @Test func missingProgramIsReported() throws {
        let error = #expect(throws: TestProcessError.self) {
            try TestProcess.run(["patchd-no-such-program"], timeout: .seconds(5))
        }
        #expect(error?.kind == .notFound)
    }
}

@Suite("AptTestSupport: .deb builder")
struct AptTestSupportDebTests {
    static let full = DebPackage(
        name: "patchd-demo", version: "1:2.0-1", architecture: "amd64", priority: "important", section: "admin",
        depends: "libc6 (>= 2.36)", preDepends: "dpkg (>= 1.19)", conflicts: "patchd-old", breaks: "patchd-old (<< 2)",
        provides: "patchd-virtual", multiArch: "foreign", description: "demo package\nLine one.\n\nLine two.",
        extraFields: [("Source", "patchd-src")], files: ["/usr/share/doc/patchd-demo/README": "hello\n"],
        conffiles: ["/etc/patchd-demo.conf": "setting = 1\n"], scripts: [.preinst: "true\n"], requiresReboot: true)

    @Test func dpkgDebAcceptsTheBuiltPackage() throws {
        let dir = try TestDirectory.make(prefix: "patchd-debtest")
        defer { try? TestDirectory.remove(dir) }
        let deb = try DebBuilder.build(Self.full, into: dir)
        #expect(deb.hasSuffix("/patchd-demo_2.0-1_amd64.deb"))

        let info = try TestProcess.runChecked(["dpkg-deb", "--info", deb], timeout: .seconds(30)).stdout
        for expected in [
            "Package: patchd-demo", "Version: 1:2.0-1", "Architecture: amd64", "Multi-Arch: foreign",
            "Pre-Depends: dpkg (>= 1.19)", "Depends: libc6 (>= 2.36)", "Conflicts: patchd-old",
            "Breaks: patchd-old (<< 2)", "Provides: patchd-virtual", "Priority: important", "Section: admin",
            "Source: patchd-src", "Description: demo package", " .", "conffiles", "postinst", "preinst",
        ] {
            #expect(info.contains(expected), "dpkg-deb --info lacks \(expected):\n\(info)")
        }
        let field = try TestProcess.runChecked(["dpkg-deb", "--field", deb, "Version"], timeout: .seconds(30))
        #expect(field.stdout == "1:2.0-1\n")
        let contents = try TestProcess.runChecked(["dpkg-deb", "--contents", deb], timeout: .seconds(30)).stdout
        #expect(contents.contains("root/root") && contents.contains("./etc/patchd-demo.conf"))
        let conffiles = try TestProcess.runChecked(
            ["dpkg-deb", "--info", deb, "conffiles"], timeout: .seconds(30)
        ).stdout
        #expect(conffiles == "/etc/patchd-demo.conf\n")
        let postinst = try TestProcess.runChecked(["dpkg-deb", "--info", deb, "postinst"], timeout: .seconds(30)).stdout
        #expect(postinst.hasPrefix("#!/bin/sh\nset -e\n"))
        #expect(postinst.contains("touch /var/run/reboot-required"))
        #expect(postinst.contains(">> /var/run/reboot-required.pkgs"))
    }

    @Test func buildsAreReproducible() throws {
        let a = try TestDirectory.make(prefix: "patchd-debtest")
        let b = try TestDirectory.make(prefix: "patchd-debtest")
        defer {
            try? TestDirectory.remove(a)
            try? TestDirectory.remove(b)
        }
        let first = try DebBuilder.build(Self.full, into: a)
        let second = try DebBuilder.build(Self.full, into: b)
        #expect(FileManager.default.contents(atPath: first) == FileManager.default.contents(atPath: second))
    }

    @Test func architectureAllPackage() throws {
        let dir = try TestDirectory.make(prefix: "patchd-debtest")
        defer { try? TestDirectory.remove(dir) }
        let deb = try DebBuilder.build(DebPackage(name: "patchd-data", version: "3", architecture: "all"), into: dir)
        #expect(deb.hasSuffix("/patchd-data_3_all.deb"))
        let arch = try TestProcess.runChecked(["dpkg-deb", "--field", deb, "Architecture"], timeout: .seconds(30))
        #expect(arch.stdout == "all\n")
    }
}

@Suite("AptTestSupport: repository and isolated apt")
struct AptTestSupportRepositoryTests {
    /// bookworm has hello 1.0-1 and hello-data 1.0-1 (all); bookworm-security has hello 1.0-1+deb12u1.
    static func debianRepository(compressions: Set<AptRepository.Compression> = [.xz, .gz]) throws -> AptRepository {
        let repo = try AptRepository(suites: [.debian(), .debianSecurity()], compressions: compressions)
        try repo.add(
            [
                DebPackage(name: "hello", version: "1.0-1"),
                DebPackage(name: "hello-data", version: "1.0-1", architecture: "all"),
            ], to: "bookworm")
        try repo.add(DebPackage(name: "hello", version: "1.0-1+deb12u1"), to: "bookworm-security")
        try repo.publish()
        return repo
    }

    @Test func publishesASignedRepository() throws {
        let repo = try Self.debianRepository()
        defer { try? repo.remove() }
        let dist = repo.root + "/dists/bookworm-security"
        let release = try String(contentsOfFile: dist + "/Release", encoding: .utf8)
        for field in [
            "Origin: Debian", "Label: Debian-Security", "Suite: bookworm-security", "Codename: bookworm-security",
            "Architectures: amd64 all", "Components: main", "Date: Sat, 01 Jun 2024 00:00:00 UTC",
            " main/binary-amd64/Packages\n", "main/binary-amd64/Packages.xz", "main/binary-all/Packages.gz",
        ] {
            #expect(release.contains(field), "Release lacks \(field):\n\(release)")
        }
        #expect(!release.contains(" Release\n"), "Release must not hash itself")
        let files = try FileManager.default.contentsOfDirectory(atPath: dist + "/main/binary-amd64").sorted()
        #expect(files == ["Packages.gz", "Packages.xz"])
        let key = try TestSigningKey.shared()
        for (signature, signed) in [("InRelease", [String]()), ("Release.gpg", [dist + "/Release"])] {
            let verify = try TestProcess.run(
                ["gpgv", "--keyring", repo.keyring, dist + "/" + signature] + signed, timeout: .seconds(30))
            #expect(verify.status == 0, "gpgv \(signature): \(verify.stderr)")
            #expect(verify.stderr.contains(key.fingerprint.suffix(16)))
        }
    }

    @Test func isolatedAptFetchesBothSuitesWithVerifiedSignatures() throws {
        let before = HostPackageState.capture()
        let repo = try Self.debianRepository()
        defer { try? repo.remove() }
        let apt = try IsolatedApt()
        defer { try? apt.remove() }
        try apt.writeStatus([DpkgStatusEntry("hello", "0.9-1"), DpkgStatusEntry("base-files", "12.4+deb12u5")])
        try apt.addSource(repo, suites: ["bookworm", "bookworm-security"])
        let list = try String(contentsOfFile: apt.sourcesDirectory + "/patchd-test.list", encoding: .utf8)
        #expect(list.contains("[signed-by=\(repo.keyring)] file:\(repo.root) bookworm-security main"))
        #expect(!list.contains("trusted"))

        try apt.update()
        let lists = try apt.listFiles()
        let prefix = repo.root.replacingOccurrences(of: "/", with: "_")
        #expect(lists.contains("\(prefix)_dists_bookworm_InRelease"))
        #expect(lists.contains("\(prefix)_dists_bookworm-security_main_binary-amd64_Packages"))
        // binary-all is fetched where it lists something (hello-data); the empty one in -security is not stored.
        #expect(lists.contains("\(prefix)_dists_bookworm_main_binary-all_Packages"))
        #expect(!lists.contains("\(prefix)_dists_bookworm-security_main_binary-all_Packages"))

        let policy = try apt.aptCache(["policy", "hello"]).stdout
        #expect(policy.contains("Installed: 0.9-1"))
        #expect(policy.contains("Candidate: 1.0-1+deb12u1"))
        #expect(policy.contains("1.0-1+deb12u1 500"))
        #expect(policy.contains("1.0-1 500"))
        let releases = try apt.aptCache(["policy"]).stdout
        #expect(releases.contains("o=Debian,a=bookworm-security,n=bookworm-security,l=Debian-Security,c=main,b=amd64"))
        #expect(releases.contains("o=Debian,a=bookworm,n=bookworm,l=Debian,c=main,b=amd64"))
        let all = try apt.aptCache(["policy", "hello-data"]).stdout
        #expect(all.contains("Candidate: 1.0-1"))

        let upgrade = try apt.aptGet(["-s", "upgrade"]).stdout
        #expect(upgrade.contains("Inst hello [0.9-1] (1.0-1+deb12u1 Debian-Security:12/bookworm-security [amd64])"))

        // Nothing of the host's apt configuration applies.
        let dump = try apt.run(["apt-config", "dump"]).stdout
        #expect(dump.contains("Dir::Etc::parts \"\(apt.root)/etc/apt/apt.conf.d/\";"))
        #expect(!dump.contains("Post-Invoke"), "host apt.conf.d leaked:\n\(dump)")

        let changes = HostPackageState.capture().differences(from: before)
        #expect(changes.isEmpty, "host package state changed:\n\(changes.joined(separator: "\n"))")
    }

    @Test func deb822SourcesAndUbuntuSuitesWithLz4Lists() throws {
        let before = HostPackageState.capture()
        let repo = try AptRepository(suites: [.ubuntu(), .ubuntuPocket("jammy-security")], compressions: [.xz])
        defer { try? repo.remove() }
        try repo.add(DebPackage(name: "openssl", version: "3.0.2-0ubuntu1"), to: "jammy")
        try repo.add(DebPackage(name: "openssl", version: "3.0.2-0ubuntu1.15"), to: "jammy-security")
        try repo.publish()
        let apt = try IsolatedApt(options: .init(listStorage: .compressed(.lz4)))
        defer { try? apt.remove() }
        try apt.writeStatus([DpkgStatusEntry("openssl", "3.0.2-0ubuntu1")])
        try apt.addSource(repo, suites: ["jammy", "jammy-security"], format: .deb822, name: "ubuntu")
        let stanza = try String(contentsOfFile: apt.sourcesDirectory + "/ubuntu.sources", encoding: .utf8)
        #expect(stanza.contains("Suites: jammy jammy-security\n") && stanza.contains("Signed-By: \(repo.keyring)\n"))

        try apt.update()
        let packages = try apt.listFiles().filter { $0.contains("_Packages") }
        // Two binary-amd64 indexes; the binary-all ones are empty (no arch: all packages here) and apt skips them.
        #expect(packages.count == 2, "\(packages)")
        #expect(packages.allSatisfy { $0.hasSuffix("_Packages.lz4") }, "\(packages)")
        let policy = try apt.aptCache(["policy", "openssl"]).stdout
        #expect(policy.contains("Candidate: 3.0.2-0ubuntu1.15"))
        let releases = try apt.aptCache(["policy"]).stdout
        #expect(releases.contains("o=Ubuntu,a=jammy-security,n=jammy,l=Ubuntu,c=main,b=amd64"))
        #expect(HostPackageState.capture().differences(from: before).isEmpty)
    }

    struct ListCase: Sendable, CustomTestStringConvertible {
        var storage: IsolatedApt.ListStorage
        var published: Set<AptRepository.Compression>
        var suffix: String
        var symlink: Bool
        var testDescription: String { "\(storage) from \(published.map(\.rawValue).sorted())" }
    }

    /// What apt leaves in lists for each storage setting, from a repository publishing only compressed indexes
    /// (apt decompresses or re-compresses), or only an uncompressed one (apt then symlinks into the file: repository).
    @Test(arguments: [
        ListCase(storage: .uncompressed, published: [.xz], suffix: "_Packages", symlink: false),
        ListCase(storage: .uncompressed, published: [.uncompressed], suffix: "_Packages", symlink: true),
        ListCase(storage: .uncompressed, published: [.uncompressed, .gz], suffix: "_Packages", symlink: false),
        ListCase(storage: .compressed(.lz4), published: [.gz], suffix: "_Packages.lz4", symlink: false),
        ListCase(storage: .compressed(.lz4), published: [.uncompressed], suffix: "_Packages.lz4", symlink: false),
        ListCase(storage: .compressed(.gz), published: [.xz], suffix: "_Packages.gz", symlink: false),
        ListCase(storage: .compressed(.xz), published: [.gz], suffix: "_Packages.xz", symlink: false),
        ListCase(storage: .compressed(.zst), published: [.xz, .lz4], suffix: "_Packages.zst", symlink: false),
    ])
    func listStorage(_ c: ListCase) throws {
        let (storage, published, suffix, link) = (c.storage, c.published, c.suffix, c.symlink)
        let repo = try Self.debianRepository(compressions: published)
        defer { try? repo.remove() }
        let apt = try IsolatedApt(options: .init(listStorage: storage))
        defer { try? apt.remove() }
        try apt.addSource(repo, suites: ["bookworm"])
        try apt.update()
        let name = try #require(apt.listFiles().first { $0.hasSuffix("_bookworm_main_binary-amd64" + suffix) })
        let attributes = try FileManager.default.attributesOfItem(atPath: apt.listsDirectory + "/" + name)
        #expect((attributes[.type] as? FileAttributeType == .typeSymbolicLink) == link)
        #expect(try apt.aptCache(["policy", "hello"]).stdout.contains("Candidate: 1.0-1"))
    }

    @Test func aWrongKeyIsRejected() throws {
        let repo = try Self.debianRepository()
        defer { try? repo.remove() }
        let other = try TestSigningKey()
        let apt = try IsolatedApt()
        defer { try? apt.remove() }
        try apt.writeSource(
            name: "wrong.list", contents: repo.sourcesListLine(suite: "bookworm", keyring: other.keyring) + "\n")
        let error = #expect(throws: TestProcessError.self) { try apt.update() }
        #expect(error?.stderr.contains("NO_PUBKEY") == true, "\(String(describing: error))")
        #expect(try apt.listFiles().allSatisfy { !$0.contains("Packages") })
    }
}

@Suite("AptTestSupport: Debian chroot", .tags(.chroot), .serialized)
struct AptTestSupportChrootTests {
    @Test(.timeLimit(.minutes(30)))
    func installsFromTheTestRepositoryInsideTheChroot() throws {
        let watched = HostPackageState.defaultPaths + ["/run/reboot-required", "/run/reboot-required.pkgs"]
        let before = HostPackageState.capture(watched)
        let repo = try AptRepository(suites: [.debian(), .debianSecurity()])
        defer { try? repo.remove() }
        try repo.add(
            DebPackage(
                name: "patchd-kernel-demo", version: "1.0-1", conffiles: ["/etc/patchd-demo.conf": "a = 1\n"],
                requiresReboot: true), to: "bookworm")
        try repo.add(DebPackage(name: "patchd-kernel-demo", version: "1.0-2"), to: "bookworm-security")
        try repo.publish()

        var chroot = try DebianChroot()
        defer { try? chroot.destroy() }
        print(
            "patchd-test timings: debootstrap+pack \(chroot.timings.cacheBuild.map { "\($0)" } ?? "cached"), "
                + "extract \(chroot.timings.extract)")
        try chroot.addRepository(repo, suites: ["bookworm"])
        try chroot.runChecked(["apt-get", "update"])
        try chroot.runChecked(["apt-get", "install", "-y", "--no-install-recommends", "patchd-kernel-demo"])

        let status = try chroot.runChecked(["dpkg", "-s", "patchd-kernel-demo"]).stdout
        #expect(status.contains("Status: install ok installed"))
        #expect(status.contains("Version: 1.0-1"))
        #expect(status.contains("/etc/patchd-demo.conf"))
        #expect(FileManager.default.fileExists(atPath: chroot.hostPath("/run/reboot-required")))
        let pkgs = try String(contentsOfFile: chroot.hostPath("/run/reboot-required.pkgs"), encoding: .utf8)
        #expect(pkgs == "patchd-kernel-demo\n")

        // python3-apt came with the image; the chroot's /proc is its own PID namespace.
        try chroot.runChecked(["python3", "-c", "import apt_pkg; apt_pkg.init()"])
        let processes = try chroot.runChecked(["ls", "/proc"]).stdout.split(separator: "\n").filter {
            $0.allSatisfy(\.isNumber)
        }
        #expect(processes.count <= 2, "\(processes)")

        // The chroot's /dev is its own: removing a node there leaves the host's alone.
        try chroot.runChecked(["sh", "-c", "rm /dev/null && echo gone > /dev/null"])
        let hostNull = try FileManager.default.attributesOfItem(atPath: "/dev/null")
        #expect(hostNull[.type] as? FileAttributeType == .typeCharacterSpecial)

        // Nothing mounted on the host, nothing of the host's package state changed.
        #expect(TestDirectory.mountPoints(under: chroot.directory).isEmpty)
        let changes = HostPackageState.capture(watched).differences(from: before)
        #expect(changes.isEmpty, "host package state changed:\n\(changes.joined(separator: "\n"))")
    }

    @Test(.timeLimit(.minutes(30)))
    func aChangedConffileProducesDpkgsPrompt() throws {
        let repo = try AptRepository(suites: [.debian(), .debianSecurity()])
        defer { try? repo.remove() }
        let conf = "/etc/patchd-demo.conf"
        try repo.add(DebPackage(name: "patchd-demo", version: "1.0-1", conffiles: [conf: "a = 1\n"]), to: "bookworm")
        try repo.add(
            DebPackage(name: "patchd-demo", version: "1.0-2", conffiles: [conf: "a = 2\n"]), to: "bookworm-security")
        try repo.publish()
        var chroot = try DebianChroot()
        defer { try? chroot.destroy() }
        try chroot.addRepository(repo, suites: ["bookworm", "bookworm-security"], format: .deb822)
        try chroot.runChecked(["apt-get", "update"])
        try chroot.runChecked(["apt-get", "install", "-y", "patchd-demo=1.0-1"])
        try TestDirectory.write("a = local\n", to: chroot.hostPath(conf))

        let prompted = try chroot.run(["apt-get", "install", "-y", "patchd-demo"])
        #expect(prompted.status != 0)
        // dpkg asks on stderr when stdin is not a terminal, and with stdin at end of file gives up.
        #expect(prompted.stderr.contains("Configuration file '\(conf)'"), "\(prompted.stderr)")
        #expect(prompted.stderr.contains("end of file on stdin at conffile prompt"), "\(prompted.stderr)")

        try chroot.runChecked(["dpkg", "--configure", "-a", "--force-confold"])
        let version = try chroot.runChecked(["dpkg-query", "-W", "-f", "${Version} ${Status}", "patchd-demo"])
        #expect(version.stdout == "1.0-2 install ok installed")
        #expect(try String(contentsOfFile: chroot.hostPath(conf), encoding: .utf8) == "a = local\n")
    }

    @Test(.timeLimit(.minutes(30)))
    func aSecondChrootComesFromTheCacheQuickly() throws {
        _ = try DebianImageCache.ensure(suite: "bookworm")
        let chroot = try DebianChroot()
        defer { try? chroot.destroy() }
        print("patchd-test timings: cached extract \(chroot.timings.extract)")
        #expect(chroot.timings.cacheBuild == nil)
        #expect(chroot.timings.extract < .seconds(60))
        let lists = try FileManager.default.contentsOfDirectory(atPath: chroot.hostPath("/var/lib/apt/lists"))
        #expect(
            lists.filter { $0 != "partial" && $0 != "lock" }.isEmpty, "image should carry no Debian lists: \(lists)")
        let sources = try String(contentsOfFile: chroot.hostPath("/etc/apt/sources.list"), encoding: .utf8)
        #expect(!sources.contains("deb "))
        #expect(try chroot.run(["/usr/sbin/policy-rc.d"]).status == 101)
    }

    @Test func bindTargetsThroughSymlinksAreRefused() throws {
        var chroot = try DebianChroot()
        defer { try? chroot.destroy() }
        // /var/run -> /run is absolute: mounting through it would land on the host's /run.
        #expect(throws: TestSupportError.self) { try chroot.bind("/tmp", at: "/var/run/x") }
    }
}
