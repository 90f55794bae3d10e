import Foundation
import PatchCore
import PatchTestSupport
import Testing

@Suite struct DebianVersionTests {
    // MARK: Vectors

    @Test func fixtureIsComplete() {
        #expect(VersionFixtures.dpkg.count == 115)
    }

    @Test(arguments: VersionFixtures.dpkg)
    func fixtureVector(_ vector: VersionVector) throws {
        let a = try DebianVersion(parsing: vector.a)
        let b = try DebianVersion(parsing: vector.b)
        #expect(DebianVersion.compare(a, b) == vector.expected)
        #expect(DebianVersion.compare(b, a) == -vector.expected)
        #expect(try compareVersions(vector.a, vector.b, scheme: .deb) == vector.expected)
        #expect((a < b) == (vector.expected < 0))
        #expect((a == b) == (vector.expected == 0))
        if vector.expected == 0 { #expect(a.hashValue == b.hashValue) }
    }

    // MARK: Parsing

    struct Parsed: Sendable, CustomTestStringConvertible {
        let input: String
        let epoch: Int
        let upstream: String
        let revision: String
        var testDescription: String { "'\(input)'" }
    }

    /// The accepted inputs of dpkg's lib/dpkg/t/t-version.c (test_version_parse), then a few more.
    static let accepted: [Parsed] = [
        Parsed(input: "0", epoch: 0, upstream: "0", revision: ""),
        Parsed(input: "0:0", epoch: 0, upstream: "0", revision: ""),
        Parsed(input: "0:0-0", epoch: 0, upstream: "0", revision: "0"),
        Parsed(input: "0:0.0-0.0", epoch: 0, upstream: "0.0", revision: "0.0"),
        Parsed(input: "1:0", epoch: 1, upstream: "0", revision: ""),
        Parsed(input: "5:1", epoch: 5, upstream: "1", revision: ""),
        Parsed(input: "0:0-0-0", epoch: 0, upstream: "0-0", revision: "0"),
        Parsed(input: "0:0-0-0-0", epoch: 0, upstream: "0-0-0", revision: "0"),
        Parsed(input: "0:0:0-0", epoch: 0, upstream: "0:0", revision: "0"),
        Parsed(input: "0:0:0:0-0", epoch: 0, upstream: "0:0:0", revision: "0"),
        Parsed(input: "0:0:0-0-0", epoch: 0, upstream: "0:0-0", revision: "0"),
        Parsed(input: "0:0-0:0-0", epoch: 0, upstream: "0-0:0", revision: "0"),
        Parsed(input: "0:09azAZ.-+~:-0", epoch: 0, upstream: "09azAZ.-+~:", revision: "0"),
        Parsed(input: "0:0-azAZ09.+~", epoch: 0, upstream: "0", revision: "azAZ09.+~"),
        Parsed(input: "  \t0:0-1", epoch: 0, upstream: "0", revision: "1"),
        Parsed(input: "0:0-1\t  ", epoch: 0, upstream: "0", revision: "1"),
        Parsed(input: "\t  0:0-1  \t", epoch: 0, upstream: "0", revision: "1"),
        // dpkg only warns "version number does not start with digit".
        Parsed(input: "0:abc3-0", epoch: 0, upstream: "abc3", revision: "0"),
        Parsed(input: "foo", epoch: 0, upstream: "foo", revision: ""),
        // The epoch is read like strtol reads it.
        Parsed(input: "+1:1", epoch: 1, upstream: "1", revision: ""),
        Parsed(input: "-0:1", epoch: 0, upstream: "1", revision: ""),
        Parsed(input: "007:1", epoch: 7, upstream: "1", revision: ""),
        Parsed(input: "2147483647:1.0", epoch: 2_147_483_647, upstream: "1.0", revision: ""),
        Parsed(input: "1:2.30-1ubuntu1~22.04", epoch: 1, upstream: "2.30", revision: "1ubuntu1~22.04"),
    ]

    @Test(arguments: accepted)
    func parses(_ row: Parsed) throws {
        let version = try DebianVersion(parsing: row.input)
        #expect(version.epoch == row.epoch)
        #expect(version.upstream == row.upstream)
        #expect(version.revision == row.revision)
        let reparsed = try DebianVersion(parsing: version.description)
        #expect(reparsed.epoch == version.epoch)
        #expect(reparsed.upstream == version.upstream)
        #expect(reparsed.revision == version.revision)
    }

    struct Rejected: Sendable, CustomTestStringConvertible {
        let input: String
        let message: String
        var testDescription: String { "'\(input)'" }
    }

    /// The rejected inputs of dpkg's t-version.c, with dpkg's messages, then a few more.
    static let rejected: [Rejected] =
        [
            Rejected(input: "", message: "version string is empty"),
            Rejected(input: "  ", message: "version string is empty"),
            Rejected(input: "0:", message: "nothing after colon in version number"),
            Rejected(input: ":1.0", message: "epoch in version is empty"),
            Rejected(input: "1.0-", message: "revision number is empty"),
            Rejected(input: "0:0 0-1", message: "version string has embedded spaces"),
            Rejected(input: "1.0\t-1", message: "version string has embedded spaces"),
            Rejected(input: "-1:0-1", message: "epoch in version is negative"),
            Rejected(input: "-99999999999999999999:0-1", message: "epoch in version is negative"),
            Rejected(input: "999999999999999999999999:0-1", message: "epoch in version is too big"),
            Rejected(input: "2147483648:1", message: "epoch in version is too big"),
            Rejected(input: "a:0-0", message: "epoch in version is empty"),
            Rejected(input: "A:0-0", message: "epoch in version is empty"),
            Rejected(input: "1a:0-0", message: "epoch in version is not number"),
            Rejected(input: "10a:5.2", message: "epoch in version is not number"),
            Rejected(input: "-0", message: "version number is empty"),
            Rejected(input: "0:-0", message: "version number is empty"),
            Rejected(input: "-0.6.5", message: "version number is empty"),
            Rejected(input: "0foo-", message: "revision number is empty"),
            // dpkg warns about these and still compares; they are errors here.
            Rejected(input: "0:0-0:0", message: "invalid character in revision number"),
            Rejected(input: "5.2@3-2", message: "invalid character in version number"),
            Rejected(input: "1.0\n", message: "invalid character in version number"),
            Rejected(input: "1.0-1\u{7F}", message: "invalid character in revision number"),
            Rejected(input: "1.0é", message: "invalid character in version number"),
            Rejected(input: "1.0-é", message: "invalid character in revision number"),
        ]
        // t-version.c's loops over the characters that are invalid in the upstream version...
        + "!#@$%&/|\\<>()[]{};,_=*^'".map { c in
            Rejected(input: "0:0\(c)-0", message: "invalid character in version number")
        }
        // ... and in the revision.
        + "!#@$%&/|\\<>()[]{}:;,_=*^'".map { c in
            Rejected(input: "0:0-\(c)", message: "invalid character in revision number")
        }

    @Test(arguments: rejected)
    func rejects(_ row: Rejected) {
        #expect(throws: VersionError(input: row.input, message: row.message)) {
            try DebianVersion(parsing: row.input)
        }
        do {
            _ = try DebianVersion(parsing: row.input)
        } catch {
            #expect(error.description == "invalid version '\(row.input)': \(row.message)")
        }
    }

    @Test(arguments: [
        ("0:1.0-0", "1.0-0"),
        ("1.0", "1.0"),
        ("0:1.0", "1.0"),
        ("  1:1.0-1 ", "1:1.0-1"),
        ("0:1:2", "0:1:2"),
        ("007:1.0-1", "7:1.0-1"),
    ])
    func description(_ input: String, _ expected: String) throws {
        #expect(try DebianVersion(parsing: input).description == expected)
    }

    // MARK: Properties

    @Test func orderIsATotalPreorder() throws {
        let versions = try VersionSamples.debian(count: 300, seed: 0xDEB1).map { s in
            try DebianVersion(parsing: s)
        }
        VersionProperties.checkTotalPreorder(versions, DebianVersion.compare)
        for v in versions {
            let reparsed = try DebianVersion(parsing: v.description)
            #expect(DebianVersion.compare(v, reparsed) == 0)
            #expect(reparsed.upstream == v.upstream && reparsed.revision == v.revision && reparsed.epoch == v.epoch)
        }
    }

    @Test func equalVersionsHashAlike() throws {
        let groups = [
            ["1.0", "1.00", "0:1.0", "01.0", "1.0-0", "1.000-00", "00:1.0"],
            ["1.", "1.0", "1.00"],
            ["a", "a0", "a00"],
            ["2.0~rc01-1", "2.00~rc1-01"],
        ]
        for group in groups {
            let versions = try group.map { s in try DebianVersion(parsing: s) }
            #expect(Set(versions).count == 1, "\(group)")
        }
        #expect(try DebianVersion(parsing: "1.0a") < DebianVersion(parsing: "1.a"))
    }

    @Test func longDigitRunsDoNotOverflow() throws {
        let big = String(repeating: "9", count: 500)
        let bigger = "1" + String(repeating: "0", count: 500)
        #expect(try compareVersions(big, bigger, scheme: .deb) == -1)
        #expect(try compareVersions("1." + big, "1." + String(repeating: "0", count: 40) + big, scheme: .deb) == 0)
    }

    @Test func sortingAListOfVersions() throws {
        let sorted = ["1.0~~", "1.0~~a", "1.0~", "1.0", "1.0-1", "1.0a", "1.0+b1", "1.0.1", "1.1", "1:0.1"]
        var rng = SplitMix64(seed: 7)
        let shuffled = sorted.reversed().shuffled(using: &rng)
        let versions = try shuffled.map { s in try DebianVersion(parsing: s) }
        #expect(versions.sorted().map(\.description) == sorted)
    }
}

// MARK: - Helpers shared by the version tests

/// One line of a fixture file: `a b expected`.
struct VersionVector: Sendable, CustomTestStringConvertible {
    let a: String
    let b: String
    let expected: Int
    let line: Int

    var testDescription: String { "line \(line): \(a) vs \(b) = \(expected)" }
}

enum VersionFixtures {
    static let dpkg = load("dpkg-version-vectors.txt")
    static let rpm = load("rpm-version-vectors.txt")

    static func url(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    /// The vectors of a fixture file; none when it cannot be read (the count tests then fail).
    static func load(_ name: String) -> [VersionVector] {
        guard let text = try? String(contentsOf: url(name), encoding: .utf8) else { return [] }
        var vectors: [VersionVector] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.isEmpty { continue }
            guard fields.count == 3, let expected = Int(fields[2]) else {
                vectors.append(VersionVector(a: "malformed", b: String(line), expected: 99, line: index + 1))
                continue
            }
            vectors.append(
                VersionVector(a: String(fields[0]), b: String(fields[1]), expected: expected, line: index + 1))
        }
        return vectors
    }
}

/// Valid version strings built from fragments that exercise the ordering rules.
enum VersionSamples {
    static func debian(count: Int, seed: UInt64) -> [String] {
        var rng = SplitMix64(seed: seed)
        let epochs = ["", "", "", "", "", "0:", "1:", "2:", "10:", "01:"]
        let heads = [
            "0", "1", "1.0", "1.00", "2", "10", "0001", "1.0~rc1", "2a", "1.0+dfsg", "1.2.3", "9", "1.0a", "1.a",
            "1.", "99999999999999999999999", "1.0~", "2.30",
        ]
        let tails = [
            ".1", ".0", "~rc1", "~", "~~", "+b1", "a", "A", "0", "00", "+dfsg", ".a", "~beta2", "+git20240101",
            "1", "Z", "+", ".", "18446744073709551616",
        ]
        let revisions = [
            "", "", "", "", "1", "0", "00", "1ubuntu1", "1~bpo11+1", "2+deb12u1", "10", "01", "1.1", "a", "1~",
            "1ubuntu1~22.04.1", "0ubuntu0.1",
        ]
        return (0..<count).map { _ in
            let epoch = epochs.randomElement(using: &rng)!
            var upstream = heads.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                upstream += tails.randomElement(using: &rng)!
            }
            var revision = revisions.randomElement(using: &rng)!
            if !epoch.isEmpty && Int.random(in: 0..<8, using: &rng) == 0 { upstream += ":1" }
            if Int.random(in: 0..<8, using: &rng) == 0 {
                upstream += "-1"
                if revision.isEmpty { revision = "1" }
            }
            return epoch + upstream + (revision.isEmpty ? "" : "-" + revision)
        }
    }

    /// Plain rpm versions, without `-` or `:`.
    static func rpmBare(count: Int, seed: UInt64) -> [String] {
        var rng = SplitMix64(seed: seed)
        let heads = [
            "1", "1.0", "1.0~rc1", "2a", "1^git1", "0001", "1.0^", "10", "1_0", "a", "1.0.1", "0", "00", "1.01",
            "5.5p1", "xyz", "2.0.1a",
        ]
        let tails = [
            ".1", "~rc", "^git2", "a", "_1", ".0", "~", "^", "99999999999999999999", ".", "b", "A", "~~", "^^",
            "p10", ".fc17", "+1", "0", "1",
        ]
        return (0..<count).map { _ in
            var version = heads.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                version += tails.randomElement(using: &rng)!
            }
            return version
        }
    }

    /// Whole rpm EVRs, `[epoch:]version[-release]`.
    static func rpmEVR(count: Int, seed: UInt64) -> [String] {
        var rng = SplitMix64(seed: seed)
        let epochs = ["", "", "", "", "0:", "1:", "2:", "01:"]
        let releases = [
            "", "", "", "1", "1.el8", "1.el8_2", "2.fc39", "0.1", "1~beta", "1^post", "10", "01", "1.el9.1",
        ]
        let versions = rpmBare(count: count, seed: seed ^ 0x5EED)
        return versions.map { version in
            let epoch = epochs.randomElement(using: &rng)!
            let release = releases.randomElement(using: &rng)!
            return epoch + version + (release.isEmpty ? "" : "-" + release)
        }
    }
}

enum VersionProperties {
    /// Checks that `compare` is reflexive, antisymmetric and transitive on `items`: sorts them,
    /// groups the equal neighbours and checks every pair against the groups.
    static func checkTotalPreorder<T>(
        _ items: [T],
        _ compare: (T, T) -> Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for x in items {
            #expect(compare(x, x) == 0, sourceLocation: sourceLocation)
        }
        var antisymmetryFailures = 0
        for x in items {
            for y in items where compare(x, y) != -compare(y, x) {
                antisymmetryFailures += 1
            }
        }
        #expect(antisymmetryFailures == 0, sourceLocation: sourceLocation)

        let sorted = items.sorted { compare($0, $1) < 0 }
        var group = [0]
        for k in 1..<sorted.count {
            group.append(group[k - 1] + (compare(sorted[k - 1], sorted[k]) < 0 ? 1 : 0))
        }
        var failures: [String] = []
        for i in sorted.indices {
            for j in (i + 1)..<sorted.count {
                let expected = group[i] == group[j] ? 0 : -1
                let got = compare(sorted[i], sorted[j])
                if got != expected && failures.count < 10 {
                    failures.append("\(sorted[i]) vs \(sorted[j]): \(got), expected \(expected)")
                }
            }
        }
        #expect(failures.isEmpty, "not transitive: \(failures)", sourceLocation: sourceLocation)
        // The samples should exercise equality and ordering alike.
        #expect(group.last! > items.count / 4, sourceLocation: sourceLocation)
    }
}
