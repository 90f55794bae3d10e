import Foundation
import PatchAgent
import PatchCore
import PatchTestSupport
import Testing

// Scans of private APT roots that real apt filled (`apt-get update` from signed `file:` repositories), checked
// against what the baseline says and against what apt itself would upgrade; and one scan of this machine.

// MARK: - Reading reports

/// One entry of a scan's JSON report.
struct ScanJSONPatch: Sendable, Equatable, CustomStringConvertible {
    var id: String
    var name: String
    var arch: String
    var state: String
    var installedVersion: String?
    var availableVersion: String?
    var repository: String?
    var security: Bool

    var description: String {
        "\(id) \(state) \(installedVersion ?? "-") -> \(availableVersion ?? "-") from \(repository ?? "-")"
    }
}

/// The summary counts a test pins down.
struct ScanStateCounts: Sendable, Equatable, CustomStringConvertible {
    var installed = 0
    var installedOther = 0
    var installedRejected = 0
    var missing = 0
    var notApplicable = 0

    var description: String {
        "Installed \(installed), InstalledOther \(installedOther), InstalledRejected \(installedRejected), "
            + "Missing \(missing), NotApplicable \(notApplicable)"
    }
}

/// A scan's JSON report (`AptScan`'s report or `patchctl scan --format json`), read with Foundation's parser rather
/// than patchd's own.
struct ScanJSONReport: Sendable {
    var counts: [String: Int]
    var compliant: Bool
    var patches: [ScanJSONPatch]
    var warnings: [String]
    /// patchctl's exit status (nil in-process).
    var exitStatus: Int32?

    init(json: String, exitStatus: Int32? = nil) throws {
        self.exitStatus = exitStatus
        let top = try #require(
            try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "not a JSON object:\n\(json)")
        let summary = try #require(top["summary"] as? [String: Any], "no summary")
        var counts: [String: Int] = [:]
        for (key, value) in summary {
            if key.hasSuffix("Count"), let n = value as? Int { counts[key] = n }
        }
        self.counts = counts
        compliant = try #require(summary["compliant"] as? Bool, "no compliant flag")
        warnings = try #require(top["warnings"] as? [String], "no warnings array")
        let entries = try #require(top["patches"] as? [[String: Any]], "no patches array")
        patches = try entries.map { e in
            ScanJSONPatch(
                id: try #require(e["id"] as? String), name: try #require(e["name"] as? String),
                arch: try #require(e["arch"] as? String), state: try #require(e["state"] as? String),
                installedVersion: e["installedVersion"] as? String, availableVersion: e["availableVersion"] as? String,
                repository: e["repository"] as? String, security: e["security"] as? Bool ?? false)
        }
    }

    var stateCounts: ScanStateCounts {
        ScanStateCounts(
            installed: counts["installedCount"] ?? -1, installedOther: counts["installedOtherCount"] ?? -1,
            installedRejected: counts["installedRejectedCount"] ?? -1, missing: counts["missingCount"] ?? -1,
            notApplicable: counts["notApplicableCount"] ?? -1)
    }

    /// The same counts, tallied from the listed patches (the report lists NotApplicable ones when asked to).
    var listedCounts: ScanStateCounts {
        func n(_ state: String) -> Int { patches.count { $0.state == state } }
        return ScanStateCounts(
            installed: n("Installed"), installedOther: n("InstalledOther"), installedRejected: n("InstalledRejected"),
            missing: n("Missing"), notApplicable: n("NotApplicable"))
    }

    func patch(_ id: String) -> ScanJSONPatch? { patches.first { $0.id == id } }

    /// id → target version of every Missing patch.
    var missing: [String: String] {
        var out: [String: String] = [:]
        for p in patches where p.state == "Missing" { out[p.id] = p.availableVersion ?? "" }
        return out
    }

    /// The ids in `state`, sorted.
    func ids(_ state: String) -> [String] { patches.filter { $0.state == state }.map(\.id).sorted() }
}

// MARK: - Running scans

enum ScanRunner {
    /// A fixed operation time: Debian and Ubuntu ignore approval delays, so it changes nothing but the report.
    static let operationTime = UTCInstant(secondsSinceEpoch: 1_717_200_000)

    static func baseline(_ json: String, for os: OperatingSystem) throws -> PatchBaseline {
        let read = BaselineReader.read(json)
        try #require(read.isValid, "test baseline invalid: \(read.problems)")
        return try #require(read.document?.baseline(for: os))
    }

    /// `AptScan.run` in this process, its JSON report with NotApplicable patches listed.
    static func inProcess(_ root: String, baseline: PatchBaseline? = nil) throws -> ScanJSONReport {
        var options = AptScan.Options(root: root, baseline: baseline, operationTime: operationTime)
        options.includeNotApplicable = true
        let outcome = try AptScan.run(options, clock: { operationTime })
        return try ScanJSONReport(json: JSONWriter.write(outcome.report.json(includeNotApplicable: true)))
    }

    /// The real `patchctl scan --root ROOT --format json --include-not-applicable [--baseline FILE]`.
    static func patchctl(_ root: String, baselineJSON: String? = nil) throws -> ScanJSONReport {
        var argv = [try PatchctlBinary.path(), "scan", "--root", root, "--format", "json", "--include-not-applicable"]
        var scratch: String?
        if let baselineJSON {
            let dir = try TestDirectory.make(prefix: "patchd-scan-baseline")
            scratch = dir
            try TestDirectory.write(baselineJSON, to: dir + "/baseline.json")
            argv += ["--baseline", dir + "/baseline.json"]
        }
        defer { if let scratch { try? TestDirectory.remove(scratch) } }
        let result = try TestProcess.run(argv, timeout: .seconds(120))
        try #require(
            result.status == 0 || result.status == 3,
            "\(TestProcess.quoted(argv)) exited \(result.status):\n\(result.stderr)")
        return try ScanJSONReport(json: result.stdout, exitStatus: result.status)
    }
}

// MARK: - What apt would do

/// One `Inst` line of `apt-get -s`: `Inst name [old] (new Label:Version/Archive[, ...] [arch])`.
struct AptSimulatedUpgrade: Sendable, CustomStringConvertible {
    struct Release: Sendable, Equatable {
        var label: String
        var archive: String
    }

    var name: String
    var arch: String
    var from: String
    var to: String
    var releases: [Release]
    var line: String

    var description: String { line }

    /// The upgrades in `apt-get -s` output: not new installs, and not reinstalls of the installed version (apt
    /// reinstalls a version whose status entry differs from the repository's, as a hand-written status file's do).
    static func parse(_ output: String) -> [AptSimulatedUpgrade] {
        output.split(separator: "\n").compactMap { parse(line: String($0)) }.filter { $0.from != $0.to }
    }

    static func parse(line: String) -> AptSimulatedUpgrade? {
        guard line.hasPrefix("Inst ") else { return nil }
        var rest = Substring(line.dropFirst(5))
        guard let space = rest.firstIndex(of: " ") else { return nil }
        let fullName = rest[..<space]
        rest = rest[rest.index(after: space)...]
        // A package that is not installed yet has no [old] part: not an upgrade.
        guard rest.hasPrefix("["), let close = rest.firstIndex(of: "]") else { return nil }
        let from = String(rest[rest.index(after: rest.startIndex)..<close])
        rest = rest[rest.index(after: close)...]
        guard let open = rest.firstIndex(of: "("), let end = rest[open...].firstIndex(of: ")") else { return nil }
        var inner = rest[rest.index(after: open)..<end]
        guard let versionEnd = inner.firstIndex(of: " ") else { return nil }
        let to = String(inner[..<versionEnd])
        inner = inner[inner.index(after: versionEnd)...]
        var arch = ""
        if let bracket = inner.lastIndex(of: "["), inner.hasSuffix("]") {
            arch = String(inner[inner.index(after: bracket)..<inner.index(before: inner.endIndex)])
            inner = inner[..<bracket]
        }
        let releases = inner.split(separator: ",").map { part -> Release in
            let r = part.trimmingCharacters(in: .whitespaces)
            let colon = r.firstIndex(of: ":")
            let label = colon.map { String(r[..<$0]) } ?? ""
            let afterLabel = colon.map { r[r.index(after: $0)...] } ?? r[...]
            let archive = afterLabel.lastIndex(of: "/").map { String(afterLabel[afterLabel.index(after: $0)...]) }
            return Release(label: label, archive: archive ?? String(afterLabel))
        }
        let name = fullName.split(separator: ":").first.map(String.init) ?? String(fullName)
        return AptSimulatedUpgrade(name: name, arch: arch, from: from, to: to, releases: releases, line: line)
    }

    /// Whether apt's candidate comes from the OS's security archive: Debian's Debian-Security label (Raspberry Pi OS
    /// too), Ubuntu's `<codename>-security` pocket published by Ubuntu.
    func fromSecurity(os: OperatingSystem, codename: String) -> Bool {
        releases.contains { r in
            os == .ubuntu ? r.label == "Ubuntu" && r.archive == "\(codename)-security" : r.label == "Debian-Security"
        }
    }
}

/// Debian version order from the real dpkg.
private func dpkgVersion(_ a: String, isGreaterThan b: String) throws -> Bool {
    let result = try TestProcess.run(["dpkg", "--compare-versions", a, "gt", b], timeout: .seconds(30))
    guard result.status == 0 || result.status == 1 else {
        throw TestSupportError("dpkg --compare-versions \(a) gt \(b): \(result.stderr)")
    }
    return result.status == 0
}

// MARK: - Test roots

/// Baselines the tests evaluate.
enum ScanTestBaselines {
    /// Every PRIORITY, no delay, non-security updates too: the newest version from any suite.
    static func enableNonSecurity(_ os: OperatingSystem) -> String {
        """
        {
          "Name": "patchd-test-enable-non-security",
          "OperatingSystem": "\(os.rawValue)",
          "GlobalFilters": {"PatchFilters": [{"Key": "PRODUCT", "Values": ["*"]}]},
          "ApprovalRules": {"PatchRules": [{
            "PatchFilterGroup": {"PatchFilters": [
              {"Key": "PRIORITY", "Values": ["Required", "Important", "Standard", "Optional", "Extra"]}]},
            "ComplianceLevel": "MEDIUM", "ApproveAfterDays": 0, "EnableNonSecurity": true}]}
        }
        """
    }

    /// The Debian default rule (security only) with approved and rejected lists.
    static func lists(
        approved: [String], approvedNonSecurity: Bool, rejected: [String], action: String
    ) -> String {
        func array(_ names: [String]) -> String { "[" + names.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        return """
            {
              "Name": "patchd-test-lists",
              "OperatingSystem": "DEBIAN",
              "GlobalFilters": {"PatchFilters": [{"Key": "PRODUCT", "Values": ["*"]}]},
              "ApprovalRules": {"PatchRules": [{
                "PatchFilterGroup": {"PatchFilters": [
                  {"Key": "PRIORITY", "Values": ["Required", "Important", "Standard", "Optional", "Extra"]}]},
                "ComplianceLevel": "HIGH", "ApproveAfterDays": 7, "EnableNonSecurity": false}]},
              "ApprovedPatches": \(array(approved)),
              "ApprovedPatchesComplianceLevel": "CRITICAL",
              "ApprovedPatchesEnableNonSecurity": \(approvedNonSecurity),
              "RejectedPatches": \(array(rejected)),
              "RejectedPatchesAction": "\(action)"
            }
            """
    }
}

/// A package version published in one suite of a test repository.
struct PublishedVersion: Sendable {
    var suite: String
    var package: DebPackage

    init(_ suite: String, _ name: String, _ version: String, arch: String = "amd64", priority: String = "optional") {
        self.suite = suite
        package = DebPackage(name: name, version: version, architecture: arch, priority: priority)
    }
}

/// A Debian 12 root: one signed repository with bookworm, bookworm-updates and bookworm-security, written as a
/// one-line entry, a deb822 stanza and an `[arch=amd64]` one-line entry; and a second repository whose security
/// suite was fetched and then disabled (`Enabled: no`; it is also in sources.list as a commented-out line), so its
/// lists are on disk and must be ignored.
///
/// Installed, and what the suites offer:
///
/// | package | installed | bookworm | bookworm-updates | bookworm-security |
/// |---|---|---|---|---|
/// | alpha | 1.0-1 | 1.0-1 | | 1.0-1+deb12u1, 1.0-1+deb12u2 |
/// | bravo | 2.0-1 | 2.0-1 | 2.0-1+deb12u2 | 2.0-1+deb12u1 |
/// | charlie | 3.0-1 | 3.0-1, 3.0-2 | 3.0-3 | |
/// | delta | 4.0-1+deb12u1 | 4.0-1 | | 4.0-1+deb12u1 |
/// | echo-data (all) | 5.0-1 | 5.0-1 | | 5.0-1+deb12u1 |
/// | foxtrot-doc (all) | 6.0-1 | 6.0-1 | 6.0-2 | |
/// | india | 1:1.0-1 | 1:1.0-1 | | 1:1.0-1+deb12u1 (priority important) |
/// | juliet | 7.0-1 | | | 6.9-1+deb12u1 (older) |
/// | kilo | 1.0-1 | 1.0-1 | | |
/// | golf | — | | | 1.0-1+deb12u1 |
/// | hotel | — | 1.0-1 | | |
/// | dpkg, lima | installed only | | | |
///
/// The disabled repository's bookworm-security has alpha 1.0-1+deb12u9 and kilo 1.0-1+deb12u9.
struct DebianScanRoot {
    let repo: AptRepository
    let staging: AptRepository
    let apt: IsolatedApt
    var root: String { apt.root }

    static let published: [PublishedVersion] = [
        PublishedVersion("bookworm", "alpha", "1.0-1"),
        PublishedVersion("bookworm-security", "alpha", "1.0-1+deb12u1"),
        PublishedVersion("bookworm-security", "alpha", "1.0-1+deb12u2"),
        PublishedVersion("bookworm", "bravo", "2.0-1"),
        PublishedVersion("bookworm-security", "bravo", "2.0-1+deb12u1"),
        PublishedVersion("bookworm-updates", "bravo", "2.0-1+deb12u2"),
        PublishedVersion("bookworm", "charlie", "3.0-1"),
        PublishedVersion("bookworm", "charlie", "3.0-2"),
        PublishedVersion("bookworm-updates", "charlie", "3.0-3"),
        PublishedVersion("bookworm", "delta", "4.0-1"),
        PublishedVersion("bookworm-security", "delta", "4.0-1+deb12u1"),
        PublishedVersion("bookworm", "echo-data", "5.0-1", arch: "all"),
        PublishedVersion("bookworm-security", "echo-data", "5.0-1+deb12u1", arch: "all"),
        PublishedVersion("bookworm", "foxtrot-doc", "6.0-1", arch: "all"),
        PublishedVersion("bookworm-updates", "foxtrot-doc", "6.0-2", arch: "all"),
        PublishedVersion("bookworm", "india", "1:1.0-1"),
        PublishedVersion("bookworm-security", "india", "1:1.0-1+deb12u1", priority: "important"),
        PublishedVersion("bookworm-security", "juliet", "6.9-1+deb12u1"),
        PublishedVersion("bookworm", "kilo", "1.0-1"),
        PublishedVersion("bookworm-security", "golf", "1.0-1+deb12u1"),
        PublishedVersion("bookworm", "hotel", "1.0-1"),
    ]

    static let installed: [DpkgStatusEntry] = [
        DpkgStatusEntry("alpha", "1.0-1"), DpkgStatusEntry("bravo", "2.0-1"), DpkgStatusEntry("charlie", "3.0-1"),
        DpkgStatusEntry("delta", "4.0-1+deb12u1"), DpkgStatusEntry("echo-data", "5.0-1", architecture: "all"),
        DpkgStatusEntry("foxtrot-doc", "6.0-1", architecture: "all"), DpkgStatusEntry("india", "1:1.0-1"),
        DpkgStatusEntry("juliet", "7.0-1"), DpkgStatusEntry("kilo", "1.0-1"), DpkgStatusEntry("lima", "0.1-1"),
        DpkgStatusEntry("dpkg", "1.21.22"),
    ]

    static let osRelease = """
        PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
        NAME="Debian GNU/Linux"
        VERSION_ID="12"
        VERSION="12 (bookworm)"
        VERSION_CODENAME=bookworm
        ID=debian
        HOME_URL="https://www.debian.org/"

        """

    /// `published` defaults to xz only, so that apt has to decompress or re-compress into `storage`.
    static func make(
        storage: IsolatedApt.ListStorage = .compressed(.lz4), published: Set<AptRepository.Compression> = [.xz],
        preferences: String? = nil
    ) throws -> DebianScanRoot {
        let repo = try AptRepository(
            suites: [.debian(), .debian("bookworm-updates", version: nil), .debianSecurity()], compressions: published)
        let staging = try AptRepository(suites: [.debianSecurity()], compressions: published)
        let apt = try IsolatedApt(options: .init(listStorage: storage))
        let world = DebianScanRoot(repo: repo, staging: staging, apt: apt)
        do {
            for p in Self.published { try repo.add(p.package, to: p.suite) }
            try repo.publish()
            try staging.add(DebPackage(name: "alpha", version: "1.0-1+deb12u9"), to: "bookworm-security")
            try staging.add(DebPackage(name: "kilo", version: "1.0-1+deb12u9"), to: "bookworm-security")
            try staging.publish()

            try TestDirectory.write(osRelease, to: apt.root + "/etc/os-release")
            try apt.writeStatus(installed)
            let key = repo.keyring
            try TestDirectory.write(
                """
                # Debian 12, one-line form
                deb [signed-by=\(key)] file:\(repo.root) bookworm main
                # deb [signed-by=\(staging.keyring)] file:\(staging.root) bookworm-security main

                """, to: apt.root + "/etc/apt/sources.list")
            try apt.writeSource(
                name: "debian-security.sources",
                contents: "# deb822 form\n" + repo.deb822Stanza(suites: ["bookworm-security"]))
            try apt.writeSource(
                name: "updates.list",
                contents: "deb [arch=amd64 signed-by=\(key)] file:\(repo.root) bookworm-updates main\n")
            try apt.writeSource(name: "staging.sources", contents: staging.deb822Stanza(suites: ["bookworm-security"]))
            if let preferences {
                try TestDirectory.write(preferences, to: apt.root + "/etc/apt/preferences.d/patchd-test.pref")
            }
            try apt.update()
            // Disabled after apt fetched it: its lists stay on disk, and neither apt nor patchd may use them.
            try apt.writeSource(
                name: "staging.sources", contents: staging.deb822Stanza(suites: ["bookworm-security"]) + "Enabled: no\n"
            )
            let lists = try apt.listFiles()
            let stagingLists = lists.filter {
                $0.hasPrefix(AptListFilePrefix.of(staging.root)) && $0.contains("_Packages")
            }
            try #require(!stagingLists.isEmpty, "the disabled source's lists should be on disk: \(lists)")
        } catch {
            world.remove()
            throw error
        }
        return world
    }

    func remove() {
        try? apt.remove()
        try? repo.remove()
        try? staging.remove()
    }
}

/// An Ubuntu 22.04 root: jammy, jammy-updates and jammy-security of a repository published as Ubuntu (one deb822
/// stanza), and a PPA-like repository (one-line entry) whose suite is also called `jammy-security` but is not
/// published by Ubuntu.
///
/// | package | installed | jammy | jammy-updates | jammy-security | PPA jammy-security |
/// |---|---|---|---|---|---|
/// | openssl | 3.0.2-0ubuntu1 | 3.0.2-0ubuntu1 | 3.0.2-0ubuntu1.15 | 3.0.2-0ubuntu1.10, 3.0.2-0ubuntu1.12 | |
/// | libssl3 | 3.0.2-0ubuntu1 | 3.0.2-0ubuntu1 | | 3.0.2-0ubuntu1.12 | |
/// | curl | 7.81.0-1ubuntu1 | 7.81.0-1ubuntu1 | 7.81.0-1ubuntu1.4 | | 7.81.0-1ubuntu1.20 |
/// | tzdata (all) | 2024a-0ubuntu0.22.04 | 2024a-0ubuntu0.22.04 | 2024b-0ubuntu0.22.04 | 2024a-0ubuntu0.22.04.1 | |
/// | nano | — | | | 6.2-1ubuntu0.1 | |
/// | dpkg | installed only | | | | |
struct UbuntuScanRoot {
    let repo: AptRepository
    let ppa: AptRepository
    let apt: IsolatedApt
    var root: String { apt.root }

    static let published: [PublishedVersion] = [
        PublishedVersion("jammy", "openssl", "3.0.2-0ubuntu1"),
        PublishedVersion("jammy-updates", "openssl", "3.0.2-0ubuntu1.15"),
        PublishedVersion("jammy-security", "openssl", "3.0.2-0ubuntu1.10"),
        PublishedVersion("jammy-security", "openssl", "3.0.2-0ubuntu1.12"),
        PublishedVersion("jammy", "libssl3", "3.0.2-0ubuntu1"),
        PublishedVersion("jammy-security", "libssl3", "3.0.2-0ubuntu1.12"),
        PublishedVersion("jammy", "curl", "7.81.0-1ubuntu1"),
        PublishedVersion("jammy-updates", "curl", "7.81.0-1ubuntu1.4"),
        PublishedVersion("jammy", "tzdata", "2024a-0ubuntu0.22.04", arch: "all"),
        PublishedVersion("jammy-updates", "tzdata", "2024b-0ubuntu0.22.04", arch: "all"),
        PublishedVersion("jammy-security", "tzdata", "2024a-0ubuntu0.22.04.1", arch: "all"),
        PublishedVersion("jammy-security", "nano", "6.2-1ubuntu0.1"),
    ]

    static let installed: [DpkgStatusEntry] = [
        DpkgStatusEntry("openssl", "3.0.2-0ubuntu1"), DpkgStatusEntry("libssl3", "3.0.2-0ubuntu1"),
        DpkgStatusEntry("curl", "7.81.0-1ubuntu1"),
        DpkgStatusEntry("tzdata", "2024a-0ubuntu0.22.04", architecture: "all"),
        DpkgStatusEntry("dpkg", "1.21.1ubuntu2.3"),
    ]

    static let osRelease = """
        PRETTY_NAME="Ubuntu 22.04.4 LTS"
        NAME="Ubuntu"
        VERSION_ID="22.04"
        VERSION="22.04.4 LTS (Jammy Jellyfish)"
        VERSION_CODENAME=jammy
        ID=ubuntu
        ID_LIKE=debian
        UBUNTU_CODENAME=jammy

        """

    static func make() throws -> UbuntuScanRoot {
        let repo = try AptRepository(
            suites: [.ubuntu(), .ubuntuPocket("jammy-updates"), .ubuntuPocket("jammy-security")], compressions: [.xz])
        let ppa = try AptRepository(
            suites: [
                AptRepository.Suite(
                    name: "jammy-security", origin: "LP-PPA-patchd", label: "PPA-patchd", codename: "jammy",
                    version: "22.04")
            ], compressions: [.gz])
        let apt = try IsolatedApt(options: .init(listStorage: .compressed(.lz4)))
        let world = UbuntuScanRoot(repo: repo, ppa: ppa, apt: apt)
        do {
            for p in published { try repo.add(p.package, to: p.suite) }
            try repo.publish()
            try ppa.add(DebPackage(name: "curl", version: "7.81.0-1ubuntu1.20"), to: "jammy-security")
            try ppa.publish()
            try TestDirectory.write(osRelease, to: apt.root + "/etc/os-release")
            try apt.writeStatus(installed)
            try apt.addSource(
                repo, suites: ["jammy", "jammy-updates", "jammy-security"], format: .deb822, name: "ubuntu")
            try apt.addSource(ppa, suites: ["jammy-security"], format: .oneLine, name: "ppa")
            try apt.update()
        } catch {
            world.remove()
            throw error
        }
        return world
    }

    func remove() {
        try? apt.remove()
        try? repo.remove()
        try? ppa.remove()
    }
}

/// The list-file name prefix apt uses for a `file:` repository.
enum AptListFilePrefix {
    static func of(_ path: String) -> String { path.replacingOccurrences(of: "/", with: "_") + "_" }
}

// MARK: - Isolated roots

@Suite("AptScan: roots filled by real apt", .timeLimit(.minutes(10)))
struct AptScanTests {
    /// Default baseline through the real binary: only what bookworm-security offers newer is Missing, at the newest
    /// security version even where bookworm-updates has a newer one; exit 3, then 0 once those are installed.
    @Test func debianDefaultBaselineThroughPatchctl() throws {
        let world = try DebianScanRoot.make()
        defer { world.remove() }
        let report = try ScanRunner.patchctl(world.root)

        #expect(report.exitStatus == 3)
        #expect(!report.compliant)
        #expect(
            report.missing == [
                "alpha.amd64": "1.0-1+deb12u2", "bravo.amd64": "2.0-1+deb12u1", "echo-data.all": "5.0-1+deb12u1",
                "india.amd64": "1:1.0-1+deb12u1",
            ], "\(report.patches)")
        for id in ["alpha.amd64", "bravo.amd64", "echo-data.all", "india.amd64"] {
            let p = report.patch(id)
            #expect(
                p?.security == true && p?.repository == "Debian-Security bookworm-security", "\(String(describing: p))")
        }
        #expect(report.ids("Installed") == ["delta.amd64"])
        #expect(
            report.ids("InstalledOther")
                == ["charlie.amd64", "dpkg.amd64", "foxtrot-doc.all", "juliet.amd64", "kilo.amd64", "lima.amd64"])
        #expect(report.ids("NotApplicable") == ["golf.amd64"])
        let expected = ScanStateCounts(installed: 1, installedOther: 6, missing: 4, notApplicable: 1)
        #expect(report.stateCounts == expected)
        #expect(report.listedCounts == expected)
        #expect(report.counts["securityNonCompliantCount"] == 4)
        #expect(report.counts["otherNonCompliantCount"] == 0)
        #expect(report.counts["criticalNonCompliantCount"] == 0)
        #expect(report.warnings.isEmpty, "\(report.warnings)")

        // Install exactly what was Missing (a status file as dpkg would leave it): compliant, exit 0.
        var upgraded = DebianScanRoot.installed
        for i in upgraded.indices {
            if let target = report.missing[upgraded[i].name + "." + upgraded[i].architecture] {
                upgraded[i].version = target
            }
        }
        try world.apt.writeStatus(upgraded)
        let after = try ScanRunner.patchctl(world.root)
        #expect(after.exitStatus == 0)
        #expect(after.compliant)
        #expect(after.stateCounts == ScanStateCounts(installed: 5, installedOther: 6, missing: 0, notApplicable: 1))
        #expect(
            after.ids("Installed") == ["alpha.amd64", "bravo.amd64", "delta.amd64", "echo-data.all", "india.amd64"])
    }

    struct Storage: Sendable, CustomTestStringConvertible {
        var storage: IsolatedApt.ListStorage
        var published: Set<AptRepository.Compression>
        var suffix: String
        var testDescription: String { "lists \(suffix.isEmpty ? "plain" : suffix) from \(published.map(\.rawValue))" }
    }

    /// The same answer whatever form apt keeps the lists in: lz4 (Debian's container images), plain (decompressed,
    /// or a symlink into a repository that publishes plain indexes), gz, xz, zst.
    @Test(arguments: [
        Storage(storage: .compressed(.lz4), published: [.xz], suffix: ".lz4"),
        Storage(storage: .uncompressed, published: [.xz], suffix: ""),
        Storage(storage: .uncompressed, published: [.uncompressed], suffix: ""),
        Storage(storage: .compressed(.gz), published: [.xz], suffix: ".gz"),
        Storage(storage: .compressed(.xz), published: [.gz], suffix: ".xz"),
        Storage(storage: .compressed(.zst), published: [.xz], suffix: ".zst"),
    ])
    func everyListStorageGivesTheSameReport(_ c: Storage) throws {
        let world = try DebianScanRoot.make(storage: c.storage, published: c.published)
        defer { world.remove() }
        let packagesLists = try world.apt.listFiles().filter { $0.contains("_Packages") }
        #expect(packagesLists.count >= 5, "\(packagesLists)")
        #expect(packagesLists.allSatisfy { $0.hasSuffix("_Packages" + c.suffix) }, "\(packagesLists)")

        let report = try ScanRunner.inProcess(world.root)
        #expect(
            report.missing == [
                "alpha.amd64": "1.0-1+deb12u2", "bravo.amd64": "2.0-1+deb12u1", "echo-data.all": "5.0-1+deb12u1",
                "india.amd64": "1:1.0-1+deb12u1",
            ], "\(report.patches)")
        #expect(report.stateCounts == ScanStateCounts(installed: 1, installedOther: 6, missing: 4, notApplicable: 1))
        #expect(report.warnings.isEmpty, "\(report.warnings)")
        let ens = try ScanRunner.inProcess(
            world.root, baseline: ScanRunner.baseline(ScanTestBaselines.enableNonSecurity(.debian), for: .debian))
        #expect(ens.missing["charlie.amd64"] == "3.0-3")
        #expect(ens.missing["foxtrot-doc.all"] == "6.0-2")
    }

    /// EnableNonSecurity: the newest version from any enabled suite, whatever apt's pins say.
    @Test func enableNonSecurityTakesTheNewestVersionIgnoringPins() throws {
        // apt would not upgrade charlie past bookworm (priority 50 < installed 100) nor take bookworm-updates' bravo.
        let pins = """
            Package: charlie bravo
            Pin: release a=bookworm-updates
            Pin-Priority: 50

            """
        let world = try DebianScanRoot.make(preferences: pins)
        defer { world.remove() }
        let policy = try world.apt.aptCache(["policy", "charlie"]).stdout
        #expect(policy.contains("Candidate: 3.0-2"), "the pin should hold apt back:\n\(policy)")

        let baseline = try ScanRunner.baseline(ScanTestBaselines.enableNonSecurity(.debian), for: .debian)
        let report = try ScanRunner.inProcess(world.root, baseline: baseline)
        #expect(
            report.missing == [
                "alpha.amd64": "1.0-1+deb12u2", "bravo.amd64": "2.0-1+deb12u2", "charlie.amd64": "3.0-3",
                "echo-data.all": "5.0-1+deb12u1", "foxtrot-doc.all": "6.0-2", "india.amd64": "1:1.0-1+deb12u1",
            ], "\(report.patches)")
        #expect(report.ids("Installed") == ["delta.amd64", "kilo.amd64"])
        #expect(report.ids("InstalledOther") == ["dpkg.amd64", "juliet.amd64", "lima.amd64"])
        #expect(report.ids("NotApplicable") == ["golf.amd64", "hotel.amd64"])
        #expect(report.stateCounts == ScanStateCounts(installed: 2, installedOther: 3, missing: 6, notApplicable: 2))
        #expect(report.listedCounts == report.stateCounts)
        // Three of the six come from the security suite; bravo, charlie and foxtrot-doc's targets do not.
        #expect(report.counts["securityNonCompliantCount"] == 3)
        #expect(report.counts["otherNonCompliantCount"] == 3)
        #expect(report.patch("bravo.amd64")?.repository == "Debian bookworm-updates")
        #expect(report.patch("bravo.amd64")?.security == false)
    }

    /// Ubuntu through the real binary: only Ubuntu's jammy-security pocket is security; jammy-updates is not, nor
    /// is another publisher's suite that happens to be called jammy-security.
    @Test func ubuntuOnlyTheSecurityPocketCounts() throws {
        let world = try UbuntuScanRoot.make()
        defer { world.remove() }
        let report = try ScanRunner.patchctl(world.root)
        #expect(report.exitStatus == 3)
        #expect(
            report.missing == [
                "libssl3.amd64": "3.0.2-0ubuntu1.12", "openssl.amd64": "3.0.2-0ubuntu1.12",
                "tzdata.all": "2024a-0ubuntu0.22.04.1",
            ], "\(report.patches)")
        #expect(report.patch("openssl.amd64")?.repository == "Ubuntu jammy-security")
        #expect(report.ids("InstalledOther") == ["curl.amd64", "dpkg.amd64"])
        #expect(report.ids("NotApplicable") == ["nano.amd64"])
        #expect(report.stateCounts == ScanStateCounts(installed: 0, installedOther: 2, missing: 3, notApplicable: 1))
        #expect(report.counts["securityNonCompliantCount"] == 3)
        #expect(report.warnings.isEmpty, "\(report.warnings)")

        let ens = try ScanRunner.patchctl(world.root, baselineJSON: ScanTestBaselines.enableNonSecurity(.ubuntu))
        #expect(ens.exitStatus == 3)
        #expect(
            ens.missing == [
                "curl.amd64": "7.81.0-1ubuntu1.20", "libssl3.amd64": "3.0.2-0ubuntu1.12",
                "openssl.amd64": "3.0.2-0ubuntu1.15", "tzdata.all": "2024b-0ubuntu0.22.04",
            ], "\(ens.patches)")
        #expect(ens.patch("curl.amd64")?.security == false)
        #expect(ens.patch("curl.amd64")?.repository == "PPA-patchd jammy-security")
        #expect(ens.counts["securityNonCompliantCount"] == 1)
        #expect(ens.counts["otherNonCompliantCount"] == 3)
    }

    struct ListsCase: Sendable, CustomTestStringConvertible {
        var action: String
        var approvedNonSecurity: Bool
        var missing: [String: String]
        var rejectedState: String
        var counts: ScanStateCounts
        var testDescription: String { "\(action), ApprovedPatchesEnableNonSecurity \(approvedNonSecurity)" }
    }

    /// Approved list (bypasses the security-only rule when ApprovedPatchesEnableNonSecurity), rejected list under
    /// both actions: alpha and delta (installed) are rejected, golf (not installed) too.
    @Test(arguments: [
        ListsCase(
            action: "ALLOW_AS_DEPENDENCY", approvedNonSecurity: true,
            missing: [
                "bravo.amd64": "2.0-1+deb12u1", "charlie.amd64": "3.0-3", "echo-data.all": "5.0-1+deb12u1",
                "india.amd64": "1:1.0-1+deb12u1",
            ], rejectedState: "InstalledOther",
            counts: ScanStateCounts(installed: 0, installedOther: 7, installedRejected: 0, missing: 4, notApplicable: 1)
        ),
        ListsCase(
            action: "BLOCK", approvedNonSecurity: true,
            missing: [
                "bravo.amd64": "2.0-1+deb12u1", "charlie.amd64": "3.0-3", "echo-data.all": "5.0-1+deb12u1",
                "india.amd64": "1:1.0-1+deb12u1",
            ], rejectedState: "InstalledRejected",
            counts: ScanStateCounts(installed: 0, installedOther: 5, installedRejected: 2, missing: 4, notApplicable: 1)
        ),
        ListsCase(
            action: "BLOCK", approvedNonSecurity: false,
            missing: [
                "bravo.amd64": "2.0-1+deb12u1", "echo-data.all": "5.0-1+deb12u1", "india.amd64": "1:1.0-1+deb12u1",
            ], rejectedState: "InstalledRejected",
            counts: ScanStateCounts(installed: 0, installedOther: 6, installedRejected: 2, missing: 3, notApplicable: 0)
        ),
    ])
    func approvedAndRejectedLists(_ c: ListsCase) throws {
        let world = try DebianScanRoot.make()
        defer { world.remove() }
        let baseline = try ScanRunner.baseline(
            ScanTestBaselines.lists(
                approved: ["charlie", "hotel"], approvedNonSecurity: c.approvedNonSecurity,
                rejected: ["alpha", "delta", "golf"], action: c.action), for: .debian)
        let report = try ScanRunner.inProcess(world.root, baseline: baseline)
        #expect(report.missing == c.missing, "\(report.patches)")
        #expect(report.patch("alpha.amd64")?.state == c.rejectedState)
        #expect(report.patch("delta.amd64")?.state == c.rejectedState)
        #expect(report.patch("golf.amd64") == nil, "a rejected package is not NotApplicable")
        #expect(report.patch("hotel.amd64")?.state == (c.approvedNonSecurity ? "NotApplicable" : nil))
        #expect(report.patch("charlie.amd64")?.state == (c.approvedNonSecurity ? "Missing" : "InstalledOther"))
        #expect(report.stateCounts == c.counts)
        #expect(report.listedCounts == c.counts)
        #expect(report.compliant == false)
        if c.approvedNonSecurity {
            // The approved list's level beats the rule's.
            #expect(report.counts["criticalNonCompliantCount"] == 1, "charlie is approved at CRITICAL")
        }
    }

    /// In the same root, apt's own `dist-upgrade` simulation: with EnableNonSecurity every package apt would
    /// upgrade is Missing at apt's version (and nothing else is); with the default baseline every upgrade apt takes
    /// from the security suite is Missing at that version, and every Missing one is an upgrade apt would make, to
    /// that version or to a newer one from another suite.
    @Test func agreesWithAptDistUpgradeOnDebian() throws {
        let before = HostPackageState.capture()
        let world = try DebianScanRoot.make()
        defer { world.remove() }
        try checkAgreement(root: world.root, apt: world.apt, os: .debian, codename: "bookworm", expectedUpgrades: 6)
        #expect(HostPackageState.capture().differences(from: before).isEmpty)
    }

    @Test func agreesWithAptDistUpgradeOnUbuntu() throws {
        let world = try UbuntuScanRoot.make()
        defer { world.remove() }
        try checkAgreement(root: world.root, apt: world.apt, os: .ubuntu, codename: "jammy", expectedUpgrades: 4)
    }

    func checkAgreement(
        root: String, apt: IsolatedApt, os: OperatingSystem, codename: String, expectedUpgrades: Int
    ) throws {
        let simulation = try apt.aptGet(["-s", "-o", "Debug::NoLocking=1", "dist-upgrade"]).stdout
        let upgrades = AptSimulatedUpgrade.parse(simulation)
        #expect(upgrades.count == expectedUpgrades, "\(simulation)")
        let security = upgrades.filter { $0.fromSecurity(os: os, codename: codename) }
        #expect(!security.isEmpty && security.count < upgrades.count, "\(simulation)")

        let ens = try ScanRunner.patchctl(root, baselineJSON: ScanTestBaselines.enableNonSecurity(os))
        let aptTargets = Dictionary(upgrades.map { ("\($0.name).\($0.arch)", $0.to) }, uniquingKeysWith: { a, _ in a })
        #expect(ens.missing == aptTargets, "apt:\n\(simulation)\npatchd: \(ens.patches)")

        let report = try ScanRunner.patchctl(root)
        for u in security {
            #expect(report.missing["\(u.name).\(u.arch)"] == u.to, "apt: \(u); patchd: \(report.patches)")
        }
        var superseded = 0
        for (id, ours) in report.missing {
            guard let u = upgrades.first(where: { "\($0.name).\($0.arch)" == id }) else {
                Issue.record("\(id) is Missing (\(ours)) but apt would not upgrade it:\n\(simulation)")
                continue
            }
            if u.to == ours { continue }
            superseded += 1
            #expect(try dpkgVersion(u.to, isGreaterThan: ours), "\(u) vs ours \(ours)")
            #expect(!u.fromSecurity(os: os, codename: codename), "\(u)")
        }
        // Both roots have security versions superseded by a newer non-security one (bravo; openssl and tzdata).
        #expect(superseded > 0)
    }

    struct Damage: Sendable, CustomTestStringConvertible {
        var compression: AptRepository.Compression
        /// Truncate to half, or flip a byte in the middle.
        var truncate: Bool
        var testDescription: String {
            "\(compression == .uncompressed ? "plain" : compression.rawValue) \(truncate ? "truncated" : "corrupted")"
        }
    }

    /// A damaged list costs only that list: a warning names the file, the scan finishes, the other lists (the
    /// security suite, bookworm-updates' binary-all index) are still used. Cut short, any form is caught (a plain
    /// file by the size its Release lists); a changed byte only where the format carries a checksum (gzip, xz):
    /// apt writes lz4 and zstd lists without content checksums.
    @Test(arguments: [
        Damage(compression: .lz4, truncate: true), Damage(compression: .gz, truncate: false),
        Damage(compression: .xz, truncate: true), Damage(compression: .zst, truncate: true),
        Damage(compression: .uncompressed, truncate: true), Damage(compression: .xz, truncate: false),
    ])
    func aDamagedListIsReportedAndTheOthersAreUsed(_ c: Damage) throws {
        let world = try DebianScanRoot.make(
            storage: c.compression == .uncompressed ? .uncompressed : .compressed(c.compression))
        defer { world.remove() }
        let name = try #require(
            try world.apt.listFiles().first {
                $0.hasSuffix("_bookworm-updates_main_binary-amd64_Packages" + c.compression.suffix)
            })
        let path = world.apt.listsDirectory + "/" + name
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        if c.truncate {
            bytes.removeLast(bytes.count / 2)
        } else {
            bytes[bytes.count / 2] ^= 0xFF
            bytes[bytes.count / 2 + 1] ^= 0x5A
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let baseline = try ScanRunner.baseline(ScanTestBaselines.enableNonSecurity(.debian), for: .debian)
        let report = try ScanRunner.inProcess(world.root, baseline: baseline)
        let warning = report.warnings.first { $0.contains(path) }
        #expect(warning != nil, "no warning names \(path): \(report.warnings)")
        #expect(warning?.hasPrefix(path + ": ") == true && warning?.hasSuffix("its packages are left out") == true)
        #expect(warning.map { $0.components(separatedBy: path).count } == 2, "the path once: \(report.warnings)")
        #expect(report.warnings.count == 1, "\(report.warnings)")
        // bookworm-updates' amd64 index is gone: bravo falls back to security, charlie to bookworm.
        #expect(report.missing["bravo.amd64"] == "2.0-1+deb12u1")
        #expect(report.missing["charlie.amd64"] == "3.0-2")
        #expect(report.missing["alpha.amd64"] == "1.0-1+deb12u2")
        #expect(report.missing["india.amd64"] == "1:1.0-1+deb12u1")
        // foxtrot-doc is arch all: bookworm-updates' binary-all index still has it.
        #expect(report.missing["foxtrot-doc.all"] == "6.0-2")
    }

    /// Sources apt has not fetched yet: a warning per source that says to run apt-get update; what was fetched is
    /// still used.
    @Test func sourcesWithoutListsAskForAptGetUpdate() throws {
        let world = try DebianScanRoot.make()
        defer { world.remove() }
        let key = world.repo.keyring
        try world.apt.writeSource(
            name: "later.list",
            contents: """
                deb [signed-by=\(key)] file:\(world.repo.root) bookworm-backports main
                deb [signed-by=\(key)] file:\(world.repo.root) bookworm contrib

                """)
        let report = try ScanRunner.inProcess(world.root)
        let file = world.apt.sourcesDirectory + "/later.list"
        let backports = report.warnings.filter { $0.contains(file + ":1") }
        let contrib = report.warnings.filter { $0.contains(file + ":2") }
        #expect(backports.count == 1 && backports.allSatisfy { $0.contains("apt-get update") }, "\(report.warnings)")
        #expect(backports.first?.contains("bookworm-backports") == true)
        #expect(contrib.count == 1 && contrib.allSatisfy { $0.contains("apt-get update") }, "\(report.warnings)")
        #expect(contrib.first?.contains("contrib") == true)
        #expect(report.warnings.count == 2, "\(report.warnings)")
        #expect(report.missing.count == 4 && report.missing["alpha.amd64"] == "1.0-1+deb12u2")
    }
}

// MARK: - This machine

/// Whether apt has fetched this machine's lists (an InRelease is there).
private let hostHasLists: Bool = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/var/lib/apt/lists")) ?? []
    return names.contains { $0.hasSuffix("_InRelease") }
}()

@Suite("AptScan: this machine")
struct AptScanHostTests {
    /// `patchctl scan --local` against `apt-get -s dist-upgrade` on this machine's own lists (read, never written:
    /// no lock, no pkgcache.bin).
    @Test(.enabled(if: hostHasLists, "no InRelease in /var/lib/apt/lists: run apt-get update"))
    func thisMachineAgreesWithApt() throws {
        let before = HostPackageState.capture()
        let osText = try String(contentsOfFile: "/etc/os-release", encoding: .utf8)
        var fields: [String: String] = [:]
        for line in osText.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<eq])] = line[line.index(after: eq)...].trimmingCharacters(
                in: CharacterSet(charactersIn: "\"'"))
        }
        let os: OperatingSystem = fields["ID"] == "ubuntu" ? .ubuntu : .debian
        let codename = fields["VERSION_CODENAME"] ?? ""

        let argv = [try PatchctlBinary.path(), "scan", "--local", "--format", "json"]
        let scan = try TestProcess.run(argv, timeout: .seconds(300))
        try #require(
            scan.status == 0 || scan.status == 3, "\(TestProcess.quoted(argv)): \(scan.status)\n\(scan.stderr)")
        let report = try ScanJSONReport(json: scan.stdout, exitStatus: scan.status)
        #expect(report.warnings.isEmpty, "\(report.warnings)")
        #expect((report.exitStatus == 0) == report.compliant)

        // No lock, and apt's binary cache built in memory rather than written to /var/cache/apt.
        let noWrites = ["-o", "Debug::NoLocking=1", "-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache="]
        let aptArgv = ["apt-get", "-s"] + noWrites + ["dist-upgrade"]
        let simulation = try TestProcess.runChecked(
            aptArgv, environment: TestProcess.environment(["LC_ALL": "C", "LANG": "C"]), timeout: .seconds(300)
        ).stdout
        let upgrades = AptSimulatedUpgrade.parse(simulation)
        let security = upgrades.filter { $0.fromSecurity(os: os, codename: codename) }
        let byName = Dictionary(report.patches.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

        var securityAgreeing = 0
        for u in security {
            let p = byName[u.name]
            if p?.state == "Missing" && p?.availableVersion == u.to {
                securityAgreeing += 1
            } else {
                Issue.record("apt takes \(u.name) \(u.to) from the security archive; patchd: \(String(describing: p))")
            }
        }
        var exact = 0
        var superseded: [String] = []
        let aptByName = Dictionary(upgrades.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for p in report.patches where p.state == "Missing" {
            let ours = p.availableVersion ?? ""
            guard let u = aptByName[p.name] else {
                Issue.record("\(p) is Missing but apt would not upgrade it")
                continue
            }
            #expect(u.from == p.installedVersion, "\(u) vs \(p)")
            if u.to == ours {
                exact += 1
                continue
            }
            // Superseded: a newer version from another origin replaces the security one.
            let newer = try dpkgVersion(u.to, isGreaterThan: ours)
            #expect(newer && !u.fromSecurity(os: os, codename: codename), "apt: \(u); patchd: \(p)")
            #expect(p.security, "\(p)")
            if newer { superseded.append("\(p.name) \(ours) (security) < \(u.to) (\(u.releases.map(\.label)))") }
        }
        let missing = report.missing.count
        print(
            """
            patchd-host-agreement: installed \(report.counts["installedCount"] ?? -1)+\
            \(report.counts["installedOtherCount"] ?? -1) other, patchd Missing \(missing), \
            apt dist-upgrade upgrades \(upgrades.count), of which from security \(security.count); \
            security upgrades Missing at apt's version \(securityAgreeing)/\(security.count); \
            patchd Missing = apt's version \(exact), superseded by a newer non-security version \(superseded.count)
            """)
        for s in superseded { print("patchd-host-agreement: superseded \(s)") }
        #expect(exact + superseded.count == missing)
        #expect(report.counts["missingCount"] == missing)
        #expect(
            HostPackageState.capture().differences(from: before).isEmpty, "the host's package state changed")
    }
}
