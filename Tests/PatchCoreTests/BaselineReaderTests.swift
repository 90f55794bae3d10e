import Foundation
import PatchCore
import PatchTestSupport
import Testing

/// Builds baseline JSON for the tables below.
enum BaselineJSON {
    /// An API-form baseline: `{"Name": …, "OperatingSystem": …, members…}`. `name` is raw JSON, nil to omit it.
    static func api(os: String = "AMAZON_LINUX_2", name: String? = #""test-baseline""#, _ members: String...) -> String
    {
        var all: [String] = []
        if let name { all.append(#""Name": \#(name)"#) }
        all.append(#""OperatingSystem": "\#(os)""#)
        all += members
        return "{" + all.joined(separator: ", ") + "}"
    }

    /// `{"Key": key, "Values": [values…]}`.
    static func filter(_ key: String, _ values: String...) -> String { filter(key, values: values) }

    static func filter(_ key: String, values: [String]) -> String {
        #"{"Key": "\#(key)", "Values": [\#(values.map(quoted).joined(separator: ", "))]}"#
    }

    static let security = filter("CLASSIFICATION", "Security")

    /// One PatchRule with `filters` and `extra` members (by default ApproveAfterDays 7).
    static func rule(_ filters: String = security, _ extra: String = #""ApproveAfterDays": 7"#) -> String {
        let rest = extra.isEmpty ? "" : ", " + extra
        return #"{"PatchFilterGroup": {"PatchFilters": [\#(filters)]}\#(rest)}"#
    }

    static func rules(_ rules: String...) -> String { self.rules(rules) }

    static func rules(_ rules: [String]) -> String {
        #""ApprovalRules": {"PatchRules": [\#(rules.joined(separator: ", "))]}"#
    }

    static func global(_ filters: String...) -> String {
        #""GlobalFilters": {"PatchFilters": [\#(filters.joined(separator: ", "))]}"#
    }

    static func list(_ key: String, _ entries: [String]) -> String {
        #""\#(key)": [\#(entries.map(quoted).joined(separator: ", "))]"#
    }

    static func source(name: String = "my-repo", products: [String] = ["AmazonLinux2"], configuration: String = "[r]")
        -> String
    {
        let p = products.map(quoted).joined(separator: ", ")
        return #"{"Name": \#(quoted(name)), "Products": [\#(p)], "Configuration": \#(quoted(configuration))}"#
    }

    static func quoted(_ s: String) -> String { JSONWriter.write(.string(s)) }
}

/// Loads files from Tests/PatchCoreTests/Fixtures/baselines.
enum BaselineFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/baselines")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static let all = [
        "baseline-override.json", "create-amazon-linux-approved-rejected.json",
        "create-amazon-linux-rules-and-repo.json",
        "create-windows-auto-approval.json", "create-windows-until-date.json", "get-patch-baseline-cli-v2.json",
        "get-patch-baseline-windows.json", "get-patch-baseline-wire-dates.json", "snapshot-amazon-linux-2.json",
    ]
}

private func lines(_ result: BaselineReadResult) -> [String] { result.problems.map(\.description) }

private func instant(_ iso: String) -> UTCInstant { UTCInstant(iso8601: iso)! }

@Suite struct BaselineReaderTests {
    typealias J = BaselineJSON

    // MARK: API form: CreatePatchBaseline input

    @Test func fixturesAreAllValidWithoutWarnings() throws {
        let present = try FileManager.default.contentsOfDirectory(atPath: BaselineFixtures.directory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        #expect(present == BaselineFixtures.all)
        for name in BaselineFixtures.all {
            let result = BaselineReader.read(try BaselineFixtures.bytes(name))
            #expect(lines(result) == [], "\(name)")
            #expect(result.isValid, "\(name)")
        }
    }

    @Test func createPatchBaselineWithRulesTagsAndRepository() throws {
        let result = BaselineReader.read(try BaselineFixtures.bytes("create-amazon-linux-rules-and-repo.json"))
        #expect(lines(result) == [])
        let document = try #require(result.document)
        #expect(document.form == .api)
        let b = try #require(document.baselines.first)
        #expect(document.baselines.count == 1)
        #expect(b.name == "Amazon-Linux-2017.09-Production-Baseline")
        #expect(b.description == "My approval rules patch baseline for Amazon Linux 2017.09 instances")
        #expect(b.operatingSystem == .amazonLinux)
        #expect(b.baselineId == nil)
        #expect(b.tags == [Tag(key: "Environment", value: "Production")])
        #expect(b.globalFilters == [])
        #expect(
            b.approvalRules == [
                PatchRule(
                    filters: [
                        PatchFilter(key: .severity, values: ["Important", "Critical"]),
                        PatchFilter(key: .classification, values: ["Security", "Bugfix"]),
                        PatchFilter(key: .product, values: ["AmazonLinux2017.09"]),
                    ], complianceLevel: .unspecified, approval: .afterDays(7), enableNonSecurity: true)
            ])
        #expect(b.sources.count == 1)
        #expect(b.sources.first?.name == "My-AL2017.09")
        #expect(b.sources.first?.products == ["AmazonLinux2017.09"])
        #expect(b.sources.first?.configuration.hasPrefix("[amzn-main] \nname=amzn-main-Base\n") == true)
        #expect(b.sources.first?.configuration.hasSuffix("timeout=5\nreport_instanceid=yes") == true)
        // Defaults of the fields the document leaves out.
        #expect(b.approvedPatches == [])
        #expect(b.rejectedPatches == [])
        #expect(b.approvedPatchesComplianceLevel == .unspecified)
        #expect(b.approvedPatchesEnableNonSecurity == false)
        #expect(b.rejectedPatchesAction == .allowAsDependency)
        #expect(b.availableSecurityUpdatesComplianceStatus == nil)
        #expect(b.clientToken == nil)
        #expect(b.patchGroups == [])
        #expect(b.createdDate == nil && b.modifiedDate == nil)
    }

    @Test func createPatchBaselineWithApprovedPatchesAndClientToken() throws {
        let result = BaselineReader.read(try BaselineFixtures.bytes("create-amazon-linux-approved-rejected.json"))
        #expect(lines(result) == [])
        let b = try #require(result.document?.baselines.first)
        #expect(b.approvedPatches == ["CVE-2018-1234567", "example-pkg-EE-2018*.amzn1.noarch"])
        #expect(b.approvedPatchesComplianceLevel == .high)
        #expect(b.approvedPatchesEnableNonSecurity)
        #expect(b.tags == [Tag(key: "Environment", value: "Alpha")])
        #expect(b.clientToken == "3f2a1c9e-5d7b-4e0a-9c1f-2b8d6e4a7c01")
        #expect(b.approvalRules == [])
    }

    @Test func createPatchBaselineForWindowsByDaysAndByDate() throws {
        let days = try #require(
            BaselineReader.read(try BaselineFixtures.bytes("create-windows-auto-approval.json")).document?.baselines
                .first)
        let until = try #require(
            BaselineReader.read(try BaselineFixtures.bytes("create-windows-until-date.json")).document?.baselines.first)
        #expect(days.operatingSystem == .windows)
        #expect(days.approvalRules.first?.approval == .afterDays(7))
        #expect(until.approvalRules.first?.approval == .untilDate(CalendarDate(parsing: "2020-07-07")!))
        #expect(
            days.approvalRules.first?.filters == [
                PatchFilter(key: .msrcSeverity, values: ["Critical", "Important", "Moderate"]),
                PatchFilter(
                    key: .classification, values: ["SecurityUpdates", "Updates", "UpdateRollups", "CriticalUpdates"]),
            ])
        #expect(days.approvalRules.first?.filters == until.approvalRules.first?.filters)
    }

    @Test func operatingSystemDefaultsToWindows() throws {
        let result = BaselineReader.read(#"{"Name": "no-os-given"}"#)
        #expect(lines(result) == [])
        #expect(result.document?.baselines.first?.operatingSystem == .windows)
    }

    // MARK: API form: GetPatchBaseline output

    @Test func getPatchBaselineWithEpochDates() throws {
        let result = BaselineReader.read(try BaselineFixtures.bytes("get-patch-baseline-windows.json"))
        #expect(lines(result) == [])
        let b = try #require(result.document?.baselines.first)
        #expect(b.baselineId == "pb-0123456789abcdef0")
        #expect(b.patchGroups == ["QA", "DEV"])
        // 1550244180.465: whole seconds.
        #expect(b.createdDate == UTCInstant(secondsSinceEpoch: 1_550_244_180))
        #expect(b.createdDate == instant("2019-02-15T15:23:00Z"))
        #expect(b.modifiedDate == b.createdDate)
        #expect(b.description == "Patches for Windows Servers")
        #expect(b.approvalRules.first?.complianceLevel == .critical)
        #expect(b.approvalRules.first?.approval == .afterDays(0))
    }

    @Test func getPatchBaselineWithISODates() throws {
        let result = BaselineReader.read(try BaselineFixtures.bytes("get-patch-baseline-cli-v2.json"))
        #expect(lines(result) == [])
        let b = try #require(result.document?.baselines.first)
        #expect(b.baselineId == "arn:aws:ssm:us-east-1:111122223333:patchbaseline/pb-0c10e65780EXAMPLE")
        #expect(b.createdDate == UTCInstant(secondsSinceEpoch: 1_550_244_180))
        #expect(b.modifiedDate == instant("2024-06-01T06:00:00Z"))
        #expect(b.operatingSystem == .ubuntu)
        #expect(b.globalFilters == [PatchFilter(key: .product, values: ["Ubuntu22.04", "Ubuntu24.04"])])
        #expect(b.rejectedPatchesAction == .block)
        #expect(b.approvedPatchesComplianceLevel == .medium)
    }

    /// AWS's JSON services write timestamps in exponent notation (1.550244180465E9).
    @Test func getPatchBaselineWithExponentDates() throws {
        let result = BaselineReader.read(try BaselineFixtures.bytes("get-patch-baseline-wire-dates.json"))
        #expect(lines(result) == [])
        let b = try #require(result.document?.baselines.first)
        #expect(b.createdDate == UTCInstant(secondsSinceEpoch: 1_550_244_180))
        #expect(b.modifiedDate == UTCInstant(secondsSinceEpoch: 1_700_100_000))
        #expect(b.approvedPatches == ["ALAS2023-2025-123"])
        #expect(b.operatingSystem == .amazonLinux2023)
    }

    struct Dated: Sendable, CustomTestStringConvertible {
        let json: String
        let seconds: Int64?
        let problem: String?
        var testDescription: String { json }
    }

    static let dates: [Dated] = [
        Dated(json: "0", seconds: 0, problem: nil),
        Dated(json: "1525194800", seconds: 1_525_194_800, problem: nil),
        Dated(json: "1525194800.068", seconds: 1_525_194_800, problem: nil),
        Dated(json: "1525194800.999", seconds: 1_525_194_800, problem: nil),
        Dated(json: "1.525194800068E9", seconds: 1_525_194_800, problem: nil),
        Dated(json: "1.5e9", seconds: 1_500_000_000, problem: nil),
        Dated(json: "15251948000e-1", seconds: 1_525_194_800, problem: nil),
        Dated(json: #""2018-05-01T17:13:20Z""#, seconds: 1_525_194_800, problem: nil),
        Dated(json: #""2018-05-01T17:13:20.068Z""#, seconds: 1_525_194_800, problem: nil),
        Dated(json: #""2018-05-01T19:13:20.068000+02:00""#, seconds: 1_525_194_800, problem: nil),
        Dated(json: #""2018-05-01""#, seconds: 1_525_132_800, problem: nil),
        Dated(json: "null", seconds: nil, problem: nil),
        Dated(json: "-1", seconds: nil, problem: "CreatedDate: expected seconds since 1970, found -1"),
        Dated(
            json: "-9223372036854775808", seconds: nil,
            problem: "CreatedDate: expected seconds since 1970, found -9223372036854775808"),
        Dated(
            json: "9223372036854775807", seconds: nil,
            problem: "CreatedDate: expected seconds since 1970, found 9223372036854775807"),
        Dated(json: "1e400", seconds: nil, problem: "CreatedDate: expected seconds since 1970, found 1e400"),
        Dated(json: #""yesterday""#, seconds: nil, problem: #"CreatedDate: "yesterday" is not an ISO 8601 date-time"#),
        Dated(
            json: #""2018-02-30T00:00:00Z""#, seconds: nil,
            problem: #"CreatedDate: "2018-02-30T00:00:00Z" is not an ISO 8601 date-time"#),
        Dated(json: "true", seconds: nil, problem: "CreatedDate: expected a date, found a boolean"),
        Dated(json: "[]", seconds: nil, problem: "CreatedDate: expected a date, found an array"),
    ]

    @Test(arguments: dates)
    func createdDate(_ c: Dated) throws {
        let result = BaselineReader.read(
            J.api(#""BaselineId": "pb-0123456789abcdef0""#, #""CreatedDate": \#(c.json)"#))
        #expect(lines(result) == (c.problem.map { [$0] } ?? []))
        let b = try #require(result.document?.baselines.first)
        #expect(b.createdDate?.secondsSinceEpoch == c.seconds)
        // Whatever was accepted can be written back.
        _ = JSONWriter.write(BaselineWriter.apiJSON(b))
        _ = JSONWriter.write(BaselineWriter.snapshotJSON(BaselineSnapshot(baseline: b)))
    }

    @Test func nameIsRequiredUnlessTheBaselineHasAnId() {
        #expect(lines(BaselineReader.read(J.api(name: nil))) == ["Name: required field is missing"])
        #expect(lines(BaselineReader.read(J.api(name: "null"))) == ["Name: required field is missing"])
        #expect(lines(BaselineReader.read(J.api(name: nil, #""BaselineId": "pb-0123456789abcdef0""#))) == [])
    }

    @Test func readAPIBaselineTakesOneEntryWithoutAName() throws {
        let json = try JSONParser.parse(
            J.api(os: "UBUNTU", name: nil, J.rules(J.rule(J.filter("PRIORITY", "Required")))))
        let (baseline, problems) = BaselineReader.readAPIBaseline(json)
        #expect(problems == [])
        #expect(baseline?.operatingSystem == .ubuntu)
        let (none, notAnObject) = BaselineReader.readAPIBaseline(.array([]))
        #expect(none == nil)
        #expect(notAnObject.map(\.description) == ["(top level): expected an object, found an array"])
    }

    // MARK: BaselineOverride arrays

    @Test func overrideListPicksTheEntryOfTheHostOS() throws {
        let result = BaselineReader.read(try BaselineFixtures.bytes("baseline-override.json"))
        #expect(lines(result) == [])
        let document = try #require(result.document)
        #expect(document.form == .overrideList)
        #expect(document.baselines.map(\.operatingSystem) == [.amazonLinux2023, .ubuntu, .redhatEnterpriseLinux])
        #expect(document.snapshot == nil)
        let al2023 = try #require(document.baseline(for: .amazonLinux2023))
        #expect(al2023.rejectedPatches == ["kernel*"])
        #expect(al2023.rejectedPatchesAction == .block)
        #expect(al2023.approvalRules.first?.complianceLevel == .critical)
        #expect(al2023.approvalRules.first?.approval == .afterDays(3))
        #expect(al2023.name == nil)
        #expect(document.baseline(for: .ubuntu)?.approvedPatches == ["openssl"])
        let rhel = try #require(document.baseline(for: .redhatEnterpriseLinux))
        #expect(rhel.approvalRules.first?.approval == .untilDate(CalendarDate(parsing: "2025-01-31")!))
        #expect(rhel.approvalRules.first?.enableNonSecurity == true)
        #expect(rhel.sources.first?.name == "rhel-internal")
        #expect(document.baseline(for: .debian) == nil)
        #expect(document.baseline(for: .windows) == nil)
    }

    @Test func overrideListReportsADuplicateOS() {
        let json =
            "["
            + [J.api(os: "UBUNTU", name: nil), J.api(os: "DEBIAN", name: nil), J.api(os: "UBUNTU", name: nil)]
            .joined(separator: ", ") + "]"
        let result = BaselineReader.read(json)
        #expect(
            lines(result) == ["[2].OperatingSystem: UBUNTU already has an override at [0]; each OS may appear once"])
        #expect(!result.isValid)
        // The first entry for the OS is the one used.
        #expect(result.document?.baselines.count == 3)
    }

    @Test func overrideListIndexesSurviveEntriesThatAreNotObjects() {
        let json = "[5, " + J.api(os: "UBUNTU", name: nil) + ", " + J.api(os: "UBUNTU", name: nil) + "]"
        #expect(
            lines(BaselineReader.read(json)) == [
                "[0]: expected an object, found a number",
                "[2].OperatingSystem: UBUNTU already has an override at [1]; each OS may appear once",
            ])
    }

    @Test func overrideListEntriesDefaultToWindowsAndAreValidatedWithIndexedPaths() {
        let json = "[{}, {}]"
        #expect(
            lines(BaselineReader.read(json)) == [
                "[1].OperatingSystem: WINDOWS already has an override at [0]; each OS may appear once"
            ])
        let bad = "[" + J.api(os: "DEBIAN", name: nil, J.rules(J.rule(J.security))) + "]"
        #expect(
            lines(BaselineReader.read(bad)) == [
                "[0].ApprovalRules.PatchRules[0].PatchFilterGroup.PatchFilters[0].Key: CLASSIFICATION is not a filter key "
                    + "for DEBIAN baselines (use PRODUCT, PRIORITY, SECTION)"
            ])
        let empty = BaselineReader.read("[]")
        #expect(empty.isValid)
        #expect(empty.document?.form == .overrideList)
        #expect(empty.document?.baselines == [])
    }

    // MARK: Snapshot form

    @Test func snapshotAsAWSServesIt() throws {
        let result = BaselineReader.read(try BaselineFixtures.bytes("snapshot-amazon-linux-2.json"))
        #expect(lines(result) == [])
        let document = try #require(result.document)
        #expect(document.form == .snapshot)
        let snapshot = try #require(document.snapshot)
        #expect(snapshot.patchGroup == nil)  // "" means none
        #expect(snapshot.product == "AmazonLinux2")
        #expect(snapshot.instanceId == "i-0123456789abcdef0")
        #expect(snapshot.region == "us-east-1")
        #expect(snapshot.operation == "Install")
        #expect(snapshot.snapshotId == "4f7c1d2e-9b3a-4c5d-8e6f-0a1b2c3d4e5f")
        #expect(snapshot.installOverrideList == nil)
        #expect(snapshot.baselineOverride == nil)
        #expect(snapshot.rebootOption == "RebootIfNeeded")
        let b = snapshot.baseline
        #expect(document.baselines == [b])
        #expect(document.baseline(for: .ubuntu) == b)
        #expect(b.baselineId == "arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-0be8c61cde3be63f3")
        #expect(b.name == "AWS-AmazonLinux2DefaultPatchBaseline")
        #expect(b.operatingSystem == .amazonLinux2)
        #expect(b.createdDate == UTCInstant(secondsSinceEpoch: 1_525_194_800))
        #expect(b.modifiedDate == UTCInstant(secondsSinceEpoch: 1_525_194_800))
        // approveUntilDate null is absent: the rules approve after 7 days.
        #expect(b.approvalRules.map(\.approval) == [.afterDays(7), .afterDays(7)])
        #expect(b.approvalRules == PredefinedBaselines.baseline(for: .amazonLinux2).approvalRules)
        #expect(b.description == PredefinedBaselines.baseline(for: .amazonLinux2).description)
    }

    @Test func unknownSnapshotFieldsAreWarnings() throws {
        let json = """
            {
                "patchBaseline": {
                    "name": "snap-baseline",
                    "operatingSystem": "DEBIAN",
                    "accountId": "111122223333",
                    "futureField": {"x": 1},
                    "globalFilters": {"filters": [{"key": "PRODUCT", "values": ["Debian12"], "matchMode": "exact"}]},
                    "approvalRules": {"rules": [{"filterGroup": {"filters": []}, "approveAfterDays": 0, "weight": 3}]}
                },
                "product": "Debian12",
                "operation": "Scan",
                "rebootOption": "NoReboot",
                "patches": [{"id": "x"}],
                "requiredFeatures": ["A"],
                "enableApplicationPatches": false,
                "associationId": "x",
                "associationSeverity": "",
                "newTopLevel": 1
            }
            """
        let result = BaselineReader.read(json)
        #expect(
            lines(result) == [
                "patchBaseline.globalFilters.filters[0].matchMode: warning: unknown field",
                "patchBaseline.approvalRules.rules[0].weight: warning: unknown field",
                "patchBaseline.futureField: warning: unknown field",
                "newTopLevel: warning: unknown field",
            ])
        #expect(result.problems.allSatisfy { $0.severity == .warning })
        #expect(result.errors == [])
        #expect(result.isValid)
        #expect(result.document?.snapshot?.operation == "Scan")
        #expect(result.document?.snapshot?.rebootOption == "NoReboot")
        #expect(result.document?.baselines.first?.operatingSystem == .debian)
    }

    @Test func snapshotErrorsUseCamelCasePaths() {
        let json = """
            {"patchBaseline": {"operatingSystem": "AMAZON_LINUX_2", "name": "x",
              "approvalRules": {"rules": [{"filterGroup": {"filters": [{"key": "PRIORITY", "values": ["Required"]}]},
                "approveAfterDays": 400}]},
              "rejectedPatches": ["ALAS-2018-123"]},
             "operation": "Patch", "rebootOption": "Always", "patchGroup": 5}
            """
        #expect(
            lines(BaselineReader.read(json)) == [
                #"patchBaseline.name: "x" is 1 characters long; 3 to 128 are allowed"#,
                "patchBaseline.approvalRules.rules[0].filterGroup.filters[0].key: PRIORITY is not a filter key for "
                    + "AMAZON_LINUX_2 baselines (use PRODUCT, CLASSIFICATION, SEVERITY)",
                "patchBaseline.approvalRules.rules[0].approveAfterDays: 400 is outside 0...360",
                #"patchBaseline.rejectedPatches[0]: "ALAS-2018-123" is an advisory, CVE or Bugzilla id; those are "#
                    + "accepted in ApprovedPatches only",
                "patchGroup: expected a string, found a number",
                #"operation: "Patch" is not one of Scan, Install"#,
                #"rebootOption: "Always" is not one of RebootIfNeeded, NoReboot"#,
            ])
    }

    @Test func snapshotWithPascalCaseKeysIsAnError() {
        let json = """
            {"patchBaseline": {"OperatingSystem": "UBUNTU", "name": "snap-baseline",
              "approvalRules": {"rules": [{"filterGroup": {"filters": []}, "ApproveAfterDays": 7}]}}}
            """
        let result = BaselineReader.read(json)
        #expect(
            lines(result) == [
                "patchBaseline.operatingSystem: required field is missing",
                "patchBaseline.approvalRules.rules[0].ApproveAfterDays: unknown field (did you mean approveAfterDays?)",
                "patchBaseline.approvalRules.rules[0]: one of approveAfterDays or approveUntilDate is required",
                "patchBaseline.OperatingSystem: unknown field (did you mean operatingSystem?)",
            ])
        #expect(!result.isValid)
    }

    @Test func snapshotWithoutABaseline() {
        let null = BaselineReader.read(#"{"patchBaseline": null, "instanceId": "i-1"}"#)
        #expect(lines(null) == ["patchBaseline: is null; the snapshot carries no baseline"])
        #expect(null.document == nil)
        let wrong = BaselineReader.read(#"{"patchBaseline": []}"#)
        #expect(lines(wrong) == ["patchBaseline: expected an object, found an array"])
        #expect(wrong.document == nil)
        #expect(!wrong.isValid)
    }

    // MARK: Validation rules, one table row per rule

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let json: String
        let problems: [String]
        init(_ name: String, _ json: String, _ problems: [String]) {
            self.name = name
            self.json = json
            self.problems = problems
        }
        var testDescription: String { name }
    }

    static let rulePath = "ApprovalRules.PatchRules[0]"
    static let ruleFilters = "ApprovalRules.PatchRules[0].PatchFilterGroup.PatchFilters"

    static let approvalCases: [Case] = [
        Case(
            "ApproveAfterDays 400 in the second rule",
            J.api(J.rules(J.rule(), J.rule(J.security, #""ApproveAfterDays": 400"#))),
            ["ApprovalRules.PatchRules[1].ApproveAfterDays: 400 is outside 0...360"]),
        Case(
            "ApproveAfterDays 361", J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": 361"#))),
            ["\(rulePath).ApproveAfterDays: 361 is outside 0...360"]),
        Case(
            "ApproveAfterDays -1", J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": -1"#))),
            ["\(rulePath).ApproveAfterDays: -1 is outside 0...360"]),
        Case("ApproveAfterDays 0", J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": 0"#))), []),
        Case("ApproveAfterDays 360", J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": 360"#))), []),
        Case(
            "ApproveAfterDays 7.5", J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": 7.5"#))),
            ["\(rulePath).ApproveAfterDays: expected an integer, found 7.5"]),
        Case(
            "ApproveAfterDays 7.0", J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": 7.0"#))),
            ["\(rulePath).ApproveAfterDays: expected an integer, found 7.0"]),
        Case(
            "ApproveAfterDays 1e1", J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": 1e1"#))),
            ["\(rulePath).ApproveAfterDays: expected an integer, found 1e1"]),
        Case(
            "ApproveAfterDays huge", J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": 99999999999999999999"#))),
            ["\(rulePath).ApproveAfterDays: expected an integer, found 99999999999999999999"]),
        Case(
            "ApproveAfterDays as a string", J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": "7""#))),
            ["\(rulePath).ApproveAfterDays: expected an integer, found a string"]),
        Case(
            "both ApproveAfterDays and ApproveUntilDate",
            J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": 7, "ApproveUntilDate": "2023-01-01""#))),
            ["\(rulePath): ApproveAfterDays and ApproveUntilDate are mutually exclusive; give one of them"]),
        Case(
            "neither ApproveAfterDays nor ApproveUntilDate",
            J.api(J.rules(J.rule(J.security, #""ComplianceLevel": "HIGH""#))),
            ["\(rulePath): one of ApproveAfterDays or ApproveUntilDate is required"]),
        Case(
            "both null", J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": null, "ApproveUntilDate": null"#))),
            ["\(rulePath): one of ApproveAfterDays or ApproveUntilDate is required"]),
        Case(
            "ApproveUntilDate with ApproveAfterDays null",
            J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": null, "ApproveUntilDate": "2024-02-29""#))), []),
        Case(
            "ApproveUntilDate 2023-02-30", J.api(J.rules(J.rule(J.security, #""ApproveUntilDate": "2023-02-30""#))),
            [#"\#(rulePath).ApproveUntilDate: "2023-02-30" is not a valid date in the form YYYY-MM-DD"#]),
        Case(
            "ApproveUntilDate 2023-02-29", J.api(J.rules(J.rule(J.security, #""ApproveUntilDate": "2023-02-29""#))),
            [#"\#(rulePath).ApproveUntilDate: "2023-02-29" is not a valid date in the form YYYY-MM-DD"#]),
        Case(
            "ApproveUntilDate 2023-13-01", J.api(J.rules(J.rule(J.security, #""ApproveUntilDate": "2023-13-01""#))),
            [#"\#(rulePath).ApproveUntilDate: "2023-13-01" is not a valid date in the form YYYY-MM-DD"#]),
        Case(
            "ApproveUntilDate 2023-2-1", J.api(J.rules(J.rule(J.security, #""ApproveUntilDate": "2023-2-1""#))),
            [#"\#(rulePath).ApproveUntilDate: "2023-2-1" is not a valid date in the form YYYY-MM-DD"#]),
        Case(
            "ApproveUntilDate with a time",
            J.api(J.rules(J.rule(J.security, #""ApproveUntilDate": "2023-02-01T00:00:00Z""#))),
            [#"\#(rulePath).ApproveUntilDate: "2023-02-01T00:00:00Z" is not a valid date in the form YYYY-MM-DD"#]),
        Case(
            "ApproveUntilDate as a number", J.api(J.rules(J.rule(J.security, #""ApproveUntilDate": 20230201"#))),
            ["\(rulePath).ApproveUntilDate: expected a string, found a number"]),
        Case(
            "EnableNonSecurity as a string",
            J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": 1, "EnableNonSecurity": "true""#))),
            ["\(rulePath).EnableNonSecurity: expected true or false, found a string"]),
        Case(
            "ComplianceLevel SEVERE",
            J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": 1, "ComplianceLevel": "SEVERE""#))),
            [
                #"\#(rulePath).ComplianceLevel: "SEVERE" is not one of UNSPECIFIED, INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL"#
            ]),
        Case(
            "ComplianceLevel in lower case",
            J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": 1, "ComplianceLevel": "critical""#))),
            [
                #"\#(rulePath).ComplianceLevel: "critical" is not one of UNSPECIFIED, INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL"#
            ]),
        Case(
            "every ComplianceLevel",
            J.api(
                J.rules(
                    ["UNSPECIFIED", "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"].map {
                        J.rule(J.security, #""ApproveAfterDays": 1, "ComplianceLevel": "\#($0)""#)
                    })), []),
        Case(
            "PatchFilterGroup missing", J.api(#""ApprovalRules": {"PatchRules": [{"ApproveAfterDays": 1}]}"#),
            ["\(rulePath).PatchFilterGroup: required field is missing"]),
        Case(
            "PatchFilterGroup null",
            J.api(#""ApprovalRules": {"PatchRules": [{"PatchFilterGroup": null, "ApproveAfterDays": 1}]}"#),
            ["\(rulePath).PatchFilterGroup: required field is missing"]),
        Case(
            "PatchFilters missing in a PatchFilterGroup",
            J.api(#""ApprovalRules": {"PatchRules": [{"PatchFilterGroup": {}, "ApproveAfterDays": 1}]}"#),
            ["\(ruleFilters): required field is missing"]),
        Case(
            "PatchRules missing", J.api(#""ApprovalRules": {}"#),
            ["ApprovalRules.PatchRules: required field is missing"]),
        Case("empty PatchRules", J.api(#""ApprovalRules": {"PatchRules": []}"#), []),
        Case(
            "11 rules", J.api(J.rules(Array(repeating: J.rule(), count: 11))),
            ["ApprovalRules.PatchRules: has 11 rules; at most 10 are allowed"]),
        Case("10 rules", J.api(J.rules(Array(repeating: J.rule(), count: 10))), []),
        Case(
            "a rule that is not an object", J.api(#""ApprovalRules": {"PatchRules": [7]}"#),
            ["ApprovalRules.PatchRules[0]: expected an object, found a number"]),
    ]

    static let nameCases: [Case] = [
        Case("name of 3", J.api(name: #""abc""#), []),
        Case("name of every allowed character", J.api(name: #""AZaz09_-.""#), []),
        Case("name of 128", J.api(name: J.quoted(String(repeating: "n", count: 128))), []),
        Case("name of 2", J.api(name: #""ab""#), [#"Name: "ab" is 2 characters long; 3 to 128 are allowed"#]),
        Case(
            "name of 129", J.api(name: J.quoted(String(repeating: "n", count: 129))),
            [#"Name: "\#(String(repeating: "n", count: 129))" is 129 characters long; 3 to 128 are allowed"#]),
        Case("empty name", J.api(name: #""""#), ["Name: must not be empty"]),
        Case(
            "name with a space", J.api(name: #""my baseline""#),
            [#"Name: "my baseline" contains ' ', which is not allowed here"#]),
        Case(
            "name with a slash", J.api(name: #""base/line""#),
            [#"Name: "base/line" contains '/', which is not allowed here"#]),
        Case(
            "name with a letter outside ASCII", J.api(name: #""bäseline""#),
            [#"Name: "bäseline" contains 'ä', which is not allowed here"#]),
        Case(
            "name with a tab", J.api(name: #""tab\there""#),
            ["Name: \"tab\there\" contains 'U+9', which is not allowed here"]),
        Case("name as a number", J.api(name: "5"), ["Name: expected a string, found a number"]),
        Case("description of 1024", J.api(#""Description": \#(J.quoted(String(repeating: "d", count: 1024)))"#), []),
        Case("empty description", J.api(#""Description": """#), ["Description: must not be empty"]),
        Case(
            "description of 1025", J.api(#""Description": \#(J.quoted(String(repeating: "d", count: 1025)))"#),
            ["Description: is 1025 characters long; 1 to 1024 are allowed"]),
        Case(
            "description as an array", J.api(#""Description": ["x"]"#),
            ["Description: expected a string, found an array"]),
        Case("BaselineId ARN", J.api(#""BaselineId": "arn:aws:ssm:eu-west-1:111122223333:patchbaseline/pb-0abc""#), []),
        Case(
            "BaselineId too short", J.api(#""BaselineId": "pb-1""#),
            [#"BaselineId: "pb-1" is 4 characters long; 20 to 128 are allowed"#]),
        Case(
            "BaselineId with a space", J.api(#""BaselineId": "pb-0123456789 abcdef0""#),
            [#"BaselineId: "pb-0123456789 abcdef0" contains ' ', which is not allowed here"#]),
    ]

    static let filterCases: [Case] = [
        Case(
            "5 global filters",
            J.api(
                os: "WINDOWS",
                J.global(
                    J.filter("PRODUCT", "*"), J.filter("PRODUCT_FAMILY", "Windows"),
                    J.filter("CLASSIFICATION", "Updates"),
                    J.filter("MSRC_SEVERITY", "Critical"), J.filter("PATCH_SET", "OS"))),
            ["GlobalFilters.PatchFilters: has 5 filters; at most 4 are allowed"]),
        Case(
            "5 filters in a rule",
            J.api(
                os: "WINDOWS",
                J.rules(
                    J.rule(
                        [
                            J.filter("PRODUCT", "*"), J.filter("PRODUCT_FAMILY", "Windows"),
                            J.filter("CLASSIFICATION", "Updates"),
                            J.filter("MSRC_SEVERITY", "Critical"), J.filter("PATCH_SET", "APPLICATION"),
                        ].joined(separator: ", ")))),
            ["\(ruleFilters): has 5 filters; at most 4 are allowed"]),
        Case(
            "4 filters",
            J.api(
                os: "WINDOWS",
                J.global(
                    J.filter("PRODUCT", "*"), J.filter("PRODUCT_FAMILY", "Windows"),
                    J.filter("CLASSIFICATION", "Updates"),
                    J.filter("MSRC_SEVERITY", "Critical"))), []),
        Case(
            "21 values", J.api(J.global(J.filter("PRODUCT", values: (1...21).map { "AmazonLinux2.\($0)" }))),
            ["GlobalFilters.PatchFilters[0].Values: has 21 values; 1 to 20 are required"]),
        Case("20 values", J.api(J.global(J.filter("PRODUCT", values: (1...20).map { "AmazonLinux2.\($0)" }))), []),
        Case(
            "no values", J.api(J.global(J.filter("PRODUCT", values: []))),
            ["GlobalFilters.PatchFilters[0].Values: has 0 values; 1 to 20 are required"]),
        Case(
            "a value of 65", J.api(J.global(J.filter("PRODUCT", "AmazonLinux2", String(repeating: "v", count: 65)))),
            ["GlobalFilters.PatchFilters[0].Values[1]: is 65 characters long; 1 to 64 are allowed"]),
        Case("a value of 64", J.api(J.global(J.filter("PRODUCT", String(repeating: "v", count: 64)))), []),
        Case(
            "an empty value", J.api(J.global(J.filter("PRODUCT", ""))),
            ["GlobalFilters.PatchFilters[0].Values[0]: must not be empty"]),
        Case(
            "PRIORITY on AMAZON_LINUX_2", J.api(J.rules(J.rule(J.filter("PRIORITY", "Required")))),
            [
                "\(ruleFilters)[0].Key: PRIORITY is not a filter key for AMAZON_LINUX_2 baselines (use PRODUCT, CLASSIFICATION, SEVERITY)"
            ]),
        Case(
            "CLASSIFICATION on DEBIAN", J.api(os: "DEBIAN", J.rules(J.rule(J.security))),
            [
                "\(ruleFilters)[0].Key: CLASSIFICATION is not a filter key for DEBIAN baselines (use PRODUCT, PRIORITY, SECTION)"
            ]),
        Case(
            "MSRC_SEVERITY on UBUNTU", J.api(os: "UBUNTU", J.global(J.filter("MSRC_SEVERITY", "Critical"))),
            [
                "GlobalFilters.PatchFilters[0].Key: MSRC_SEVERITY is not a filter key for UBUNTU baselines (use PRODUCT, PRIORITY, SECTION)"
            ]),
        Case(
            "SEVERITY on MACOS", J.api(os: "MACOS", J.global(J.filter("SEVERITY", "Critical"))),
            [
                "GlobalFilters.PatchFilters[0].Key: SEVERITY is not a filter key for MACOS baselines (use PRODUCT, CLASSIFICATION)"
            ]),
        Case(
            "SEVERITY on WINDOWS", J.api(os: "WINDOWS", J.global(J.filter("SEVERITY", "Critical"))),
            [
                "GlobalFilters.PatchFilters[0].Key: SEVERITY is not a filter key for WINDOWS baselines "
                    + "(use PRODUCT, PRODUCT_FAMILY, CLASSIFICATION, MSRC_SEVERITY, PATCH_SET)"
            ]),
        Case(
            "NAME on SUSE", J.api(os: "SUSE", J.global(J.filter("NAME", "kernel*"))),
            [
                "GlobalFilters.PatchFilters[0].Key: NAME is not a filter key for SUSE baselines (use PRODUCT, CLASSIFICATION, SEVERITY)"
            ]),
        Case(
            "a key twice", J.api(J.global(J.filter("PRODUCT", "AmazonLinux2"), J.filter("PRODUCT", "*"))),
            ["GlobalFilters.PatchFilters[1].Key: PRODUCT is already used by filter [0]"]),
        Case(
            "a key that does not exist", J.api(J.global(J.filter("FOO", "x"))),
            [
                #"GlobalFilters.PatchFilters[0].Key: "FOO" is not one of ARCH, ADVISORY_ID, BUGZILLA_ID, PATCH_SET, PRODUCT, "#
                    + "PRODUCT_FAMILY, CLASSIFICATION, CVE_ID, EPOCH, MSRC_SEVERITY, NAME, PATCH_ID, SECTION, PRIORITY, "
                    + "REPOSITORY, RELEASE, SEVERITY, SECURITY, VERSION"
            ]),
        Case(
            "Key missing", J.api(J.global(#"{"Values": ["x"]}"#)),
            ["GlobalFilters.PatchFilters[0].Key: required field is missing"]),
        Case(
            "Key null", J.api(J.global(#"{"Key": null, "Values": ["x"]}"#)),
            ["GlobalFilters.PatchFilters[0].Key: required field is missing"]),
        Case(
            "Values missing", J.api(J.global(#"{"Key": "PRODUCT"}"#)),
            [
                "GlobalFilters.PatchFilters[0].Values: required field is missing",
                "GlobalFilters.PatchFilters[0].Values: has 0 values; 1 to 20 are required",
            ]),
        Case(
            "Values as a string", J.api(J.global(#"{"Key": "PRODUCT", "Values": "*"}"#)),
            [
                "GlobalFilters.PatchFilters[0].Values: expected an array of strings, found a string",
                "GlobalFilters.PatchFilters[0].Values: has 0 values; 1 to 20 are required",
            ]),
        Case(
            "a value that is a number", J.api(J.global(#"{"Key": "PRODUCT", "Values": ["*", 2]}"#)),
            ["GlobalFilters.PatchFilters[0].Values[1]: expected a string, found a number"]),
        Case(
            "a CLASSIFICATION value in the wrong case", J.api(J.global(J.filter("CLASSIFICATION", "security"))),
            [
                #"GlobalFilters.PatchFilters[0].Values[0]: "security" is not a CLASSIFICATION value; did you mean "Security"?"#
            ]),
        Case(
            "a severity as a CLASSIFICATION value", J.api(J.rules(J.rule(J.filter("CLASSIFICATION", "Critical")))),
            [
                #"\#(ruleFilters)[0].Values[0]: "Critical" is not a CLASSIFICATION value for AMAZON_LINUX_2 "#
                    + "(use Security, Bugfix, Enhancement, Recommended, Newpackage or *)"
            ]),
        Case(
            "SEVERITY None on AMAZON_LINUX_2", J.api(J.global(J.filter("SEVERITY", "None"))),
            [
                #"GlobalFilters.PatchFilters[0].Values[0]: "None" is not a SEVERITY value for AMAZON_LINUX_2 "#
                    + "(use Critical, Important, Medium, Moderate, Low or *)"
            ]),
        Case(
            "SEVERITY None on AMAZON_LINUX_2023",
            J.api(os: "AMAZON_LINUX_2023", J.global(J.filter("SEVERITY", "None"))), []),
        Case(
            "PRIORITY Low on UBUNTU", J.api(os: "UBUNTU", J.global(J.filter("PRIORITY", "Low"))),
            [
                #"GlobalFilters.PatchFilters[0].Values[0]: "Low" is not a PRIORITY value for UBUNTU "#
                    + "(use Required, Important, Standard, Optional, Extra or *)"
            ]),
        Case(
            "CLASSIFICATION Bugfix on SUSE", J.api(os: "SUSE", J.global(J.filter("CLASSIFICATION", "Bugfix"))),
            [
                #"GlobalFilters.PatchFilters[0].Values[0]: "Bugfix" is not a CLASSIFICATION value for SUSE "#
                    + "(use Security, Recommended, Optional, Feature, Document, Yast or *)"
            ]),
        Case(
            "MSRC_SEVERITY Severe on WINDOWS", J.api(os: "WINDOWS", J.global(J.filter("MSRC_SEVERITY", "Severe"))),
            [
                #"GlobalFilters.PatchFilters[0].Values[0]: "Severe" is not a MSRC_SEVERITY value for WINDOWS "#
                    + "(use Critical, Important, Moderate, Low, Unspecified or *)"
            ]),
        Case(
            "free text keys take anything",
            J.api(
                os: "UBUNTU",
                J.global(
                    J.filter("PRODUCT", "Ubuntu22.04", "*"), J.filter("SECTION", "libs", "python*"))), []),
        Case("* for a closed set", J.api(J.global(J.filter("CLASSIFICATION", "*"), J.filter("SEVERITY", "*"))), []),
        Case(
            "GlobalFilters as an array", J.api(#""GlobalFilters": []"#),
            ["GlobalFilters: expected an object, found an array"]),
        Case(
            "PatchFilters as an object", J.api(#""GlobalFilters": {"PatchFilters": {}}"#),
            ["GlobalFilters.PatchFilters: expected an array, found an object"]),
        Case(
            "a filter that is a string", J.api(#""GlobalFilters": {"PatchFilters": ["PRODUCT"]}"#),
            ["GlobalFilters.PatchFilters[0]: expected an object, found a string"]),
    ]

    static let enumCases: [Case] = [
        Case(
            "OperatingSystem FOO", J.api(os: "FOO"),
            [
                #"OperatingSystem: "FOO" is not one of WINDOWS, AMAZON_LINUX, AMAZON_LINUX_2, AMAZON_LINUX_2022, "#
                    + "AMAZON_LINUX_2023, UBUNTU, REDHAT_ENTERPRISE_LINUX, SUSE, CENTOS, ORACLE_LINUX, DEBIAN, MACOS, "
                    + "RASPBIAN, ROCKY_LINUX, ALMA_LINUX"
            ]),
        Case(
            "OperatingSystem in lower case", J.api(os: "ubuntu"),
            [
                #"OperatingSystem: "ubuntu" is not one of WINDOWS, AMAZON_LINUX, AMAZON_LINUX_2, AMAZON_LINUX_2022, "#
                    + "AMAZON_LINUX_2023, UBUNTU, REDHAT_ENTERPRISE_LINUX, SUSE, CENTOS, ORACLE_LINUX, DEBIAN, MACOS, "
                    + "RASPBIAN, ROCKY_LINUX, ALMA_LINUX"
            ]),
        Case(
            "OperatingSystem as a number", #"{"Name": "abc", "OperatingSystem": 2}"#,
            ["OperatingSystem: expected a string, found a number"]),
        Case(
            "ApprovedPatchesComplianceLevel high", J.api(#""ApprovedPatchesComplianceLevel": "high""#),
            [
                #"ApprovedPatchesComplianceLevel: "high" is not one of UNSPECIFIED, INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL"#
            ]),
        Case(
            "RejectedPatchesAction DENY", J.api(#""RejectedPatchesAction": "DENY""#),
            [#"RejectedPatchesAction: "DENY" is not one of ALLOW_AS_DEPENDENCY, BLOCK"#]),
        Case("RejectedPatchesAction BLOCK", J.api(#""RejectedPatchesAction": "BLOCK""#), []),
        Case(
            "AvailableSecurityUpdatesComplianceStatus MAYBE",
            J.api(#""AvailableSecurityUpdatesComplianceStatus": "MAYBE""#),
            [#"AvailableSecurityUpdatesComplianceStatus: "MAYBE" is not one of COMPLIANT, NON_COMPLIANT"#]),
        Case(
            "ApprovedPatchesEnableNonSecurity as a number", J.api(#""ApprovedPatchesEnableNonSecurity": 1"#),
            ["ApprovedPatchesEnableNonSecurity: expected true or false, found a number"]),
    ]

    static let patchListCases: [Case] = [
        Case("50 approved", J.api(J.list("ApprovedPatches", (1...50).map { "pkg\($0)" })), []),
        Case(
            "51 approved", J.api(J.list("ApprovedPatches", (1...51).map { "pkg\($0)" })),
            ["ApprovedPatches: has 51 entries; at most 50 are allowed"]),
        Case(
            "51 rejected", J.api(J.list("RejectedPatches", (1...51).map { "pkg\($0)" })),
            ["RejectedPatches: has 51 entries; at most 50 are allowed"]),
        Case("an entry of 100", J.api(J.list("ApprovedPatches", [String(repeating: "p", count: 100)])), []),
        Case(
            "an entry of 101", J.api(J.list("ApprovedPatches", ["ok", String(repeating: "p", count: 101)])),
            ["ApprovedPatches[1]: is 101 characters long; 1 to 100 are allowed"]),
        Case("an empty entry", J.api(J.list("RejectedPatches", [""])), ["RejectedPatches[0]: must not be empty"]),
        Case(
            "an entry twice", J.api(J.list("RejectedPatches", ["kernel", "kernel"])),
            [#"RejectedPatches[1]: "kernel" is already listed at [0]"#]),
        Case(
            "advisory ids approved on yum",
            J.api(
                J.list(
                    "ApprovedPatches",
                    ["ALAS-2018-123", "RHSA-2017:0864", "ELSA-2025-123", "CVE-2023-12345", "1463241"])),
            []),
        Case(
            "ALAS2023 advisory approved on AMAZON_LINUX_2023",
            J.api(os: "AMAZON_LINUX_2023", J.list("ApprovedPatches", ["ALAS2023-2025-123"])), []),
        Case(
            "an advisory rejected on yum", J.api(J.list("RejectedPatches", ["ALAS-2018-123"])),
            [
                #"RejectedPatches[0]: "ALAS-2018-123" is an advisory, CVE or Bugzilla id; those are accepted in ApprovedPatches only"#
            ]),
        Case(
            "a RHSA rejected on REDHAT_ENTERPRISE_LINUX",
            J.api(os: "REDHAT_ENTERPRISE_LINUX", J.list("RejectedPatches", ["RHSA-2017:0864"])),
            [
                #"RejectedPatches[0]: "RHSA-2017:0864" is an advisory, CVE or Bugzilla id; those are accepted in ApprovedPatches only"#
            ]),
        Case(
            "a CVE rejected on ORACLE_LINUX", J.api(os: "ORACLE_LINUX", J.list("RejectedPatches", ["CVE-2023-12345"])),
            [
                #"RejectedPatches[0]: "CVE-2023-12345" is an advisory, CVE or Bugzilla id; those are accepted in ApprovedPatches only"#
            ]),
        Case(
            "a Bugzilla id rejected on CENTOS", J.api(os: "CENTOS", J.list("RejectedPatches", ["1463241"])),
            [
                #"RejectedPatches[0]: "1463241" is an advisory, CVE or Bugzilla id; those are accepted in ApprovedPatches only"#
            ]),
        Case(
            "name forms on yum",
            J.api(
                J.list(
                    "RejectedPatches",
                    [
                        "kernel", "kernel.x86_64", "kernel-4.14.1", "kernel-4.14.1-1.amzn2",
                        "kernel-4.14.1-1.amzn2.x86_64",
                        "4.14.1", "4.14.1-1.amzn2", "1:4.14.1-1.amzn2", "kernel-1:4.14.1-1.amzn2",
                        "kernel-1:4.14.1-1.amzn2.x86_64",
                        "1:kernel-4.14.1-1.amzn2.x86_64", "kernel.x86_64:1:4.14.1-1.amzn2", "dbus*",
                    ])), []),
        Case(
            "two wildcards on yum", J.api(J.list("ApprovedPatches", ["dbus*lib*"])),
            [#"ApprovedPatches[0]: "dbus*lib*" has more than one * wildcard; AMAZON_LINUX_2 patch names allow one"#]),
        Case(
            "two wildcards on SUSE", J.api(os: "SUSE", J.list("RejectedPatches", ["*kernel*"])),
            [#"RejectedPatches[0]: "*kernel*" has more than one * wildcard; SUSE patch names allow one"#]),
        Case(
            "a name starting with a dash on yum", J.api(J.list("ApprovedPatches", ["-kernel"])),
            [#"ApprovedPatches[0]: "-kernel" is not a package name form (name, name.arch, name-version-release, …)"#]),
        Case(
            "a space in a yum name", J.api(J.list("ApprovedPatches", ["my pkg"])),
            [#"ApprovedPatches[0]: "my pkg" contains U+20; patch names have no spaces"#]),
        Case(
            "a SUSE patch name rejected",
            J.api(os: "SUSE", J.list("RejectedPatches", ["SUSE-SLE-Module-Basesystem-15-2023-123"])), []),
        Case(
            "globs on DEBIAN",
            J.api(os: "DEBIAN", J.list("RejectedPatches", ["linux-image-*-amd64*", "ExamplePkg33"])), []),
        Case(
            "a dash first on UBUNTU", J.api(os: "UBUNTU", J.list("RejectedPatches", ["-bad"])),
            [#"RejectedPatches[0]: "-bad" is not a package name (it starts with '-')"#]),
        Case(
            "KB and MSRC ids on WINDOWS",
            J.api(os: "WINDOWS", J.list("ApprovedPatches", ["KB2032276", "MS10-048", "kb123"])), []),
        Case(
            "a package name on WINDOWS", J.api(os: "WINDOWS", J.list("ApprovedPatches", ["kernel"])),
            [#"ApprovedPatches[0]: "kernel" is not a KB id (KB2032276) or an MSRC bulletin id (MS10-048)"#]),
        Case(
            "a wildcard on MACOS", J.api(os: "MACOS", J.list("ApprovedPatches", ["Safari*"])),
            [#"ApprovedPatches[0]: "Safari*": macOS patch names take no wildcards"#]),
        Case("a macOS name with spaces", J.api(os: "MACOS", J.list("ApprovedPatches", ["Safari 17.1"])), []),
        Case(
            "ApprovedPatches as a string", J.api(#""ApprovedPatches": "kernel""#),
            ["ApprovedPatches: expected an array of strings, found a string"]),
        Case(
            "an entry that is a number", J.api(#""RejectedPatches": [1463241]"#),
            ["RejectedPatches[0]: expected a string, found a number"]),
    ]

    static let sourceCases: [Case] = [
        Case("a source", J.api(#""Sources": [\#(J.source())]"#), []),
        Case(
            "a source name of 2", J.api(#""Sources": [\#(J.source(name: "ab"))]"#),
            [#"Sources[0].Name: "ab" is 2 characters long; 3 to 50 are allowed"#]),
        Case(
            "a source name of 51", J.api(#""Sources": [\#(J.source(name: String(repeating: "s", count: 51)))]"#),
            [#"Sources[0].Name: "\#(String(repeating: "s", count: 51))" is 51 characters long; 3 to 50 are allowed"#]),
        Case(
            "a source name with a space", J.api(#""Sources": [\#(J.source(name: "my repo"))]"#),
            [#"Sources[0].Name: "my repo" contains ' ', which is not allowed here"#]),
        Case(
            "a source without products", J.api(#""Sources": [\#(J.source(products: []))]"#),
            ["Sources[0].Products: has 0 products; 1 to 20 are required"]),
        Case(
            "a source with 21 products", J.api(#""Sources": [\#(J.source(products: (1...21).map { "P\($0)" }))]"#),
            ["Sources[0].Products: has 21 products; 1 to 20 are required"]),
        Case(
            "an empty product", J.api(#""Sources": [\#(J.source(products: [""]))]"#),
            ["Sources[0].Products[0]: must not be empty"]),
        Case(
            "a product of 129", J.api(#""Sources": [\#(J.source(products: [String(repeating: "p", count: 129)]))]"#),
            ["Sources[0].Products[0]: is 129 characters long; 1 to 128 are allowed"]),
        Case(
            "an empty configuration", J.api(#""Sources": [\#(J.source(configuration: ""))]"#),
            ["Sources[0].Configuration: is 0 characters long; 1 to 1024 are allowed"]),
        Case(
            "a configuration of 1024",
            J.api(#""Sources": [\#(J.source(configuration: String(repeating: "c", count: 1024)))]"#),
            []),
        Case(
            "a configuration of 1025 is not echoed",
            J.api(
                #""Sources": [\#(J.source(configuration: "password=hunter2\n" + String(repeating: "c", count: 1008)))]"#
            ),
            ["Sources[0].Configuration: is 1025 characters long; 1 to 1024 are allowed"]),
        Case(
            "two sources of one name",
            J.api(#""Sources": [\#(J.source(name: "repo-one")), \#(J.source(name: "repo-one"))]"#),
            [#"Sources[1].Name: "repo-one" is already the name of source [0]"#]),
        Case(
            "21 sources",
            J.api(#""Sources": [\#((1...21).map { J.source(name: "repo-\($0)") }.joined(separator: ", "))]"#),
            ["Sources: has 21 sources; at most 20 are allowed"]),
        Case(
            "sources on WINDOWS", J.api(os: "WINDOWS", #""Sources": [\#(J.source())]"#),
            ["Sources: alternative patch sources apply to Linux only, not WINDOWS"]),
        Case(
            "sources on MACOS", J.api(os: "MACOS", #""Sources": [\#(J.source())]"#),
            ["Sources: alternative patch sources apply to Linux only, not MACOS"]),
        Case(
            "a source missing its fields", J.api(#""Sources": [{"Name": "repo-one"}]"#),
            [
                "Sources[0].Products: required field is missing", "Sources[0].Configuration: required field is missing",
                "Sources[0].Products: has 0 products; 1 to 20 are required",
                "Sources[0].Configuration: is 0 characters long; 1 to 1024 are allowed",
            ]),
        Case(
            "a source with an unknown field",
            J.api(#""Sources": [{"Name": "repo-one", "Products": ["x"], "Configuration": "c", "products": []}]"#),
            ["Sources[0].products: unknown field (did you mean Products?)"]),
        Case("Sources as an object", J.api(#""Sources": {}"#), ["Sources: expected an array, found an object"]),
    ]

    static let structureCases: [Case] = [
        Case(
            "approvedPatches in camelCase", J.api(#""approvedPatches": []"#),
            ["approvedPatches: unknown field (did you mean ApprovedPatches?)"]),
        Case(
            "operatingSystem in camelCase", #"{"Name": "abc", "operatingSystem": "UBUNTU"}"#,
            ["operatingSystem: unknown field (did you mean OperatingSystem?)"]),
        Case("an unknown field", J.api(#""Foo": 1"#), ["Foo: unknown field"]),
        Case(
            "an unknown field in a rule", J.api(J.rules(J.rule(J.security, #""approveAfterDays": 7"#))),
            [
                "\(rulePath).approveAfterDays: unknown field (did you mean ApproveAfterDays?)",
                "\(rulePath): one of ApproveAfterDays or ApproveUntilDate is required",
            ]),
        Case(
            "an unknown field in a filter", J.api(J.global(#"{"Key": "PRODUCT", "Values": ["*"], "Extra": true}"#)),
            ["GlobalFilters.PatchFilters[0].Extra: unknown field"]),
        Case(
            "Filters instead of PatchFilters", J.api(#""GlobalFilters": {"Filters": []}"#),
            ["GlobalFilters.PatchFilters: required field is missing", "GlobalFilters.Filters: unknown field"]),
        Case(
            "an unknown field in ApprovalRules", J.api(#""ApprovalRules": {"PatchRules": [], "rules": []}"#),
            ["ApprovalRules.rules: unknown field"]),
        Case(
            "snapshot context fields in the API form", J.api(#""instanceId": "i-1""#),
            ["instanceId: unknown field"]),
        Case("a duplicate key", #"{"Name": "abc", "Name": "def"}"#, ["Name: duplicate key"]),
        Case(
            "a duplicate key in a rule",
            J.api(J.rules(J.rule(J.security, #""ApproveAfterDays": 7, "ApproveAfterDays": 400"#))),
            ["\(rulePath).ApproveAfterDays: duplicate key"]),
        Case(
            "a duplicate key in a filter", J.api(J.global(#"{"Key": "PRODUCT", "Values": ["*"], "Key": "SEVERITY"}"#)),
            ["GlobalFilters.PatchFilters[0].Key: duplicate key"]),
        Case(
            "a string at the top level", #""baseline""#,
            ["(top level): expected a baseline object, a BaselineOverride array or a snapshot object, found a string"]),
        Case(
            "a number at the top level", "42",
            ["(top level): expected a baseline object, a BaselineOverride array or a snapshot object, found a number"]),
        Case(
            "null at the top level", "null",
            ["(top level): expected a baseline object, a BaselineOverride array or a snapshot object, found null"]),
        Case(
            "true at the top level", "true",
            ["(top level): expected a baseline object, a BaselineOverride array or a snapshot object, found a boolean"]),
        Case(
            "malformed JSON", #"{"Name": "abc",}"#, [#"line 1, column 16: expected a quoted key, found character '}'"#]),
        Case("an empty document", "", ["line 1, column 1: unexpected end of input, expected a value"]),
        Case(
            "Tags",
            J.api(#""Tags": [{"Key": "Env", "Value": ""}, {"Key": "a:b/c=d+e-f@g_h.i", "Value": "Ünïcode ok"}]"#), []),
        Case(
            "a tag without a value", J.api(#""Tags": [{"Key": "Env"}]"#),
            ["Tags[0].Value: required field is missing"]),
        Case(
            "a tag key of the wrong type", J.api(#""Tags": [{"Key": 5, "Value": "x"}]"#),
            ["Tags[0].Key: expected a string, found a number", "Tags[0].Key: must not be empty"]),
        Case(
            "a tag key with '#'", J.api(#""Tags": [{"Key": "a#b", "Value": "x"}]"#),
            [#"Tags[0].Key: "a#b" contains '#', which is not allowed here"#]),
        Case(
            "a tag with an unknown field", J.api(#""Tags": [{"Key": "a", "Value": "x", "value": "y"}]"#),
            ["Tags[0].value: unknown field (did you mean Value?)"]),
        Case(
            "a ClientToken of 65", J.api(#""ClientToken": \#(J.quoted(String(repeating: "t", count: 65)))"#),
            ["ClientToken: is 65 characters long; 1 to 64 are allowed"]),
        Case(
            "PatchGroups",
            J.api(#""BaselineId": "pb-0123456789abcdef0", "PatchGroups": ["web servers", "db:prod/eu"]"#), []),
        Case(
            "a patch group with '#'", J.api(#""PatchGroups": ["a#b", ""]"#),
            [#"PatchGroups[0]: "a#b" contains '#', which is not allowed here"#, "PatchGroups[1]: must not be empty"]),
    ]

    @Test(
        arguments: approvalCases + nameCases + filterCases + enumCases + patchListCases + sourceCases + structureCases)
    func validation(_ c: Case) {
        let result = BaselineReader.read(c.json)
        #expect(lines(result) == c.problems)
        #expect(result.isValid == c.problems.isEmpty)
        // The whole document never echoes a source configuration.
        #expect(!lines(result).contains { $0.contains("hunter2") })
    }

    // MARK: Hostile input

    static let tokens: [[UInt8]] =
        [
            "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\uD800", "\\uDC00", "null", "true", "-", "0", "01",
            "1e999",
            "-9223372036854775808", "99999999999999999999", "7.5", "\"x\": 1,", "\"Name\": \"dup-name\",", "é", "😀",
            "\"OperatingSystem\": \"SUSE\",", "\"ApproveUntilDate\": \"2023-02-30\",", "\"CreatedDate\": -1e300,",
        ].map { Array($0.utf8) } + [[0x00], [0x1F], [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xEF, 0xBB, 0xBF]]

    static func mutate(_ input: [UInt8], with rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { return bytes }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: bytes[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 2: bytes.removeSubrange(at...)
            case 3: bytes.insert(contentsOf: tokens.randomElement(using: &rng)!, at: at)
            case 4: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &rng)))
            case 5:
                let end = min(bytes.count, at + Int.random(in: 1...64, using: &rng))
                bytes.insert(contentsOf: bytes[at..<end], at: Int.random(in: 0...bytes.count, using: &rng))
            default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
            }
        }
        return bytes
    }

    @Test(arguments: BaselineFixtures.all)
    func randomMutationsNeverCrash(_ fixture: String) throws {
        let original = try BaselineFixtures.bytes(fixture)
        var rng = SplitMix64(seed: UInt64(truncatingIfNeeded: fixture.utf8.reduce(5381) { $0 &* 33 &+ Int($1) }))
        var malformed = 0
        for _ in 0..<400 {
            let bytes = Self.mutate(original, with: &rng)
            let result = BaselineReader.read(bytes)
            #expect(result.isValid == (result.document != nil && result.errors.isEmpty))
            if (try? JSONParser.parse(bytes: bytes)) == nil {
                malformed += 1
                #expect(result.document == nil)
                #expect(result.problems.count == 1)
                #expect(result.problems.first?.path.hasPrefix("line ") == true)
                #expect(!result.isValid)
            } else if result.document == nil {
                #expect(!result.errors.isEmpty)
            }
            guard let document = result.document else { continue }
            // Whatever was understood can be written out and read again.
            for b in document.baselines {
                let api = JSONWriter.write(BaselineWriter.apiJSON(b))
                let again = BaselineReader.read(api)
                if result.isValid && document.form == .api {
                    #expect(again.isValid, "\(again.problems)")
                    #expect(again.document?.baselines == [b])
                }
                _ = JSONWriter.write(BaselineWriter.snapshotJSON(document.snapshot ?? BaselineSnapshot(baseline: b)))
            }
        }
        // The mutations mostly break the JSON, but not always.
        #expect(malformed > 100 && malformed < 400)
    }

    @Test func hostileShapesNeverCrash() {
        let deep = String(repeating: #"{"patchBaseline":"#, count: 300) + "{}" + String(repeating: "}", count: 300)
        let inputs: [[UInt8]] = [
            [], [0xEF, 0xBB, 0xBF], Array(repeating: 0, count: 64), Array(repeating: 0xFF, count: 64),
            Array(deep.utf8), Array(String(repeating: "[", count: 100_000).utf8),
            Array(("[" + String(repeating: "{},", count: 5_000) + "{}]").utf8),
            Array(J.api(J.rules(Array(repeating: J.rule(), count: 2_000))).utf8),
            Array(J.api(J.list("ApprovedPatches", (0..<5_000).map { "p\($0)*x*y" })).utf8),
            Array(#"{"patchBaseline": {"operatingSystem": "\u0000"}}"#.utf8),
            Array(J.api(#""Name": "\#(String(repeating: "😀", count: 10_000))""#).utf8),
        ]
        for bytes in inputs {
            let result = BaselineReader.read(bytes)
            #expect(!result.problems.isEmpty || result.isValid)
        }
    }

    // MARK: Predefined baselines

    @Test(arguments: OperatingSystem.allCases)
    func predefinedBaselineIsValid(_ os: OperatingSystem) {
        let b = PredefinedBaselines.baseline(for: os)
        #expect(b.operatingSystem == os)
        #expect(BaselineValidator.validate(b) == [])
        #expect(b.approvedPatches == [] && b.rejectedPatches == [] && b.sources == [])
        #expect(b.rejectedPatchesAction == .allowAsDependency)
        #expect(b.approvalRules.allSatisfy { $0.complianceLevel == .unspecified })
        #expect(b.name?.hasPrefix("AWS-") == true && b.name?.hasSuffix("PatchBaseline") == true)
        #expect(b.baselineId != nil && b.description != nil)
    }

    @Test(arguments: OperatingSystem.allCases)
    func predefinedBaselineRoundTripsInTheAPIForm(_ os: OperatingSystem) throws {
        let b = PredefinedBaselines.baseline(for: os)
        for pretty in [true, false] {
            let text = JSONWriter.write(BaselineWriter.apiJSON(b), pretty: pretty)
            let result = BaselineReader.read(text)
            #expect(result.problems == [])
            #expect(result.document?.form == .api)
            #expect(result.document?.baselines == [b])
        }
    }

    @Test(arguments: OperatingSystem.allCases)
    func predefinedBaselineRoundTripsInTheSnapshotForm(_ os: OperatingSystem) throws {
        let snapshot = BaselineSnapshot(
            baseline: PredefinedBaselines.baseline(for: os), patchGroup: "web", product: "Product1",
            instanceId: "i-0123456789abcdef0", region: "eu-west-1", operation: "Scan",
            snapshotId: "4f7c1d2e-9b3a-4c5d-8e6f-0a1b2c3d4e5f", installOverrideList: "s3://bucket/key.yaml",
            baselineOverride: "https://example.com/override.json", rebootOption: "NoReboot")
        for s in [snapshot, BaselineSnapshot(baseline: snapshot.baseline)] {
            let result = BaselineReader.read(JSONWriter.write(BaselineWriter.snapshotJSON(s)))
            #expect(result.problems == [])
            #expect(result.document?.form == .snapshot)
            #expect(result.document?.snapshot == s)
            #expect(result.document?.baselines == [s.baseline])
        }
    }

    @Test func predefinedBaselinesAreOnePerOS() {
        let all = PredefinedBaselines.all
        #expect(all.map(\.operatingSystem) == OperatingSystem.allCases)
        #expect(Set(all.compactMap(\.name)).count == all.count)
        #expect(Set(all.compactMap(\.baselineId)).count == all.count)
    }

    static func filters(_ rule: PatchRule?) -> [PatchFilterKey: [String]] {
        Dictionary(uniqueKeysWithValues: (rule?.filters ?? []).map { ($0.key, $0.values) })
    }

    @Test(arguments: [
        OperatingSystem.amazonLinux, .amazonLinux2, .amazonLinux2022, .amazonLinux2023, .redhatEnterpriseLinux,
        .rockyLinux, .almaLinux,
    ])
    func predefinedSecurityAndBugfixRules(_ os: OperatingSystem) {
        let rules = PredefinedBaselines.baseline(for: os).approvalRules
        #expect(rules.count == 2)
        #expect(
            Self.filters(rules.first) == [
                .product: ["*"], .classification: ["Security"], .severity: ["Critical", "Important"],
            ])
        #expect(Self.filters(rules.last) == [.product: ["*"], .classification: ["Bugfix"]])
        #expect(rules.allSatisfy { $0.approval == .afterDays(7) && !$0.enableNonSecurity })
        #expect(PredefinedBaselines.baseline(for: os).globalFilters == [])
    }

    @Test func predefinedAmazonLinux2() {
        let b = PredefinedBaselines.baseline(for: .amazonLinux2)
        #expect(b.name == "AWS-AmazonLinux2DefaultPatchBaseline")
        #expect(b.baselineId == "arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-0be8c61cde3be63f3")
    }

    @Test func predefinedOracleLinux() {
        let rules = PredefinedBaselines.baseline(for: .oracleLinux).approvalRules
        #expect(rules.count == 2)
        #expect(Self.filters(rules.first)[.severity] == ["Important", "Moderate"])
        #expect(Self.filters(rules.first)[.classification] == ["Security"])
        #expect(Self.filters(rules.last)[.classification] == ["Bugfix"])
        #expect(rules.allSatisfy { $0.approval == .afterDays(7) })
    }

    @Test func predefinedSUSEIsSecurityOnly() {
        let rules = PredefinedBaselines.baseline(for: .suse).approvalRules
        #expect(rules.count == 1)
        #expect(
            Self.filters(rules.first) == [
                .product: ["*"], .classification: ["Security"], .severity: ["Critical", "Important"],
            ])
        #expect(rules.first?.approval == .afterDays(7))
        #expect(rules.first?.enableNonSecurity == false)
    }

    @Test func predefinedCentOSApprovesEverything() {
        let rules = PredefinedBaselines.baseline(for: .centos).approvalRules
        #expect(rules.count == 1)
        #expect(rules.first?.enableNonSecurity == true)
        #expect(Self.filters(rules.first) == [.product: ["*"], .classification: ["*"], .severity: ["*"]])
        #expect(rules.first?.approval == .afterDays(7))
    }

    @Test(arguments: [OperatingSystem.debian, .ubuntu, .raspbian])
    func predefinedAptBaselines(_ os: OperatingSystem) {
        let b = PredefinedBaselines.baseline(for: os)
        #expect(b.approvalRules.count == 1)
        #expect(
            Self.filters(b.approvalRules.first) == [
                .priority: ["Required", "Important", "Standard", "Optional", "Extra"]
            ])
        #expect(b.globalFilters == [PatchFilter(key: .product, values: ["*"])])
        #expect(!os.honoursApprovalDelays)
    }

    @Test func predefinedWindows() {
        let b = PredefinedBaselines.baseline(for: .windows)
        #expect(b.name == "AWS-DefaultPatchBaseline")
        #expect(b.approvalRules.count == 1)
        #expect(
            Self.filters(b.approvalRules.first) == [
                .product: ["*"], .classification: ["CriticalUpdates", "SecurityUpdates"],
                .msrcSeverity: ["Critical", "Important"],
            ])
        #expect(b.approvalRules.first?.approval == .afterDays(7))
    }

    @Test func predefinedMacOS() {
        let rules = PredefinedBaselines.baseline(for: .macOS).approvalRules
        #expect(rules.count == 2)
        #expect(Self.filters(rules.first) == [.product: ["*"], .classification: ["Security"]])
        #expect(rules.first?.enableNonSecurity == false)
        #expect(rules.last?.enableNonSecurity == true)
        #expect(rules.allSatisfy { $0.approval == .afterDays(0) })
    }

    // MARK: Writing

    static let everything = PatchBaseline(
        baselineId: "pb-0123456789abcdef0", name: "Everything-Set", description: "Every field \"quoted\"\nand é",
        operatingSystem: .redhatEnterpriseLinux,
        globalFilters: [PatchFilter(key: .product, values: ["RedhatEnterpriseLinux8.6", "RedhatEnterpriseLinux9*"])],
        approvalRules: [
            PatchRule(
                filters: [PatchFilter(key: .classification, values: ["Security"])], complianceLevel: .critical,
                approval: .afterDays(3)),
            PatchRule(
                filters: [PatchFilter(key: .severity, values: ["Low"])], complianceLevel: .low,
                approval: .untilDate(CalendarDate(parsing: "2024-02-29")!), enableNonSecurity: true),
        ],
        approvedPatches: ["RHSA-2017:0864", "openssl*"], approvedPatchesComplianceLevel: .high,
        approvedPatchesEnableNonSecurity: true, rejectedPatches: ["kernel-rt*"], rejectedPatchesAction: .block,
        sources: [PatchSource(name: "internal", products: ["RedhatEnterpriseLinux8.6"], configuration: "[x]\nname=X")],
        availableSecurityUpdatesComplianceStatus: .nonCompliant, patchGroups: ["web", "db"],
        createdDate: instant("2020-01-02T03:04:05Z"), modifiedDate: instant("2021-06-07T08:09:10Z"),
        tags: [Tag(key: "Env", value: "Prod")], clientToken: "token-1")

    @Test func everyFieldRoundTripsInTheAPIForm() throws {
        let text = JSONWriter.write(BaselineWriter.apiJSON(Self.everything))
        let result = BaselineReader.read(text)
        #expect(lines(result) == [])
        #expect(result.document?.baselines == [Self.everything])
        let json = try JSONParser.parse(text)
        #expect(json["CreatedDate"] == .string("2020-01-02T03:04:05Z"))
        #expect(json["ApprovalRules"]?["PatchRules"] != nil)
        #expect(json["ClientToken"] == .string("token-1"))
    }

    @Test func theSnapshotFormCarriesNoAPIOnlyFields() throws {
        let snapshot = BaselineSnapshot(baseline: Self.everything, instanceId: "i-1")
        let json = BaselineWriter.snapshotJSON(snapshot)
        #expect(json["patchBaseline"]?["createdTime"] == .number("1577934245"))
        #expect(json["patchBaseline"]?["approvalRules"]?["rules"] != nil)
        #expect(json["patchBaseline"]?["PatchGroups"] == nil)
        #expect(json["patchBaseline"]?["Tags"] == nil)
        #expect(json["instanceId"] == .string("i-1"))
        #expect(json["rebootOption"] == .null)
        let result = BaselineReader.read(JSONWriter.write(json))
        #expect(lines(result) == [])
        var expected = Self.everything
        expected.patchGroups = []
        expected.tags = []
        expected.clientToken = nil
        #expect(result.document?.baselines == [expected])
        #expect(result.document?.snapshot?.instanceId == "i-1")
    }

    @Test func writtenKeysFollowTheAPIShape() throws {
        let json = BaselineWriter.apiJSON(PredefinedBaselines.baseline(for: .amazonLinux2))
        guard case .object(let members) = json else {
            Issue.record("not an object")
            return
        }
        #expect(
            members.map(\.key) == [
                "BaselineId", "Name", "OperatingSystem", "GlobalFilters", "ApprovalRules", "ApprovedPatches",
                "ApprovedPatchesComplianceLevel", "ApprovedPatchesEnableNonSecurity", "RejectedPatches",
                "RejectedPatchesAction", "PatchGroups", "Description", "Sources",
            ])
        let rule = json["ApprovalRules"]?["PatchRules"].flatMap { value -> JSONValue? in
            if case .array(let rules) = value { return rules.first }
            return nil
        }
        #expect(rule?["PatchFilterGroup"]?["PatchFilters"] != nil)
        #expect(rule?["ComplianceLevel"] == .string("UNSPECIFIED"))
        #expect(rule?["ApproveAfterDays"] == .number("7"))
        #expect(rule?["ApproveUntilDate"] == nil)
        #expect(rule?["EnableNonSecurity"] == .bool(false))
    }
}
