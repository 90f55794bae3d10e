import PatchCore
import PatchTestSupport
import Testing

@Suite struct RPMVersionTests {
    // MARK: Vectors

    @Test func fixtureIsComplete() {
        #expect(VersionFixtures.rpm.count == 147)
    }

    /// Lines without `-` or `:` are plain rpmvercmp vectors; every line is also an EVR comparison.
    @Test(arguments: VersionFixtures.rpm)
    func fixtureVector(_ vector: VersionVector) throws {
        let isBare = !(vector.a + vector.b).contains { $0 == "-" || $0 == ":" }
        if isBare {
            #expect(rpmvercmp(vector.a, vector.b) == vector.expected)
            #expect(rpmvercmp(vector.b, vector.a) == -vector.expected)
        }
        let a = try RPMVersion(parsing: vector.a)
        let b = try RPMVersion(parsing: vector.b)
        #expect(RPMVersion.compare(a, b) == vector.expected)
        #expect(RPMVersion.compare(b, a) == -vector.expected)
        #expect(try compareVersions(vector.a, vector.b, scheme: .rpm) == vector.expected)
        #expect((a < b) == (vector.expected < 0))
        #expect((a == b) == (vector.expected == 0))
        if vector.expected == 0 { #expect(a.hashValue == b.hashValue) }
    }

    // MARK: Parsing

    struct Parsed: Sendable, CustomTestStringConvertible {
        let input: String
        let epoch: Int?
        let version: String
        let release: String?
        let description: String
        var testDescription: String { "'\(input)'" }
    }

    static let accepted: [Parsed] = [
        Parsed(input: "1.0", epoch: nil, version: "1.0", release: nil, description: "1.0"),
        Parsed(input: "1:1.0", epoch: 1, version: "1.0", release: nil, description: "1:1.0"),
        Parsed(input: "1.0-1", epoch: nil, version: "1.0", release: "1", description: "1.0-1"),
        Parsed(input: "1:1.0-1.el8", epoch: 1, version: "1.0", release: "1.el8", description: "1:1.0-1.el8"),
        Parsed(input: "0:1.0-1", epoch: 0, version: "1.0", release: "1", description: "0:1.0-1"),
        // rpm reads an empty epoch as 0.
        Parsed(input: ":1.0", epoch: 0, version: "1.0", release: nil, description: "0:1.0"),
        // The release follows the last '-'.
        Parsed(input: "1.0-1-2", epoch: nil, version: "1.0-1", release: "2", description: "1.0-1-2"),
        // Only the first ':' ends the epoch.
        Parsed(input: "1:2:3-4", epoch: 1, version: "2:3", release: "4", description: "1:2:3-4"),
        Parsed(input: "007:1", epoch: 7, version: "1", release: nil, description: "7:1"),
        Parsed(input: "4294967295:1", epoch: 4_294_967_295, version: "1", release: nil, description: "4294967295:1"),
        Parsed(
            input: "1.0^git1~pre-0.1", epoch: nil, version: "1.0^git1~pre", release: "0.1",
            description: "1.0^git1~pre-0.1"),
        Parsed(input: "1.1.α-1", epoch: nil, version: "1.1.α", release: "1", description: "1.1.α-1"),
        Parsed(
            input: "2.02-0.87.el8_1.1", epoch: nil, version: "2.02", release: "0.87.el8_1.1",
            description: "2.02-0.87.el8_1.1"),
    ]

    @Test(arguments: accepted)
    func parses(_ row: Parsed) throws {
        let version = try RPMVersion(parsing: row.input)
        #expect(version.epoch == row.epoch)
        #expect(version.version == row.version)
        #expect(version.release == row.release)
        #expect(version.description == row.description)
        let rebuilt = try RPMVersion(epoch: row.epoch, version: row.version, release: row.release)
        #expect(rebuilt.description == row.description)
    }

    struct Rejected: Sendable, CustomTestStringConvertible {
        let input: String
        let message: String
        var testDescription: String { "'\(input)'" }
    }

    static let rejected: [Rejected] = [
        Rejected(input: "", message: "version string is empty"),
        Rejected(input: " 1.0", message: "version string contains whitespace or control characters"),
        Rejected(input: "1.0 ", message: "version string contains whitespace or control characters"),
        Rejected(input: "1.0 -1", message: "version string contains whitespace or control characters"),
        Rejected(input: "1.0\t", message: "version string contains whitespace or control characters"),
        Rejected(input: "1.0\n", message: "version string contains whitespace or control characters"),
        Rejected(input: "1.0\u{7F}", message: "version string contains whitespace or control characters"),
        Rejected(input: "1.0\u{00A0}", message: "version string contains whitespace or control characters"),
        Rejected(input: "1.0\u{2028}", message: "version string contains whitespace or control characters"),
        Rejected(input: "a:1.0", message: "epoch is not a number"),
        Rejected(input: "1a:1.0", message: "epoch is not a number"),
        Rejected(input: "-1:1.0", message: "epoch is not a number"),
        Rejected(input: "1.0:2", message: "epoch is not a number"),
        Rejected(input: "4294967296:1", message: "epoch is too big"),
        Rejected(input: "99999999999999999999999:1", message: "epoch is too big"),
        Rejected(input: "1:", message: "version is empty"),
        Rejected(input: "-1", message: "version is empty"),
        Rejected(input: "1:-1", message: "version is empty"),
        Rejected(input: ":", message: "version is empty"),
        Rejected(input: "1.0-", message: "release is empty"),
    ]

    @Test(arguments: rejected)
    func rejects(_ row: Rejected) {
        #expect(throws: VersionError(input: row.input, message: row.message)) {
            try RPMVersion(parsing: row.input)
        }
        #expect(throws: VersionError.self) { try compareVersions(row.input, "1.0", scheme: .rpm) }
    }

    @Test func partsThatDoNotFormAVersionAreRejected() {
        #expect(throws: VersionError.self) { try RPMVersion(epoch: -1, version: "1.0", release: nil) }
        #expect(throws: VersionError.self) { try RPMVersion(epoch: nil, version: "1.0-1", release: nil) }
        #expect(throws: VersionError.self) { try RPMVersion(epoch: nil, version: "", release: "1") }
        #expect(throws: VersionError.self) { try RPMVersion(epoch: nil, version: "1.0", release: "") }
        #expect(throws: VersionError.self) { try RPMVersion(epoch: nil, version: "1 0", release: nil) }
    }

    // MARK: Release handling

    @Test(arguments: [
        ("1.0", "1.0-1", -1, 0),
        ("1.0-1", "1.0", 1, 0),
        ("1.0-1", "1.0-2", -1, -1),
        ("1:1.0", "1.0-9", 1, 1),
        ("1.0", "1.1-1", -1, -1),
        ("0:1.0", "1.0-1", -1, 0),
    ])
    func missingRelease(_ a: String, _ b: String, _ strict: Int, _ loose: Int) throws {
        let va = try RPMVersion(parsing: a)
        let vb = try RPMVersion(parsing: b)
        #expect(RPMVersion.compare(va, vb) == strict)
        #expect(RPMVersion.compareIgnoringMissingRelease(va, vb) == loose)
    }

    // MARK: Properties

    @Test func rpmvercmpIsATotalPreorder() {
        let versions = VersionSamples.rpmBare(count: 300, seed: 0x0052_504D)
        VersionProperties.checkTotalPreorder(versions, rpmvercmp)
    }

    @Test func evrOrderIsATotalPreorder() throws {
        let versions = try VersionSamples.rpmEVR(count: 300, seed: 0x0045_5652).map { s in
            try RPMVersion(parsing: s)
        }
        VersionProperties.checkTotalPreorder(versions, RPMVersion.compare)
        for v in versions {
            #expect(try RPMVersion(parsing: v.description) == v)
            for w in versions where RPMVersion.compare(v, w) == 0 {
                #expect(v.hashValue == w.hashValue, "\(v) == \(w)")
            }
        }
    }

    @Test func looseComparisonIsAntisymmetric() throws {
        let versions = try VersionSamples.rpmEVR(count: 200, seed: 0x100_5E).map { s in try RPMVersion(parsing: s) }
        var failures: [String] = []
        for a in versions {
            for b in versions
            where RPMVersion.compareIgnoringMissingRelease(a, b) != -RPMVersion.compareIgnoringMissingRelease(b, a) {
                failures.append("\(a) vs \(b)")
            }
        }
        #expect(failures.isEmpty)
    }

    @Test func equalVersionsHashAlike() throws {
        let groups = [
            ["1.0", "1.00", "0:1.0", "01.0", "1_0", "1.0.", "1..0", "00:001.0", ":1.0"],
            ["1.0-1", "1.0-01", "0:1.0-1.", "1.00-1"],
            ["1.0^git1~rc", "1.0^git01~rc", "1_0^git1~rc."],
        ]
        for group in groups {
            let versions = try group.map { s in try RPMVersion(parsing: s) }
            #expect(Set(versions).count == 1, "\(group)")
        }
        #expect(try RPMVersion(parsing: "1.0") != RPMVersion(parsing: "1.0-1"))
    }

    @Test func longDigitRunsDoNotOverflow() {
        let big = String(repeating: "9", count: 500)
        #expect(rpmvercmp(big, "1" + String(repeating: "0", count: 500)) == -1)
        #expect(rpmvercmp("1." + big, "1." + String(repeating: "0", count: 40) + big) == 0)
        #expect(rpmvercmp(big + "1", big + "2") == -1)
    }

    @Test func sortingAListOfVersions() throws {
        let sorted = [
            "1.0~rc1", "1.0~rc1^git1", "1.0", "1.0-1", "1.0-1.el8", "1.0-2", "1.0^git1", "1.0a", "1.0.1", "1.01",
            "1:0.1",
        ]
        var rng = SplitMix64(seed: 11)
        let versions = try sorted.shuffled(using: &rng).map { s in try RPMVersion(parsing: s) }
        #expect(versions.sorted().map(\.description) == sorted)
    }
}
