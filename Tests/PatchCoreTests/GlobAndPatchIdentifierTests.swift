import PatchCore
import Testing

@Suite struct GlobTests {
    struct Match: Sendable, CustomTestStringConvertible {
        let pattern: String
        let text: String
        let caseInsensitive: Bool
        let matches: Bool

        init(_ pattern: String, _ text: String, _ matches: Bool, caseInsensitive: Bool = false) {
            self.pattern = pattern
            self.text = text
            self.caseInsensitive = caseInsensitive
            self.matches = matches
        }

        var testDescription: String {
            "'\(pattern)' \(matches ? "matches" : "does not match") '\(text)'\(caseInsensitive ? " (any case)" : "")"
        }
    }

    static let cases: [Match] = [
        // No wildcards: the whole text, exactly.
        Match("kernel", "kernel", true),
        Match("kernel", "kernel1", false),
        Match("kernel", "kerne", false),
        Match("kernel", "Kernel", false),
        Match("", "", true),
        Match("", "a", false),
        // *
        Match("*", "", true),
        Match("*", "anything at all", true),
        Match("**", "x", true),
        Match("dbus*", "dbus", true),
        Match("dbus*", "dbus-libs", true),
        Match("dbus*", "libdbus", false),
        Match("*dbus", "libdbus", true),
        Match("*dbus", "dbus-libs", false),
        Match("*dbus*", "libdbus-1", true),
        Match("*.x86_64", "kernel.x86_64", true),
        Match("*.x86_64", "kernel.i686", false),
        Match("a*b*c", "abc", true),
        Match("a*b*c", "aXXbYYc", true),
        Match("a*b*c", "aXbYcZ", false),
        Match("*ab", "aaab", true),
        Match("*a", "aaaa", true),
        Match("a*", "", false),
        Match("example-pkg-EE-2018*.amzn1.noarch", "example-pkg-EE-2018.1-1.amzn1.noarch", true),
        Match("example-pkg-EE-2018*.amzn1.noarch", "example-pkg-EE-2018.1-1.amzn1.x86_64", false),
        // ?
        Match("?", "a", true),
        Match("?", "", false),
        Match("?", "ab", false),
        Match("ker?el", "kernel", true),
        Match("ker?el", "kerel", false),
        Match("??*", "ab", true),
        Match("??*", "a", false),
        // ? is one character, not one byte.
        Match("caf?", "café", true),
        Match("?", "é", true),
        Match("?", "😀", true),
        Match("??", "😀", false),
        Match("a?c", "a日c", true),
        Match("*?x", "éx", true),
        Match("caf*", "café", true),
        // Bracket expressions
        Match("[abc]", "b", true),
        Match("[abc]", "d", false),
        Match("[abc]", "", false),
        Match("lib[0-9]*", "lib5ssl", true),
        Match("lib[0-9]*", "libssl", false),
        Match("[a-z]x", "qx", true),
        Match("[a-z]x", "Qx", false),
        Match("[!a-c]", "d", true),
        Match("[!a-c]", "b", false),
        Match("[^a-c]", "d", true),
        Match("[^a-c]", "a", false),
        Match("[]]", "]", true),
        Match("[]a]", "a", true),
        Match("[!]]", "]", false),
        Match("[!]]", "x", true),
        Match("[a-]", "-", true),
        Match("[a-]", "a", true),
        Match("[a-]", "b", false),
        Match("python3-[0-9].[0-9]*", "python3-3.11", true),
        // An unclosed '[' is a literal.
        Match("[abc", "[abc", true),
        Match("[abc", "a", false),
        Match("a[", "a[", true),
        Match("[", "[", true),
        Match("[!", "[!", true),
        Match("x[*", "x[yz", true),
        Match("x[*", "xyz", false),
        // Case-insensitive (apt names)
        Match("OpenSSL", "openssl", true, caseInsensitive: true),
        Match("openssl", "OPENSSL", true, caseInsensitive: true),
        Match("OPEN*", "openssl-1.1", true, caseInsensitive: true),
        Match("[A-Z]x", "qX", true, caseInsensitive: true),
        Match("[a-z]", "Q", true, caseInsensitive: true),
        Match("[!A-Z]", "q", false, caseInsensitive: true),
        Match("ExamplePkg33", "examplepkg33", true, caseInsensitive: true),
        Match("ExamplePkg33", "examplepkg34", false, caseInsensitive: true),
        Match("OpenSSL", "openssl", false),
    ]

    @Test(arguments: cases)
    func matching(_ c: Match) {
        let glob = Glob(c.pattern, caseInsensitive: c.caseInsensitive)
        #expect(glob.matches(c.text) == c.matches)
        // The byte entry point agrees.
        var text = c.text
        #expect(text.withUTF8 { glob.matches(bytes: $0) } == c.matches)
    }

    @Test func properties() {
        #expect(Glob("kernel").hasWildcard == false)
        #expect(Glob("kernel*").hasWildcard)
        #expect(Glob("k?rnel").hasWildcard)
        #expect(Glob("[abc").hasWildcard)
        #expect(Glob("dbus*").pattern == "dbus*")
        #expect(Glob("dbus*").description == "dbus*")
        #expect(Glob("Dbus*", caseInsensitive: true).pattern == "Dbus*")
        #expect(Glob("Dbus*", caseInsensitive: true).caseInsensitive)
        #expect(Glob("x") == Glob("x"))
        #expect(Glob("x") != Glob("x", caseInsensitive: true))
    }

    @Test func longTextsWithManyStarsFinishQuickly() {
        let text = String(repeating: "a", count: 10_000)
        #expect(!Glob("*a*a*a*a*a*a*a*a*b").matches(text))
        #expect(Glob("*a*a*a*a*a*a*a*a*a").matches(text))
    }
}

@Suite struct PatchIdentifierTests {
    struct Classified: Sendable, CustomTestStringConvertible {
        let entry: String
        let os: OperatingSystem
        let expected: PatchIdentifier
        init(_ entry: String, _ os: OperatingSystem, _ expected: PatchIdentifier) {
            self.entry = entry
            self.os = os
            self.expected = expected
        }
        var testDescription: String { "\(entry) on \(os.rawValue)" }
    }

    static let classifications: [Classified] = [
        Classified("ALAS-2018-123", .amazonLinux, .advisory("ALAS-2018-123")),
        Classified("ALAS-2018-123", .amazonLinux2, .advisory("ALAS-2018-123")),
        Classified("ALAS2023-2025-123", .amazonLinux2023, .advisory("ALAS2023-2025-123")),
        Classified("ALAS2-2019-1234", .amazonLinux2, .advisory("ALAS2-2019-1234")),
        Classified("RHSA-2017:0864", .redhatEnterpriseLinux, .advisory("RHSA-2017:0864")),
        Classified("RHBA-2020:1234", .redhatEnterpriseLinux, .advisory("RHBA-2020:1234")),
        Classified("ELSA-2025-123", .oracleLinux, .advisory("ELSA-2025-123")),
        Classified("RLSA-2023:1234", .rockyLinux, .advisory("RLSA-2023:1234")),
        Classified("ALSA-2023:1234", .almaLinux, .advisory("ALSA-2023:1234")),
        Classified("CESA-2019:1234", .centos, .advisory("CESA-2019:1234")),
        Classified("CVE-2023-12345", .amazonLinux2, .cve("CVE-2023-12345")),
        Classified("CVE-2018-1234567", .amazonLinux, .cve("CVE-2018-1234567")),
        Classified("CVE-2014-0160", .redhatEnterpriseLinux, .cve("CVE-2014-0160")),
        Classified("1463241", .amazonLinux2, .bugzilla("1463241")),
        Classified("12345", .centos, .bugzilla("12345")),
        // Not advisories, CVEs or Bugzilla ids: package names or versions.
        Classified("1234", .amazonLinux2, .package(Glob("1234"))),
        Classified("CVE-2023-123", .amazonLinux2, .package(Glob("CVE-2023-123"))),
        Classified("cve-2023-12345", .amazonLinux2, .package(Glob("cve-2023-12345"))),
        Classified("ALSA-lib", .almaLinux, .package(Glob("ALSA-lib"))),
        Classified("alsa-lib", .almaLinux, .package(Glob("alsa-lib"))),
        Classified("ALAS-20", .amazonLinux2, .package(Glob("ALAS-20"))),
        Classified("kernel", .amazonLinux2, .package(Glob("kernel"))),
        Classified("dbus*", .redhatEnterpriseLinux, .package(Glob("dbus*"))),
        Classified("kernel-1:4.14.1-1.amzn2.x86_64", .amazonLinux2, .package(Glob("kernel-1:4.14.1-1.amzn2.x86_64"))),
        // SUSE
        Classified(
            "SUSE-SLE-Module-Basesystem-15-2023-123", .suse, .advisory("SUSE-SLE-Module-Basesystem-15-2023-123")),
        Classified("openSUSE-2023-123", .suse, .advisory("openSUSE-2023-123")),
        Classified("CVE-2023-12345", .suse, .cve("CVE-2023-12345")),
        Classified("1463241", .suse, .bugzilla("1463241")),
        Classified("ALAS-2018-123", .suse, .package(Glob("ALAS-2018-123"))),
        Classified("kernel-default", .suse, .package(Glob("kernel-default"))),
        // A SUSE patch name means nothing on a yum system.
        Classified(
            "SUSE-SLE-Module-Basesystem-15-2023-123", .amazonLinux2,
            .package(Glob("SUSE-SLE-Module-Basesystem-15-2023-123"))),
        // Windows and macOS: compared whole.
        Classified("KB2032276", .windows, .exact("KB2032276")),
        Classified("MS10-048", .windows, .exact("MS10-048")),
        Classified("ALAS-2018-123", .windows, .exact("ALAS-2018-123")),
        Classified("Safari 17.1", .macOS, .exact("Safari 17.1")),
        Classified("CVE-2023-12345", .macOS, .exact("CVE-2023-12345")),
        // apt: every entry is a case-insensitive name glob.
        Classified("ExamplePkg33", .debian, .package(Glob("ExamplePkg33", caseInsensitive: true))),
        Classified("openssl*", .ubuntu, .package(Glob("openssl*", caseInsensitive: true))),
        Classified("ALAS-2018-123", .ubuntu, .package(Glob("ALAS-2018-123", caseInsensitive: true))),
        Classified("CVE-2023-12345", .raspbian, .package(Glob("CVE-2023-12345", caseInsensitive: true))),
        Classified("1463241", .debian, .package(Glob("1463241", caseInsensitive: true))),
    ]

    @Test(arguments: classifications)
    func classify(_ c: Classified) {
        #expect(PatchIdentifier.classify(c.entry, os: c.os) == c.expected)
    }

    @Test func everyYumOSClassifiesAlike() {
        let yum = OperatingSystem.allCases.filter { $0.family == .yum }
        #expect(yum.count == 9)
        for os in yum {
            #expect(PatchIdentifier.classify("RHSA-2017:0864", os: os) == .advisory("RHSA-2017:0864"))
            #expect(PatchIdentifier.classify("CVE-2023-12345", os: os) == .cve("CVE-2023-12345"))
            #expect(PatchIdentifier.classify("1463241", os: os) == .bugzilla("1463241"))
        }
    }

    @Test func aptNamesMatchInAnyCase() {
        guard case .package(let glob) = PatchIdentifier.classify("ExamplePkg33", os: .debian) else {
            Issue.record("not a package")
            return
        }
        #expect(glob.matches("examplepkg33"))
        guard case .package(let yumGlob) = PatchIdentifier.classify("ExamplePkg33", os: .amazonLinux2) else {
            Issue.record("not a package")
            return
        }
        #expect(!yumGlob.matches("examplepkg33"))
    }

    struct Checked: Sendable, CustomTestStringConvertible {
        let entry: String
        let os: OperatingSystem
        let list: PatchListKind
        let problem: String?
        init(_ entry: String, _ os: OperatingSystem, _ list: PatchListKind, _ problem: String?) {
            self.entry = entry
            self.os = os
            self.list = list
            self.problem = problem
        }
        var testDescription: String { "\(entry) in \(list.rawValue) on \(os.rawValue)" }
    }

    static let onlyApproved = "is an advisory, CVE or Bugzilla id; those are accepted in ApprovedPatches only"

    static let checks: [Checked] = [
        Checked("ALAS-2018-123", .amazonLinux2, .approved, nil),
        Checked("ALAS-2018-123", .amazonLinux2, .rejected, #""ALAS-2018-123" \#(onlyApproved)"#),
        Checked("ALAS2023-2025-123", .amazonLinux2023, .approved, nil),
        Checked("ALAS2023-2025-123", .amazonLinux2023, .rejected, #""ALAS2023-2025-123" \#(onlyApproved)"#),
        Checked("RHSA-2017:0864", .redhatEnterpriseLinux, .approved, nil),
        Checked("RHSA-2017:0864", .redhatEnterpriseLinux, .rejected, #""RHSA-2017:0864" \#(onlyApproved)"#),
        Checked("ELSA-2025-123", .oracleLinux, .approved, nil),
        Checked("ELSA-2025-123", .oracleLinux, .rejected, #""ELSA-2025-123" \#(onlyApproved)"#),
        Checked("CVE-2023-12345", .centos, .approved, nil),
        Checked("CVE-2023-12345", .centos, .rejected, #""CVE-2023-12345" \#(onlyApproved)"#),
        Checked("1463241", .rockyLinux, .approved, nil),
        Checked("1463241", .almaLinux, .rejected, #""1463241" \#(onlyApproved)"#),
        Checked("kernel", .amazonLinux2, .rejected, nil),
        Checked("kernel*", .amazonLinux2, .rejected, nil),
        Checked("*-devel", .amazonLinux2, .rejected, nil),
        Checked(
            "dbus*lib*", .amazonLinux2, .approved,
            #""dbus*lib*" has more than one * wildcard; AMAZON_LINUX_2 patch names allow one"#),
        Checked(
            "-kernel", .amazonLinux2, .rejected,
            #""-kernel" is not a package name form (name, name.arch, name-version-release, …)"#),
        Checked(
            ".x86_64", .amazonLinux2, .rejected,
            #"".x86_64" is not a package name form (name, name.arch, name-version-release, …)"#),
        Checked("my pkg", .amazonLinux2, .approved, #""my pkg" contains U+20; patch names have no spaces"#),
        Checked("pkg\t", .debian, .approved, #""pkg\#t" contains U+9; patch names have no spaces"#),
        Checked("SUSE-SLE-Module-Basesystem-15-2023-123", .suse, .approved, nil),
        Checked("SUSE-SLE-Module-Basesystem-15-2023-123", .suse, .rejected, nil),
        Checked(
            "CVE-2023-12345", .suse, .rejected,
            #""CVE-2023-12345" is a CVE or Bugzilla id; those are accepted in ApprovedPatches only"#),
        Checked("CVE-2023-12345", .suse, .approved, nil),
        Checked(
            "*kernel*", .suse, .rejected, #""*kernel*" has more than one * wildcard; SUSE patch names allow one"#),
        Checked("KB2032276", .windows, .approved, nil),
        Checked("KB2032276", .windows, .rejected, nil),
        Checked("kb2032276", .windows, .approved, nil),
        Checked("MS10-048", .windows, .rejected, nil),
        Checked(
            "KB", .windows, .approved, #""KB" is not a KB id (KB2032276) or an MSRC bulletin id (MS10-048)"#),
        Checked(
            "KB12a", .windows, .approved, #""KB12a" is not a KB id (KB2032276) or an MSRC bulletin id (MS10-048)"#),
        Checked(
            "MS10-", .windows, .approved, #""MS10-" is not a KB id (KB2032276) or an MSRC bulletin id (MS10-048)"#),
        Checked(
            "MS1-048", .windows, .approved, #""MS1-048" is not a KB id (KB2032276) or an MSRC bulletin id (MS10-048)"#),
        Checked(
            "KB2032276*", .windows, .approved,
            #""KB2032276*" is not a KB id (KB2032276) or an MSRC bulletin id (MS10-048)"#),
        Checked("Safari 17.1", .macOS, .approved, nil),
        Checked("Safari*", .macOS, .approved, #""Safari*": macOS patch names take no wildcards"#),
        Checked("ExamplePkg33", .debian, .approved, nil),
        Checked("linux-image-*-amd64*", .ubuntu, .rejected, nil),
        Checked("ALAS-2018-123", .ubuntu, .rejected, nil),
        Checked("-bad", .raspbian, .rejected, #""-bad" is not a package name (it starts with '-')"#),
        Checked("a\u{7}b", .windows, .approved, #""a\#u{7}b" contains U+7; patch names have no spaces"#),
    ]

    @Test(arguments: checks)
    func problem(_ c: Checked) {
        #expect(PatchIdentifier.problem(with: c.entry, os: c.os, list: c.list) == c.problem)
    }

    @Test func listKindsNameTheirFields() {
        #expect(PatchListKind.approved.rawValue == "ApprovedPatches")
        #expect(PatchListKind.rejected.rawValue == "RejectedPatches")
    }
}
