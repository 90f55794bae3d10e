import Foundation
import PatchCore
import PatchTestSupport
import Testing

/// Compares this package's orderings with the real `dpkg` and `rpm` on this machine.
///
/// These tests need both tools (CI installs them: `apt-get install -y dpkg rpm`); when one is
/// missing they fail with a message saying so rather than skipping.
@Suite struct RealToolVersionTests {
    // MARK: dpkg

    @Test func debianSamplesMatchDpkg() throws {
        var rng = SplitMix64(seed: 0xD9_0C0F)
        let random = VersionSamples.debian(count: 300, seed: 0xD9_0001)
        let close = try VersionSamples.debian(count: 300, seed: 0xD9_0002)
            .map { s in try DebianVersion(parsing: s) }.sorted().map(\.description)
        var pairs: [(String, String)] = []
        for _ in 0..<150 {
            pairs.append((random.randomElement(using: &rng)!, random.randomElement(using: &rng)!))
        }
        // Neighbours in sorted order are the near-equal cases.
        for k in stride(from: 0, to: close.count - 1, by: 2) {
            pairs.append((close[k], close[k + 1]))
        }
        try checkAgainstDpkg(pairs)
    }

    @Test func debianFixtureMatchesDpkg() throws {
        try checkAgainstDpkg(VersionFixtures.dpkg.map { ($0.a, $0.b) })
    }

    private func checkAgainstDpkg(_ pairs: [(String, String)]) throws {
        guard let dpkg = ExternalTool.find("dpkg") else {
            Issue.record("dpkg is not installed (apt-get install -y dpkg); it is needed to check the Debian ordering")
            return
        }
        // One shell runs all the comparisons: -1, 0 or 1 per line.
        var script = ""
        for (a, b) in pairs {
            try #require(!(a + b).contains("'"))
            script += "if '\(dpkg)' --compare-versions -- '\(a)' lt '\(b)' 2>/dev/null; then echo -1; "
            script += "elif '\(dpkg)' --compare-versions -- '\(a)' eq '\(b)' 2>/dev/null; then echo 0; "
            script += "else echo 1; fi\n"
        }
        let result = try ExternalTool.run("/bin/sh", ["-s"], input: script)
        try #require(result.status == 0, "sh failed: \(result.stderr)")
        let answers = result.stdout.split(separator: "\n").map { Int($0) }
        try #require(answers.count == pairs.count, "dpkg gave \(answers.count) answers for \(pairs.count) pairs")
        for ((a, b), answer) in zip(pairs, answers) {
            let ours = try compareVersions(a, b, scheme: .deb)
            #expect(ours == answer, "dpkg --compare-versions '\(a)' '\(b)'")
        }
    }

    // MARK: rpm

    @Test func rpmvercmpSamplesMatchRPM() throws {
        // Bare versions (no '-' or ':'), for which rpm.vercmp() is plain rpmvercmp().
        var rng = SplitMix64(seed: 0x52_0C0F)
        let random = VersionSamples.rpmBare(count: 300, seed: 0x52_0001)
        let close = VersionSamples.rpmBare(count: 300, seed: 0x52_0002).sorted { rpmvercmp($0, $1) < 0 }
        var pairs: [(String, String)] = []
        for _ in 0..<150 {
            pairs.append((random.randomElement(using: &rng)!, random.randomElement(using: &rng)!))
        }
        for k in stride(from: 0, to: close.count - 1, by: 2) {
            pairs.append((close[k], close[k + 1]))
        }
        try checkAgainstRPM(pairs) { a, b in rpmvercmp(a, b) }
    }

    @Test func rpmEVRSamplesMatchRPM() throws {
        var rng = SplitMix64(seed: 0x45_0C0F)
        let random = VersionSamples.rpmEVR(count: 300, seed: 0x45_0001)
        let close = try VersionSamples.rpmEVR(count: 300, seed: 0x45_0002)
            .map { s in try RPMVersion(parsing: s) }.sorted().map(\.description)
        var pairs: [(String, String)] = []
        for _ in 0..<150 {
            pairs.append((random.randomElement(using: &rng)!, random.randomElement(using: &rng)!))
        }
        for k in stride(from: 0, to: close.count - 1, by: 2) {
            pairs.append((close[k], close[k + 1]))
        }
        try checkAgainstRPM(pairs) { a, b in try compareVersions(a, b, scheme: .rpm) }
    }

    @Test func rpmFixtureMatchesRPM() throws {
        try checkAgainstRPM(VersionFixtures.rpm.map { ($0.a, $0.b) }) { a, b in
            try compareVersions(a, b, scheme: .rpm)
        }
    }

    private func checkAgainstRPM(
        _ pairs: [(String, String)],
        _ ours: (String, String) throws -> Int
    ) throws {
        guard let rpm = ExternalTool.find("rpm") else {
            Issue.record("rpm is not installed (apt-get install -y rpm); it is needed to check the RPM ordering")
            return
        }
        // One `rpm --eval` runs a Lua loop over all the pairs and prints "result;" for each.
        var table = ""
        for (a, b) in pairs {
            try #require(!(a + b).contains { $0 == "\"" || $0 == "\\" || $0 == "%" || $0 == "{" || $0 == "}" })
            table += "{\"\(a)\",\"\(b)\"},"
        }
        let lua = "local t = {\(table)} for _, p in ipairs(t) do print(rpm.vercmp(p[1], p[2]) .. \";\") end"
        let result = try ExternalTool.run(rpm, ["--eval", "%{lua: \(lua)}"])
        try #require(result.status == 0, "rpm --eval failed: \(result.stderr)")
        let answers = result.stdout.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }.map { Int($0) }
        try #require(answers.count == pairs.count, "rpm gave \(answers.count) answers for \(pairs.count) pairs")
        for ((a, b), answer) in zip(pairs, answers) {
            #expect(try ours(a, b) == answer, "rpm.vercmp(\"\(a)\", \"\(b)\")")
        }
    }

    @Test func rpmVercmpComparesWholeEVRs() throws {
        // What rpm.vercmp() compares on this rpm: the whole EVR, a missing release older than any.
        guard let rpm = ExternalTool.find("rpm") else {
            Issue.record("rpm is not installed (apt-get install -y rpm); it is needed to check the RPM ordering")
            return
        }
        let lua = #"print(rpm.vercmp("1:1.0", "2.0") .. ";" .. rpm.vercmp("1.0-1", "1.0") .. ";")"#
        let result = try ExternalTool.run(rpm, ["--eval", "%{lua: \(lua)}"])
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1;1;")
    }
}

enum ExternalTool {
    /// The path of an executable named `name` on PATH (or in the usual system directories).
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` with `arguments` and `input` on its standard input; input and output go
    /// through temporary files so that no pipe can fill up and block either side.
    static func run(_ executable: String, _ arguments: [String], input: String = "") throws -> Result {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("patchd-version-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inURL = directory.appendingPathComponent("stdin")
        try Data(input.utf8).write(to: inURL)
        let outURL = directory.appendingPathComponent("stdout")
        let errURL = directory.appendingPathComponent("stderr")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let inHandle = try FileHandle(forReadingFrom: inURL)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = inHandle
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        try inHandle.close()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
        )
    }
}
