import Foundation
import Testing

@testable import PackageManagers

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

@Suite("apt argv builders and output parsers")
struct AptCommandsTests {
    @Test("a real apt-get -s transcript: installs with their old and new versions and every origin")
    func simulation() throws {
        let text = try String(
            contentsOf: fixtures.appendingPathComponent("apt-get-simulate-install.txt"), encoding: .utf8)
        let actions = text.split(separator: "\n").compactMap { AptSimulatedAction(line: String($0)) }
        let installs = actions.filter { $0.kind == .install }
        #expect(installs.count == 8)
        #expect(actions.filter { $0.kind == .configure }.count == 8)
        let gnutls = try #require(installs.first { $0.name == "libgnutls30" })
        #expect(gnutls.oldVersion == "3.7.9-2+deb12u6")
        #expect(gnutls.newVersion == "3.7.9-2+deb12u7")
        #expect(gnutls.arch == "amd64")
        #expect(gnutls.origins.map(\.label) == ["Debian", "Debian-Security"])
        #expect(gnutls.origins.map(\.suite) == ["oldstable", "oldstable-security"])
        let ca = try #require(installs.first { $0.name == "ca-certificates" })
        #expect(ca.arch == "all" && ca.origins.map(\.label) == ["Debian-Security"])
    }

    @Test(
        "other action lines",
        arguments: [
            ("Inst newpkg (1.0 Debian:12.10/oldstable [amd64])", "newpkg", nil, "1.0"),
            ("Remv oldpkg [2.0]", "oldpkg", "2.0", nil),
            (
                "Inst libc6:i386 [2.36-9] (2.36-9+deb12u4 Debian-Security:12/oldstable-security [i386])", "libc6",
                "2.36-9",
                "2.36-9+deb12u4"
            ),
            (
                "Inst libperl5.36 [5.36.0-7+deb12u2] (5.36.0-7+deb12u4 Debian-Security:12/oldstable-security [amd64]) "
                    + "[perl:amd64 ]", "libperl5.36", "5.36.0-7+deb12u2", "5.36.0-7+deb12u4"
            ),
        ] as [(String, String, String?, String?)])
    func actionLines(line: String, name: String, old: String?, new: String?) throws {
        let a = try #require(AptSimulatedAction(line: line))
        #expect(a.name == name && a.oldVersion == old && a.newVersion == new)
        #expect(AptSimulatedAction(line: "Reading package lists...") == nil)
    }

    @Test("status-fd lines, with multi-arch package names")
    func statusLines() {
        #expect(
            AptStatusLine(line: "pmstatus:libc6:amd64:42.8571:Installing libc6 (amd64)")
                == .progress(package: "libc6:amd64", percent: 42.8571, message: "Installing libc6 (amd64)"))
        #expect(
            AptStatusLine(line: "pmerror:pt-lib:57.1429:dependency problems - leaving unconfigured")
                == .error(package: "pt-lib", message: "dependency problems - leaving unconfigured"))
        #expect(
            AptStatusLine(line: "pmconffile:/etc/pt.conf:50.0:'/etc/pt.conf' '/etc/pt.conf.dpkg-new' 1 1")
                == .conffile(file: "/etc/pt.conf"))
        #expect(AptStatusLine(line: "Setting up pt-lib (1.1) ...") == nil)
    }

    @Test(
        "install targets are built only from names, architectures and versions Debian allows",
        arguments: [
            ("libc6", "amd64", "2.36-9+deb12u4", "libc6:amd64=2.36-9+deb12u4"),
            ("g++-12", "amd64", "1:12.2.0-14~bpo", "g++-12:amd64=1:12.2.0-14~bpo"),
            ("-oAPT::Get::Trivial-Only=1", "amd64", "1.0", nil),
            ("pkg", "amd64", "1.0;rm -rf /", nil),
            ("Pkg", "amd64", "1.0", nil),
            ("pkg", "amd64 --force", "1.0", nil),
            ("pkg", "amd64", "-1", nil),
            ("pkg", "amd64", "", nil),
        ] as [(String, String, String, String?)])
    func targets(name: String, arch: String, version: String, expected: String?) {
        #expect(AptCommands.target(name: name, arch: arch, version: version) == expected)
    }

    @Test("argv: apt-get in the root or through chroot, conffiles kept, lock timeout, status on stdout")
    func argv() {
        let local = AptCommands(root: "/", lockTimeoutSeconds: 30).install(["a:amd64=1"], timeout: .seconds(60))
        #expect(local.executable == "/usr/bin/apt-get")
        #expect(local.arguments.contains("DPkg::Lock::Timeout=30"))
        #expect(local.arguments.contains("Dpkg::Options::=--force-confold"))
        #expect(local.arguments.contains("APT::Status-Fd=1"))
        #expect(local.arguments.last == "a:amd64=1")
        #expect(local.environment["DEBIAN_FRONTEND"] == "noninteractive")
        let other = AptCommands(root: "/mnt/node").simulateInstall(["a:amd64=1"], timeout: .seconds(60))
        #expect(other.executable == "/usr/sbin/chroot")
        #expect(Array(other.arguments.prefix(2)) == ["/mnt/node", "/usr/bin/apt-get"])
        #expect(other.arguments.contains("-s"))
    }
}
