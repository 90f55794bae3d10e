import Foundation
import PatchCore
import PatchTestSupport
import Testing

/// Runs the built `patchctl` as a real process.
enum Patchctl {
    struct Output: Sendable {
        let status: Int32
        let exited: Bool
        let stdout: String
        let stderr: String

        var lines: [String] {
            stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        }
    }

    static var search: (path: String?, searched: [String]) { PatchctlBinary.search }

    static func executable() throws -> String { try PatchctlBinary.path() }

    static func run(_ arguments: [String], stdin: [UInt8]? = nil) throws -> Output {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("patchctl-test-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        // Files, not pipes: nothing can fill up and block while the process runs.
        let outURL = dir.appendingPathComponent("stdout")
        let errURL = dir.appendingPathComponent("stderr")
        let inURL = dir.appendingPathComponent("stdin")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        try Data(stdin ?? []).write(to: inURL)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let input = try FileHandle(forReadingFrom: inURL)
        defer {
            try? out.close()
            try? err.close()
            try? input.close()
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable())
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, exited: process.terminationReason == .exit,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}

/// A scratch directory for input files, removed when the value goes away.
final class Scratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("patchctl-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String, _ text: String) throws -> String { try file(name, bytes: Array(text.utf8)) }

    func file(_ name: String, bytes: [UInt8]) throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

enum Fixtures {
    static let baselines = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("PatchCoreTests/Fixtures/baselines")

    static func path(_ name: String) -> String { baselines.appendingPathComponent(name).path }
}

@Suite struct PatchctlCLITests {
    @Test func binaryIsFound() throws {
        let path = try Patchctl.executable()
        #expect(path.hasSuffix("/patchctl"))
        let help = try Patchctl.run(["--help"])
        #expect(help.exited && help.status == 0)
        #expect(help.stdout.contains("vercmp"))
        #expect(help.stdout.contains("baseline"))
        let version = try Patchctl.run(["--version"])
        #expect(version.stdout == PatchdVersion.current + "\n")
    }

    // MARK: vercmp

    struct Comparison: Sendable, CustomTestStringConvertible {
        let format: String
        let a: String
        let b: String
        let expected: Int
        init(_ format: String, _ a: String, _ b: String, _ expected: Int) {
            self.format = format
            self.a = a
            self.b = b
            self.expected = expected
        }
        var testDescription: String { "\(format) \(a) \(b)" }
    }

    static let comparisons: [Comparison] = [
        Comparison("deb", "1.0", "1.1", -1),
        Comparison("deb", "1.1", "1.0", 1),
        Comparison("deb", "1.0", "1.0", 0),
        Comparison("deb", "2:1.0", "1:9.9", 1),
        Comparison("deb", "1.0~rc1", "1.0", -1),
        Comparison("deb", "1.0+b1", "1.0", 1),
        Comparison("deb", "1.2.3-1ubuntu1", "1.2.3-1", 1),
        Comparison("rpm", "1.0", "1.1", -1),
        Comparison("rpm", "1.10", "1.9", 1),
        Comparison("rpm", "1.0", "1.0", 0),
        Comparison("rpm", "1:1.0", "2.0", 1),
        Comparison("rpm", "1.0~rc1", "1.0", -1),
        Comparison("rpm", "1.0-2", "1.0-1", 1),
        Comparison("rpm", "4.14.1-1.amzn2", "4.14.1-2.amzn2", -1),
    ]

    @Test(arguments: comparisons)
    func vercmp(_ c: Comparison) throws {
        let out = try Patchctl.run(["vercmp", "--format", c.format, c.a, c.b])
        #expect(out.exited)
        #expect(out.status == 0)
        #expect(out.stdout == "\(c.expected)\n")
        #expect(out.stderr == "")
    }

    @Test(arguments: [["deb", "a:b", "1.0"], ["deb", "1.0", ""], ["rpm", "", "1.0"], ["deb", "1.0 2", "1.0"]])
    func vercmpRejectsAnInvalidVersion(_ args: [String]) throws {
        let out = try Patchctl.run(["vercmp", "--format", args[0], args[1], args[2]])
        #expect(out.exited)
        #expect(out.status == 2)
        #expect(out.stdout == "")
        #expect(out.stderr.hasPrefix("patchctl vercmp: "))
        #expect(out.stderr.hasSuffix("\n"))
    }

    @Test(arguments: [
        ["vercmp", "--format", "dpkg", "1", "2"], ["vercmp", "1", "2"], ["vercmp", "--format", "deb", "1"],
        ["vercmp", "--format", "DEB", "1", "2"], ["vercmp", "--format", "deb", "1", "2", "3"],
    ])
    func vercmpRejectsBadArguments(_ args: [String]) throws {
        let out = try Patchctl.run(args)
        #expect(out.exited)
        #expect(out.status != 0)
        #expect(out.stdout == "")
        #expect(!out.stderr.isEmpty)
    }

    @Test func vercmpNamesTheFormats() throws {
        let out = try Patchctl.run(["vercmp", "--format", "xyz", "1", "2"])
        #expect(out.exited && out.status != 0 && out.status != 1)
        #expect(out.stderr.contains("use --format deb or rpm"))
    }

    // MARK: baseline validate

    static let fixtures = [
        "baseline-override.json", "create-amazon-linux-approved-rejected.json",
        "create-amazon-linux-rules-and-repo.json",
        "create-windows-auto-approval.json", "create-windows-until-date.json", "get-patch-baseline-cli-v2.json",
        "get-patch-baseline-windows.json", "get-patch-baseline-wire-dates.json", "snapshot-amazon-linux-2.json",
    ]

    @Test func validateAcceptsValidFilesSilently() throws {
        let out = try Patchctl.run(["baseline", "validate"] + Self.fixtures.map(Fixtures.path))
        #expect(out.exited)
        #expect(out.status == 0)
        #expect(out.stdout == "")
        #expect(out.stderr == "")
    }

    @Test func validateVerboseNamesEachValidFile() throws {
        let api = Fixtures.path("get-patch-baseline-windows.json")
        let list = Fixtures.path("baseline-override.json")
        let snapshot = Fixtures.path("snapshot-amazon-linux-2.json")
        let out = try Patchctl.run(["baseline", "validate", "-v", api, list, snapshot])
        #expect(out.status == 0)
        #expect(
            out.lines == [
                "\(api): valid api form (WindowsPatching)",
                "\(list): valid overrideList form (AMAZON_LINUX_2023, UBUNTU, REDHAT_ENTERPRISE_LINUX)",
                "\(snapshot): valid snapshot form (AWS-AmazonLinux2DefaultPatchBaseline)",
            ])
    }

    @Test func validatePrintsOneLinePerProblem() throws {
        let scratch = try Scratch()
        let bad = try scratch.file(
            "bad.json",
            """
            {
                "Name": "Bad Name",
                "OperatingSystem": "AMAZON_LINUX_2",
                "ApprovalRules": {"PatchRules": [
                    {"PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Security"]}]},
                     "ApproveAfterDays": 7},
                    {"PatchFilterGroup": {"PatchFilters": [{"Key": "PRIORITY", "Values": ["Required"]}]},
                     "ApproveAfterDays": 400}
                ]},
                "RejectedPatches": ["ALAS-2018-123"],
                "approvedPatches": []
            }
            """)
        let good = Fixtures.path("create-windows-auto-approval.json")
        let out = try Patchctl.run(["baseline", "validate", good, bad])
        #expect(out.exited)
        #expect(out.status == 1)
        #expect(
            out.lines == [
                "\(bad): approvedPatches: unknown field (did you mean ApprovedPatches?)",
                #"\#(bad): Name: "Bad Name" contains ' ', which is not allowed here"#,
                "\(bad): ApprovalRules.PatchRules[1].PatchFilterGroup.PatchFilters[0].Key: PRIORITY is not a filter key "
                    + "for AMAZON_LINUX_2 baselines (use PRODUCT, CLASSIFICATION, SEVERITY)",
                "\(bad): ApprovalRules.PatchRules[1].ApproveAfterDays: 400 is outside 0...360",
                #"\#(bad): RejectedPatches[0]: "ALAS-2018-123" is an advisory, CVE or Bugzilla id; those are "#
                    + "accepted in ApprovedPatches only",
            ])
        #expect(out.stderr == "")
    }

    @Test func validateReportsWhereTheJSONIsMalformed() throws {
        let scratch = try Scratch()
        let path = try scratch.file("trailing-comma.json", "{\n    \"Name\": \"abc\",\n}\n")
        let unterminated = try scratch.file("unterminated.json", "{\"Name\": \"abc")
        let out = try Patchctl.run(["baseline", "validate", path, unterminated])
        #expect(out.exited)
        #expect(out.status == 1)
        #expect(
            out.lines == [
                "\(path): line 3, column 1: expected a quoted key, found character '}'",
                "\(unterminated): line 1, column 10: unterminated string",
            ])
    }

    @Test func validateExitsZeroOnWarningsAlone() throws {
        let scratch = try Scratch()
        let path = try scratch.file(
            "snapshot.json",
            #"{"patchBaseline": {"name": "snap-baseline", "operatingSystem": "UBUNTU", "later": 1}, "newField": true}"#)
        let out = try Patchctl.run(["baseline", "validate", path])
        #expect(out.exited)
        #expect(out.status == 0)
        #expect(
            out.lines == [
                "\(path): patchBaseline.later: warning: unknown field", "\(path): newField: warning: unknown field",
            ])
    }

    @Test func validateNeverCrashesOnFilesThatAreNotBaselines() throws {
        let scratch = try Scratch()
        let directory = scratch.url.path
        let missing = scratch.url.appendingPathComponent("missing.json").path
        let empty = try scratch.file("empty.json", "")
        var generator = SystemRandomNumberGenerator()
        let garbage = try scratch.file(
            "garbage.bin",
            bytes: [0xFF, 0xFE, 0x00] + (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let deep = try scratch.file("deep.json", String(repeating: "[", count: 200_000))
        let scalar = try scratch.file("scalar.json", "42")
        let cases: [(path: String, line: String)] = [
            (missing, "\(missing): no such file"),
            (directory, "\(directory): is a directory"),
            (empty, "\(empty): line 1, column 1: unexpected end of input, expected a value"),
            ("/dev/null", "/dev/null: line 1, column 1: unexpected end of input, expected a value"),
            (garbage, "\(garbage): line 1, column 1: unexpected byte 0xFF, expected a value"),
            (deep, "\(deep): line 1, column 257: nesting deeper than 256 levels"),
            (
                scalar,
                "\(scalar): (top level): expected a baseline object, a BaselineOverride array or a snapshot object, "
                    + "found a number"
            ),
        ]
        for c in cases {
            let out = try Patchctl.run(["baseline", "validate", c.path])
            #expect(out.exited, "\(c.path) ended by a signal")
            #expect(out.status == 1, "\(c.path)")
            #expect(out.lines == [c.line])
        }
        // All at once, with a valid file among them: every file is reported, in order.
        let valid = Fixtures.path("create-windows-until-date.json")
        let all = try Patchctl.run(["baseline", "validate", missing, valid] + cases.dropFirst().map(\.path))
        #expect(all.exited)
        #expect(all.status == 1)
        #expect(all.lines == cases.map(\.line))
    }

    @Test func validateRefusesFilesLargerThan16MiB() throws {
        let scratch = try Scratch()
        let path = scratch.url.appendingPathComponent("huge.json").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 16 << 20 + 1)
        try handle.close()
        let out = try Patchctl.run(["baseline", "validate", path])
        #expect(out.exited)
        #expect(out.status == 1)
        #expect(out.lines == ["\(path): is larger than 16 MiB"])
    }

    @Test func validateReadsStandardInput() throws {
        let text = try String(contentsOfFile: Fixtures.path("get-patch-baseline-cli-v2.json"), encoding: .utf8)
        let ok = try Patchctl.run(["baseline", "validate", "-"], stdin: Array(text.utf8))
        #expect(ok.exited && ok.status == 0)
        #expect(ok.stdout == "")
        // More than a pipe buffer: the whole of standard input is read.
        let padded = try Patchctl.run(
            ["baseline", "validate", "-"], stdin: Array((String(repeating: " \n", count: 600_000) + text).utf8))
        #expect(padded.exited && padded.status == 0)
        #expect(padded.stdout == "")
        let bad = try Patchctl.run(["baseline", "validate", "-"], stdin: Array(#"{"Name": "x"}"#.utf8))
        #expect(bad.status == 1)
        #expect(bad.lines == [#"-: Name: "x" is 1 characters long; 3 to 128 are allowed"#])
        let nothing = try Patchctl.run(["baseline", "validate", "-"])
        #expect(nothing.status == 1)
        #expect(nothing.lines == ["-: line 1, column 1: unexpected end of input, expected a value"])
    }

    @Test func validateNeedsAFile() throws {
        let out = try Patchctl.run(["baseline", "validate"])
        #expect(out.exited)
        #expect(out.status != 0 && out.status != 1)
        #expect(out.stderr.contains("Missing expected argument '<files> ...'"))
    }

    // MARK: baseline default

    @Test(arguments: OperatingSystem.allCases)
    func defaultBaselineValidates(_ os: OperatingSystem) throws {
        let out = try Patchctl.run(["baseline", "default", os.rawValue])
        #expect(out.exited)
        #expect(out.status == 0)
        #expect(out.stderr == "")
        let expected = PredefinedBaselines.baseline(for: os)
        #expect(out.stdout == JSONWriter.write(BaselineWriter.apiJSON(expected)) + "\n")
        let json = try JSONParser.parse(out.stdout)
        #expect(json["OperatingSystem"] == .string(os.rawValue))
        #expect(json["Name"] == expected.name.map(JSONValue.string))
        let validated = try Patchctl.run(["baseline", "validate", "-"], stdin: Array(out.stdout.utf8))
        #expect(validated.exited)
        #expect(validated.status == 0)
        #expect(validated.stdout == "")
        #expect(BaselineReader.read(out.stdout).document?.baselines == [expected])
    }

    @Test(arguments: [
        ("debian", OperatingSystem.debian), ("amazon-linux-2023", .amazonLinux2023), ("Rocky_Linux", .rockyLinux),
    ])
    func defaultAcceptsTheOSInAnyCase(_ argument: String, _ os: OperatingSystem) throws {
        let out = try Patchctl.run(["baseline", "default", argument])
        #expect(out.status == 0)
        #expect(try JSONParser.parse(out.stdout)["OperatingSystem"] == .string(os.rawValue))
    }

    @Test func defaultInTheSnapshotForm() throws {
        let out = try Patchctl.run(["baseline", "default", "UBUNTU", "--form", "snapshot"])
        #expect(out.status == 0)
        let result = BaselineReader.read(out.stdout)
        #expect(result.problems == [])
        #expect(result.document?.form == .snapshot)
        #expect(result.document?.baselines == [PredefinedBaselines.baseline(for: .ubuntu)])
        let validated = try Patchctl.run(["baseline", "validate", "-"], stdin: Array(out.stdout.utf8))
        #expect(validated.status == 0)
    }

    @Test(arguments: ["FOO", "", "AMAZON_LINUX_3", "windows10"])
    func defaultRejectsAnUnknownOS(_ argument: String) throws {
        let out = try Patchctl.run(["baseline", "default", argument])
        #expect(out.exited)
        #expect(out.status != 0)
        #expect(out.stdout == "")
        #expect(out.stderr.contains("'\(argument)' is not an OperatingSystem; use one of WINDOWS, AMAZON_LINUX, "))
        #expect(out.stderr.contains("ROCKY_LINUX, ALMA_LINUX"))
    }

    @Test func defaultNeedsAnOS() throws {
        let out = try Patchctl.run(["baseline", "default"])
        #expect(out.exited)
        #expect(out.status != 0)
        #expect(out.stdout == "")
    }

    // MARK: baseline show

    @Test func showPicksAnOverrideEntry() throws {
        let path = Fixtures.path("baseline-override.json")
        let document = try #require(
            BaselineReader.read(try Data(contentsOf: URL(fileURLWithPath: path)).map { $0 }).document)
        for os in [OperatingSystem.ubuntu, .amazonLinux2023] {
            let out = try Patchctl.run(["baseline", "show", path, "--os", os.rawValue])
            #expect(out.exited)
            #expect(out.status == 0)
            #expect(out.stderr == "")
            let expected = try #require(document.baseline(for: os))
            #expect(out.stdout == JSONWriter.write(BaselineWriter.apiJSON(expected)) + "\n")
        }
    }

    @Test func showRedactsSourceConfigurations() throws {
        let path = Fixtures.path("baseline-override.json")
        let redacted = try Patchctl.run(["baseline", "show", path, "--os", "redhat-enterprise-linux"])
        #expect(redacted.status == 0)
        #expect(!redacted.stdout.contains("secret"))
        let sources = try JSONParser.parse(redacted.stdout)["Sources"]
        guard case .array(let list) = sources else {
            Issue.record("no Sources in \(redacted.stdout)")
            return
        }
        #expect(list.first?["Configuration"] == .string("<redacted>"))
        let shown = try Patchctl.run(["baseline", "show", path, "--os", "REDHAT_ENTERPRISE_LINUX", "--show-secrets"])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("https://user:secret@repo.example.com/rhel8"))
    }

    @Test func showNeedsAnOSForAnOverrideList() throws {
        let path = Fixtures.path("baseline-override.json")
        let out = try Patchctl.run(["baseline", "show", path])
        #expect(out.exited)
        #expect(out.status == 2)
        #expect(out.stdout == "")
        #expect(out.stderr == "\(path): a BaselineOverride array; give --os to pick an entry\n")
        let none = try Patchctl.run(["baseline", "show", path, "--os", "DEBIAN"])
        #expect(none.status == 1)
        #expect(none.stderr == "\(path): no entry for DEBIAN\n")
        let unknown = try Patchctl.run(["baseline", "show", path, "--os", "PLAN9"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("'PLAN9' is not an OperatingSystem"))
    }

    @Test func showRefusesABaselineForAnotherOS() throws {
        let snapshot = Fixtures.path("snapshot-amazon-linux-2.json")
        let out = try Patchctl.run(["baseline", "show", snapshot, "--os", "DEBIAN"])
        #expect(out.status == 1)
        #expect(out.stdout == "")
        #expect(out.stderr == "\(snapshot): the baseline is for AMAZON_LINUX_2, not DEBIAN\n")
        let same = try Patchctl.run(["baseline", "show", snapshot, "--os", "AMAZON_LINUX_2"])
        #expect(same.status == 0)
    }

    @Test func showConvertsBetweenForms() throws {
        let snapshot = Fixtures.path("snapshot-amazon-linux-2.json")
        let asAPI = try Patchctl.run(["baseline", "show", snapshot])
        #expect(asAPI.status == 0)
        let api = BaselineReader.read(asAPI.stdout)
        #expect(api.problems == [])
        #expect(api.document?.form == .api)
        let asSnapshot = try Patchctl.run(["baseline", "show", snapshot, "--form", "snapshot"])
        #expect(asSnapshot.status == 0)
        let again = BaselineReader.read(asSnapshot.stdout)
        #expect(again.problems == [])
        #expect(again.document?.snapshot?.instanceId == "i-0123456789abcdef0")
        #expect(again.document?.baselines == api.document?.baselines)
    }

    @Test func showReportsProblemsOnStandardError() throws {
        let scratch = try Scratch()
        let bad = try scratch.file("bad.json", #"{"Name": "ab"}"#)
        let out = try Patchctl.run(["baseline", "show", bad])
        #expect(out.exited)
        #expect(out.status == 1)
        #expect(out.stdout == "")
        #expect(out.stderr == "\(bad): Name: \"ab\" is 2 characters long; 3 to 128 are allowed\n")
        let missing = scratch.url.appendingPathComponent("missing.json").path
        let gone = try Patchctl.run(["baseline", "show", missing])
        #expect(gone.exited)
        #expect(gone.status == 2)
        #expect(gone.stderr == "\(missing): no such file\n")
        let garbage = try Patchctl.run(["baseline", "show", "-"], stdin: [0x00, 0xFF, 0x7B])
        #expect(garbage.exited)
        #expect(garbage.status == 1)
        #expect(garbage.stderr == "-: line 1, column 1: unexpected byte 0x0, expected a value\n")
    }
}
