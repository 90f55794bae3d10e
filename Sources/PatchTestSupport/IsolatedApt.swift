import Foundation

/// A package as dpkg records it in `/var/lib/dpkg/status`.
public struct DpkgStatusEntry: Sendable, Hashable {
    public var name: String
    public var version: String
    public var architecture: String
    /// The `Status` field: want, error flag and state (`install ok installed`, `hold ok installed`,
    /// `install ok half-configured`, ...).
    public var status: String
    public var source: String?
    public var multiArch: String?
    public var depends: String?
    public var provides: String?

    public init(
        _ name: String, _ version: String, architecture: String = "amd64", status: String = "install ok installed",
        source: String? = nil, multiArch: String? = nil, depends: String? = nil, provides: String? = nil
    ) {
        self.name = name
        self.version = version
        self.architecture = architecture
        self.status = status
        self.source = source
        self.multiArch = multiArch
        self.depends = depends
        self.provides = provides
    }

    /// The status paragraph, fields in dpkg's order.
    public var paragraph: String {
        var lines = ["Package: \(name)", "Status: \(status)", "Priority: optional", "Section: misc"]
        lines += [
            "Installed-Size: 1", "Maintainer: patchd tests <tests@patchd.invalid>", "Architecture: \(architecture)",
        ]
        if let multiArch { lines.append("Multi-Arch: \(multiArch)") }
        if let source { lines.append("Source: \(source)") }
        lines.append("Version: \(version)")
        if let provides { lines.append("Provides: \(provides)") }
        if let depends { lines.append("Depends: \(depends)") }
        lines += ["Description: \(name) (installed for a test)", " Written by patchd's test support."]
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A private APT root: configuration, sources, lists, caches and a dpkg status file in one temporary directory, so
/// that `APT_CONFIG=<configFile> apt-get update`, `apt-get -s upgrade` and `apt-cache policy` see and change
/// nothing of the host's apt or dpkg.
///
/// The configuration sets every `Dir::` apt consults, including `Dir::Etc::parts` and `Dir::Etc::main` (apt reads
/// `APT_CONFIG` first, then the parts directory and main file those name, so without them the host's
/// `/etc/apt/apt.conf.d` would apply). `APT::Architectures` is set so apt never asks the host's dpkg for foreign
/// architectures, and `Dir::Bin::dpkg` is `/bin/false`, so an `apt-get install` without `-s` fails instead of
/// installing into the host's dpkg database. Scans only: installs belong in a `DebianChroot`.
public struct IsolatedApt: Sendable {
    /// How `apt-get update` stores Packages indexes under `var/lib/apt/lists`.
    public enum ListStorage: Sendable, Hashable {
        /// Decompressed (`..._Packages`). From a `file:` repository that publishes an uncompressed Packages, apt
        /// stores a symlink to the repository's file instead of a copy.
        case uncompressed
        /// Kept compressed, re-compressed by apt into this format (`Acquire::GzipIndexes "true"` with
        /// `Acquire::IndexTargets::deb::Packages::KeepCompressedAs`). `.lz4` is what Debian's container images
        /// get from their `docker-gzip-indexes` file: `_Packages.lz4`, whatever the repository publishes.
        case compressed(AptRepository.Compression)
    }

    /// How a source is written.
    public enum SourceFormat: Sendable, Hashable {
        /// One-line `sources.list.d/<name>.list`.
        case oneLine
        /// deb822 `sources.list.d/<name>.sources`.
        case deb822
    }

    public struct Options: Sendable {
        public var architecture: String
        public var listStorage: ListStorage
        /// Extra apt configuration, written to `etc/apt/apt.conf.d/50patchd-test`.
        public var extraConfiguration: String

        public init(
            architecture: String = "amd64", listStorage: ListStorage = .uncompressed, extraConfiguration: String = ""
        ) {
            self.architecture = architecture
            self.listStorage = listStorage
            self.extraConfiguration = extraConfiguration
        }
    }

    /// The root directory; apt's tree lives below it as on a real system.
    public let root: String
    public let options: Options

    /// The file to export as `APT_CONFIG`.
    public var configFile: String { root + "/etc/apt/apt.conf" }
    public var listsDirectory: String { root + "/var/lib/apt/lists" }
    public var statusFile: String { root + "/var/lib/dpkg/status" }
    public var sourcesDirectory: String { root + "/etc/apt/sources.list.d" }

    /// Our environment plus `APT_CONFIG`, C locale and a non-interactive debconf: what apt commands run with.
    public var environment: [String: String] {
        TestProcess.environment([
            "APT_CONFIG": configFile, "LC_ALL": "C", "LANG": "C", "DEBIAN_FRONTEND": "noninteractive",
        ])
    }

    /// Creates the tree in a new temporary directory (or `root`) with an empty dpkg status file and no sources.
    public init(options: Options = Options(), root: String? = nil) throws {
        self.root = try root ?? TestDirectory.make(prefix: "patchd-isolated-apt")
        self.options = options
        let r = self.root
        for dir in [
            "etc/apt/sources.list.d", "etc/apt/apt.conf.d", "etc/apt/preferences.d", "etc/apt/trusted.gpg.d",
            "etc/apt/auth.conf.d", "var/lib/apt/lists/partial", "var/cache/apt/archives/partial",
            "var/lib/dpkg/updates",
            "var/lib/dpkg/info", "var/log/apt",
        ] {
            try TestDirectory.makeDirectories("\(r)/\(dir)")
        }
        let config = """
            // patchd test root: every path apt reads or writes is below \(r).
            Dir "\(r)/";
            Dir::State "\(r)/var/lib/apt/";
            Dir::State::lists "\(r)/var/lib/apt/lists/";
            Dir::State::status "\(r)/var/lib/dpkg/status";
            Dir::Cache "\(r)/var/cache/apt/";
            Dir::Cache::archives "\(r)/var/cache/apt/archives/";
            Dir::Etc "\(r)/etc/apt/";
            Dir::Etc::main "\(r)/etc/apt/apt.conf";
            Dir::Etc::parts "\(r)/etc/apt/apt.conf.d/";
            Dir::Etc::sourcelist "\(r)/etc/apt/sources.list";
            Dir::Etc::sourceparts "\(r)/etc/apt/sources.list.d/";
            Dir::Etc::preferences "\(r)/etc/apt/preferences";
            Dir::Etc::preferencesparts "\(r)/etc/apt/preferences.d/";
            Dir::Etc::trusted "\(r)/etc/apt/trusted.gpg";
            Dir::Etc::trustedparts "\(r)/etc/apt/trusted.gpg.d/";
            Dir::Etc::netrc "\(r)/etc/apt/auth.conf";
            Dir::Etc::netrcparts "\(r)/etc/apt/auth.conf.d/";
            Dir::Log "\(r)/var/log/apt/";
            Dir::Bin::dpkg "/bin/false";
            APT::Architecture "\(options.architecture)";
            APT::Architectures "\(options.architecture)";
            Debug::NoLocking "true";
            Acquire::Languages "none";

            """
        try TestDirectory.write(config, to: configFile)
        let lists: String
        switch options.listStorage {
        case .uncompressed:
            lists = "Acquire::GzipIndexes \"false\";\n"
        case .compressed(let compression):
            let format = compression == .uncompressed ? "uncompressed" : compression.rawValue
            lists =
                "Acquire::GzipIndexes \"true\";\nAcquire::IndexTargets::deb::Packages::KeepCompressedAs \"\(format)\";\n"
        }
        try TestDirectory.write(lists, to: "\(r)/etc/apt/apt.conf.d/10lists")
        if !options.extraConfiguration.isEmpty {
            try TestDirectory.write(options.extraConfiguration + "\n", to: "\(r)/etc/apt/apt.conf.d/50patchd-test")
        }
        try writeStatus([])
    }

    /// Replaces the dpkg status file with these packages (sorted by name, as dpkg writes it).
    public func writeStatus(_ packages: [DpkgStatusEntry]) throws {
        let sorted = packages.sorted { ($0.name, $0.architecture) < ($1.name, $1.architecture) }
        try writeStatus(text: sorted.map(\.paragraph).joined(separator: "\n"))
    }

    /// Replaces the dpkg status file with `text` (for a status captured from a real system).
    public func writeStatus(text: String) throws {
        try TestDirectory.write(text, to: statusFile)
    }

    /// Adds `repository` as a source for `suites`, as `sources.list.d/<name>.list` (one line per suite) or
    /// `<name>.sources` (one deb822 stanza).
    public func addSource(
        _ repository: AptRepository, suites: [String], components: [String] = ["main"], format: SourceFormat = .oneLine,
        name: String = "patchd-test"
    ) throws {
        switch format {
        case .oneLine:
            let lines = suites.map { repository.sourcesListLine(suite: $0, components: components) }
            try writeSource(name: name + ".list", contents: lines.joined(separator: "\n") + "\n")
        case .deb822:
            try writeSource(
                name: name + ".sources", contents: repository.deb822Stanza(suites: suites, components: components))
        }
    }

    /// Writes `sources.list.d/<fileName>` verbatim.
    public func writeSource(name fileName: String, contents: String) throws {
        try TestDirectory.write(contents, to: "\(sourcesDirectory)/\(fileName)")
    }

    /// `apt-get update`. Throws when apt fails or, unless `allowWarnings`, prints a warning (`W:`) or error (`E:`):
    /// a misspelt suite, a conflicting distribution or a skipped index are test bugs.
    @discardableResult
    public func update(allowWarnings: Bool = false, timeout: Duration = .seconds(120)) throws -> TestProcess.Output {
        let argv = ["apt-get", "update"]
        let result = try TestProcess.runChecked(argv, environment: environment, timeout: timeout)
        let complaints = result.stderr.split(separator: "\n").filter { $0.hasPrefix("W:") || $0.hasPrefix("E:") }
        if !allowWarnings, !complaints.isEmpty {
            throw TestProcessError(
                .nonZeroExit, argv: argv, status: result.status, stdout: result.stdout, stderr: result.stderr,
                message: "apt-get update warned in \(root)")
        }
        return result
    }

    /// `apt-get ARGS` in this root; throws on a non-zero status.
    @discardableResult
    public func aptGet(_ arguments: [String], timeout: Duration = .seconds(120)) throws -> TestProcess.Output {
        try TestProcess.runChecked(["apt-get"] + arguments, environment: environment, timeout: timeout)
    }

    /// `apt-cache ARGS` in this root; throws on a non-zero status.
    @discardableResult
    public func aptCache(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> TestProcess.Output {
        try TestProcess.runChecked(["apt-cache"] + arguments, environment: environment, timeout: timeout)
    }

    /// Any command with this root's environment (for example `apt-config dump` or the agent under test).
    public func run(_ argv: [String], timeout: Duration = .seconds(120)) throws -> TestProcess.Output {
        try TestProcess.run(argv, environment: environment, timeout: timeout)
    }

    /// File names in `var/lib/apt/lists` (not `partial`, `auxfiles` or `lock`), sorted.
    public func listFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: listsDirectory)
            .filter { !["partial", "auxfiles", "lock"].contains($0) }.sorted()
    }

    /// Removes the root from disk.
    public func remove() throws { try TestDirectory.remove(root) }
}
