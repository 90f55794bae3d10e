import PatchCore
import Testing

@Suite struct NEVRATests {
    struct Parsed: Sendable, CustomTestStringConvertible {
        let input: String
        let name: String
        let epoch: Int?
        let version: String
        let release: String
        let arch: String?
        let description: String
        var testDescription: String { "'\(input)'" }
    }

    static let accepted: [Parsed] = [
        Parsed(
            input: "bash-5.1.8-6.el9.x86_64", name: "bash", epoch: nil, version: "5.1.8", release: "6.el9",
            arch: "x86_64", description: "bash-5.1.8-6.el9.x86_64"),
        // Without a known architecture at the end, the dot-separated tail belongs to the release.
        Parsed(
            input: "bash-5.1.8-6.el9", name: "bash", epoch: nil, version: "5.1.8", release: "6.el9", arch: nil,
            description: "bash-5.1.8-6.el9"),
        Parsed(
            input: "foo-1.0-1.el8", name: "foo", epoch: nil, version: "1.0", release: "1.el8", arch: nil,
            description: "foo-1.0-1.el8"),
        Parsed(
            input: "foo-1.0-1", name: "foo", epoch: nil, version: "1.0", release: "1", arch: nil,
            description: "foo-1.0-1"),
        // Names may contain '-'.
        Parsed(
            input: "kernel-core-4.18.0-553.el8_10.x86_64", name: "kernel-core", epoch: nil, version: "4.18.0",
            release: "553.el8_10", arch: "x86_64", description: "kernel-core-4.18.0-553.el8_10.x86_64"),
        Parsed(
            input: "glibc-2.28-251.el8_10.2.i686", name: "glibc", epoch: nil, version: "2.28",
            release: "251.el8_10.2", arch: "i686", description: "glibc-2.28-251.el8_10.2.i686"),
        Parsed(
            input: "perl-Carp-1.50-460.el9.noarch", name: "perl-Carp", epoch: nil, version: "1.50",
            release: "460.el9", arch: "noarch", description: "perl-Carp-1.50-460.el9.noarch"),
        Parsed(
            input: "python3-libs-3.9.18-3.el9_4.3.aarch64", name: "python3-libs", epoch: nil, version: "3.9.18",
            release: "3.el9_4.3", arch: "aarch64", description: "python3-libs-3.9.18-3.el9_4.3.aarch64"),
        Parsed(
            input: "gpg-pubkey-fd431d51-4ae0493b", name: "gpg-pubkey", epoch: nil, version: "fd431d51",
            release: "4ae0493b", arch: nil, description: "gpg-pubkey-fd431d51-4ae0493b"),
        // Epoch before the version (rpm's %{nevra}), or in front of the name (yum).
        Parsed(
            input: "openssl-1:3.0.7-27.el9.x86_64", name: "openssl", epoch: 1, version: "3.0.7", release: "27.el9",
            arch: "x86_64", description: "openssl-1:3.0.7-27.el9.x86_64"),
        Parsed(
            input: "1:openssl-3.0.7-27.el9.x86_64", name: "openssl", epoch: 1, version: "3.0.7", release: "27.el9",
            arch: "x86_64", description: "openssl-1:3.0.7-27.el9.x86_64"),
        Parsed(
            input: "java-17-openjdk-headless-1:17.0.9.0.9-2.el9.ppc64le", name: "java-17-openjdk-headless",
            epoch: 1, version: "17.0.9.0.9", release: "2.el9", arch: "ppc64le",
            description: "java-17-openjdk-headless-1:17.0.9.0.9-2.el9.ppc64le"),
        Parsed(
            input: "systemd-0:252-18.el9.s390x", name: "systemd", epoch: 0, version: "252", release: "18.el9",
            arch: "s390x", description: "systemd-0:252-18.el9.s390x"),
        // Package file names: the part before ".rpm" is always the architecture.
        Parsed(
            input: "bash-5.1.8-6.el9.x86_64.rpm", name: "bash", epoch: nil, version: "5.1.8", release: "6.el9",
            arch: "x86_64", description: "bash-5.1.8-6.el9.x86_64"),
        Parsed(
            input: "tzdata-2024a-1.el9.noarch.rpm", name: "tzdata", epoch: nil, version: "2024a", release: "1.el9",
            arch: "noarch", description: "tzdata-2024a-1.el9.noarch"),
        Parsed(
            input: "foo-1.0-1.src.rpm", name: "foo", epoch: nil, version: "1.0", release: "1", arch: "src",
            description: "foo-1.0-1.src"),
        Parsed(
            input: "foo-1.0-1.armv7hl.rpm", name: "foo", epoch: nil, version: "1.0", release: "1",
            arch: "armv7hl", description: "foo-1.0-1.armv7hl"),
        Parsed(
            input: "foo-1.0-1.fc40.riscv64.rpm", name: "foo", epoch: nil, version: "1.0", release: "1.fc40",
            arch: "riscv64", description: "foo-1.0-1.fc40.riscv64"),
        Parsed(
            input: "foo-1.0-1.madeup.rpm", name: "foo", epoch: nil, version: "1.0", release: "1", arch: "madeup",
            description: "foo-1.0-1.madeup"),
        Parsed(
            input: "libstdc++-8.5.0-20.el8.i686", name: "libstdc++", epoch: nil, version: "8.5.0",
            release: "20.el8", arch: "i686", description: "libstdc++-8.5.0-20.el8.i686"),
        Parsed(
            input: "vim-enhanced-2:9.0.2081-1.fc39.x86_64", name: "vim-enhanced", epoch: 2, version: "9.0.2081",
            release: "1.fc39", arch: "x86_64", description: "vim-enhanced-2:9.0.2081-1.fc39.x86_64"),
    ]

    @Test(arguments: accepted)
    func parses(_ row: Parsed) throws {
        let nevra = try NEVRA(parsing: row.input)
        #expect(nevra.name == row.name)
        #expect(nevra.epoch == row.epoch)
        #expect(nevra.version == row.version)
        #expect(nevra.release == row.release)
        #expect(nevra.arch == row.arch)
        #expect(nevra.description == row.description)
        #expect(nevra.evr.epoch == row.epoch)
        #expect(nevra.evr.version == row.version)
        #expect(nevra.evr.release == row.release)
        if row.arch == nil || NEVRA.knownArchitectures.contains(row.arch ?? "") {
            #expect(try NEVRA(parsing: nevra.description) == nevra)
        }
    }

    struct Rejected: Sendable, CustomTestStringConvertible {
        let input: String
        let message: String
        var testDescription: String { "'\(input)'" }
    }

    static let rejected: [Rejected] = [
        Rejected(input: "", message: "package string is empty"),
        Rejected(input: "foo", message: "expected name-version-release"),
        Rejected(input: "foo-1.0", message: "expected name-version-release"),
        Rejected(input: "foo-1.0.x86_64", message: "expected name-version-release"),
        Rejected(input: ".x86_64", message: "expected name-version-release"),
        Rejected(input: "-1.0-1", message: "package name is empty"),
        Rejected(input: "foo--1", message: "version is empty"),
        Rejected(input: "foo-1:-1", message: "version is empty"),
        Rejected(input: "foo-1.0-", message: "release is empty"),
        Rejected(input: "foo-1.0-.x86_64", message: "release is empty"),
        Rejected(input: "foo-1.0-1.rpm", message: "package file name has no architecture before '.rpm'"),
        Rejected(input: "foo-1.0-1..rpm", message: "package file name has no architecture before '.rpm'"),
        Rejected(input: "foo-a:1.0-1", message: "epoch is not a number"),
        Rejected(input: "foo-:1.0-1", message: "epoch is not a number"),
        Rejected(input: "a:foo-1.0-1", message: "epoch is not a number"),
        Rejected(input: "1:foo-2:1.0-1", message: "package string has two epochs"),
        Rejected(input: "foo-99999999999:1-1", message: "epoch is too big"),
        Rejected(input: "foo-1.0-1 .x86_64", message: "package string contains whitespace or control characters"),
        Rejected(input: "foo-1.0-1\n", message: "package string contains whitespace or control characters"),
        Rejected(input: "dir/foo-1.0-1.x86_64.rpm", message: "package name contains ':' or '/'"),
        Rejected(input: "foo-1.0-1:2", message: "release contains ':'"),
        Rejected(input: "foo-1:2:3-1", message: "version contains ':'"),
    ]

    @Test(arguments: rejected)
    func rejects(_ row: Rejected) {
        #expect(throws: VersionError(input: row.input, message: row.message)) {
            try NEVRA(parsing: row.input)
        }
    }

    @Test func evrComparesLikeRPM() throws {
        let older = try NEVRA(parsing: "openssl-libs-1:3.0.7-25.el9.x86_64")
        let newer = try NEVRA(parsing: "openssl-libs-1:3.0.7-27.el9.x86_64")
        let noEpoch = try NEVRA(parsing: "openssl-libs-3.2.0-1.el9.x86_64")
        #expect(older.evr < newer.evr)
        #expect(noEpoch.evr < older.evr)
        #expect(older.evr.description == "1:3.0.7-25.el9")
        #expect(noEpoch.evr.description == "3.2.0-1.el9")
    }
}
