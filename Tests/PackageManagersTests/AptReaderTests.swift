import Foundation
import PatchCore
import PatchTestSupport
import Testing

@testable import PackageManagers

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
private func fixture(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: fixtures.appendingPathComponent(name)))
}

@Suite("deb822 scanner")
struct Deb822Tests {
    @Test("fields, continuation lines, comments, CRLF, blank separators")
    func basics() {
        let text =
            "Package: a\r\nVersion: 1.0\nDescription: short\n more\n .\n last\n\n\n# comment\nPackage: b\n \t\nX: y"
        let ps = Deb822Scanner.paragraphs(in: text)
        #expect(ps.count == 3)
        #expect(ps[0]["package"] == "a")
        #expect(ps[0]["Version"] == "1.0")
        #expect(ps[0]["Description"] == "short\nmore\n\nlast")
        #expect(ps[0].line == 1)
        #expect(ps[1]["Package"] == "b" && ps[1].line == 10)
        #expect(ps[2]["X"] == "y" && ps[2].line == 12)
    }

    @Test("keeping only some fields")
    func only() {
        let ps = Deb822Scanner.paragraphs(
            in: "Package: a\nDescription: x\n y\nVersion: 2\n", only: ["package", "VERSION"])
        #expect(ps.count == 1)
        #expect(ps[0].fields.map(\.name) == ["Package", "Version"])
    }

    @Test("any chunking gives the same paragraphs as one piece", arguments: [1, 2, 3, 7, 64, 4096])
    func chunking(size: Int) throws {
        let bytes = try fixture("dpkg-status-sample")
        let whole = Deb822Scanner.paragraphs(in: bytes)
        var scanner = Deb822Scanner()
        var pieces: [Deb822Paragraph] = []
        var offset = 0
        var rng = SplitMix64(seed: UInt64(size))
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 + rng.below(size))
            bytes[offset..<offset + n].withUnsafeBytes { scanner.feed($0) { pieces.append($0) } }
            offset += n
        }
        scanner.finish { pieces.append($0) }
        #expect(whole.count == 120)
        #expect(pieces == whole)
    }
}

@Suite("dpkg status")
struct DpkgStatusTests {
    @Test("a real status file: installed packages, native architecture")
    func realSample() throws {
        let status = DpkgStatus(bytes: try fixture("dpkg-status-sample"))
        #expect(status.installed.count > 100)
        #expect(status.installed.allSatisfy { !$0.version.isEmpty && !$0.arch.isEmpty })
        #expect(status.interrupted.isEmpty)
    }

    @Test("only installed packages count; holds, interrupted states and the native architecture")
    func states() {
        let text = """
            Package: dpkg
            Status: install ok installed
            Architecture: arm64
            Version: 1.21.22

            Package: held
            Status: hold ok installed
            Architecture: arm64
            Version: 1.0

            Package: removed
            Status: deinstall ok config-files
            Architecture: arm64
            Version: 1.0

            Package: broken
            Status: install reinstreq half-installed
            Architecture: arm64
            Version: 1.0

            Package: pending
            Status: install ok triggers-pending
            Architecture: all
            Version: 2.0
            """
        let s = DpkgStatus(bytes: Array(text.utf8))
        #expect(s.installed.map(\.name) == ["dpkg", "held", "pending"])
        #expect(s.held == [PackageKey(name: "held", arch: "arm64")])
        #expect(s.interrupted == ["broken"])
        #expect(s.nativeArchitecture == "arm64")
    }
}

@Suite("APT sources")
struct AptSourcesTests {
    @Test("the host's deb822 file as Debian 12 ships it")
    func hostSources() throws {
        let text = String(decoding: try fixture("host-debian.sources"), as: UTF8.self)
        let (sources, problems) = AptSourcesParser.parseSources(text, file: "debian.sources")
        #expect(problems.isEmpty)
        #expect(sources.map(\.suite) == ["bookworm", "bookworm-updates", "bookworm-security"])
        #expect(sources.allSatisfy { $0.enabled && $0.components == ["main"] })
        #expect(sources[2].uri == "http://deb.debian.org/debian-security")
        #expect(sources[0].signedBy == "/usr/share/keyrings/debian-archive-keyring.gpg")
        #expect(sources[2].location == "debian.sources:8")
    }

    @Test("deb822: several URIs and suites, Enabled: no, architectures, inline keys")
    func deb822Expansion() {
        let text = """
            Types: deb deb-src
            URIs: http://a.example/debian http://b.example/debian
            Suites: bookworm bookworm-updates
            Components: main contrib
            Architectures: amd64 arm64

            Enabled: no
            Types: deb
            URIs: http://c.example/
            Suites: ./

            Types: deb
            URIs: http://d.example/
            Suites: stable
            Components: main
            Signed-By:
             -----BEGIN PGP PUBLIC KEY BLOCK-----
             .
             abc
             -----END PGP PUBLIC KEY BLOCK-----
            """
        let (sources, problems) = AptSourcesParser.parseSources(text, file: "x.sources")
        #expect(problems.isEmpty)
        #expect(sources.count == 10)
        #expect(sources.filter { $0.kind == .deb }.count == 6)
        #expect(sources[0].architectures == ["amd64", "arm64"])
        #expect(sources[8].enabled == false && sources[8].isFlat)
        #expect(sources[9].signedBy == "(inline key)")
    }

    @Test("one-line entries: options, comments, disabled lines, errors with their line")
    func oneLine() {
        let text = """
            deb [arch=amd64,i386 signed-by=/usr/share/keyrings/k.gpg] http://deb.example/debian bookworm main non-free
            # deb http://old.example/debian buster main
            #  just a comment
            deb-src http://deb.example/debian bookworm main   # trailing comment
            deb [trusted=yes] file:/srv/repo ./
            deb http://broken.example/debian
            deb [arch=amd64 http://broken.example/debian bookworm main
            """
        let (sources, problems) = AptSourcesParser.parseList(text, file: "sources.list")
        #expect(sources.count == 4)
        #expect(sources[0].architectures == ["amd64", "i386"])
        #expect(sources[0].signedBy == "/usr/share/keyrings/k.gpg")
        #expect(sources[0].components == ["main", "non-free"])
        #expect(sources[1].enabled == false && sources[1].suite == "buster")
        #expect(sources[2].kind == .debSrc)
        #expect(sources[3].trusted && sources[3].isFlat)
        #expect(
            problems.map(\.description) == [
                "sources.list:6: missing the suite (distribution)", "sources.list:7: unterminated option list '['",
            ])
    }
}

@Suite("APT release files and list names")
struct AptReleaseTests {
    @Test("the real bookworm-security InRelease")
    func securityRelease() throws {
        let r = AptRelease(bytes: try fixture("bookworm-security_InRelease"))
        #expect(r.origin == "Debian")
        #expect(r.label == "Debian-Security")
        #expect(r.codename == "bookworm-security")
        #expect(r.architectures.contains("amd64"))
        #expect(AptInventoryReader.isSecurity(r, os: .debian, codename: "bookworm"))
        #expect(AptInventoryReader.isSecurity(r, os: .raspbian, codename: "bookworm"))
    }

    @Test("clear-signed text: armor headers skipped, dash-escaping undone, signature ignored")
    func clearSigned() {
        let text = """
            -----BEGIN PGP SIGNED MESSAGE-----
            Hash: SHA512

            Origin: Example
            - Label: Example-Security
            Suite: stable-security
            -----BEGIN PGP SIGNATURE-----

            iQIzBAEBCgAdFiEE
            -----END PGP SIGNATURE-----
            """
        let r = AptRelease(bytes: Array(text.utf8))
        #expect(r.origin == "Example" && r.label == "Example-Security" && r.suite == "stable-security")
        let plain = AptRelease(bytes: Array("Origin: Plain\nSuite: x\n".utf8))
        #expect(plain.origin == "Plain" && plain.suite == "x")
    }

    @Test("the real bookworm-updates InRelease is not a security origin")
    func updatesRelease() throws {
        let r = AptRelease(bytes: try fixture("bookworm-updates_InRelease"))
        #expect(r.origin == "Debian" && r.label == "Debian")
        #expect(!AptInventoryReader.isSecurity(r, os: .debian, codename: "bookworm"))
    }

    @Test("Ubuntu: only this release's -security pocket")
    func ubuntuPockets() {
        func release(_ suite: String) -> AptRelease { AptRelease(origin: "Ubuntu", label: "Ubuntu", suite: suite) }
        #expect(AptInventoryReader.isSecurity(release("jammy-security"), os: .ubuntu, codename: "jammy"))
        #expect(!AptInventoryReader.isSecurity(release("jammy-updates"), os: .ubuntu, codename: "jammy"))
        #expect(!AptInventoryReader.isSecurity(release("focal-security"), os: .ubuntu, codename: "jammy"))
        #expect(
            !AptInventoryReader.isSecurity(
                AptRelease(origin: "LP-PPA-x", suite: "jammy-security"), os: .ubuntu, codename: "jammy"))
    }

    @Test(
        "list file names as apt makes them",
        arguments: [
            ("http://deb.debian.org/debian", "bookworm", "deb.debian.org_debian_dists_bookworm_"),
            ("http://deb.debian.org/debian/", "bookworm-security", "deb.debian.org_debian_dists_bookworm-security_"),
            ("https://user:pw@repo.example:8443/a_b", "stable", "repo.example:8443_a%5fb_dists_stable_"),
            ("file:/srv/repo", "bookworm", "_srv_repo_dists_bookworm_"),
            ("file:///srv/repo", "./", "_srv_repo_"),
            ("http://x.example/flat", "sub/", "x.example_flat_sub_"),
        ])
    func listNames(uri: String, suite: String, prefix: String) {
        let source = AptSource(uri: uri, suite: suite, components: suite.hasSuffix("/") ? [] : ["main"])
        #expect(AptListNames.releasePrefix(source) == prefix)
    }

    @Test("the names agree with the lists apt keeps on this machine")
    func hostListNames() throws {
        let text = String(decoding: try fixture("host-debian.sources"), as: UTF8.self)
        let (sources, _) = AptSourcesParser.parseSources(text, file: "debian.sources")
        let lists = try FileManager.default.contentsOfDirectory(atPath: "/var/lib/apt/lists")
        try #require(lists.contains { $0.hasSuffix("InRelease") }, "run apt-get update on this machine first")
        for s in sources {
            let packages = AptListNames.packagesFile(s, component: "main", architecture: "amd64")
            #expect(lists.contains(AptListNames.releasePrefix(s) + "InRelease"), "\(s.suite)")
            #expect(lists.contains { $0.hasPrefix(packages) }, "\(packages)")
        }
    }
}

@Suite("os-release")
struct OSReleaseTests {
    @Test("this machine's Debian 12")
    func debian() throws {
        let r = OSRelease(parsing: String(decoding: try fixture("debian12-os-release"), as: UTF8.self))
        #expect(r.aptOperatingSystem() == .debian)
        #expect(r.product(for: .debian) == "Debian12")
        #expect(r.versionCodename == "bookworm")
    }

    @Test("quoting, Ubuntu, Raspberry Pi OS")
    func others() {
        let ubuntu = OSRelease(
            parsing: "NAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=jammy\n")
        #expect(ubuntu.aptOperatingSystem() == .ubuntu)
        #expect(ubuntu.product(for: .ubuntu) == "Ubuntu22.04")
        let raspbian = OSRelease(parsing: "ID=raspbian\nVERSION_ID='11'\nPRETTY_NAME=\"a \\\"b\\\" c\"\n")
        #expect(raspbian.aptOperatingSystem() == .raspbian)
        #expect(raspbian.product(for: .raspbian) == "Raspbian11")
        #expect(raspbian.prettyName == "a \"b\" c")
        let pi64 = OSRelease(parsing: "ID=debian\nVERSION_ID=\"12\"\n")
        #expect(pi64.aptOperatingSystem(hasRaspberryPiMarker: true) == .raspbian)
        #expect(OSRelease(parsing: "ID=fedora\n").aptOperatingSystem() == nil)
    }
}
