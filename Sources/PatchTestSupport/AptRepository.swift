import Foundation

/// A signed APT repository on disk, built with `dpkg-deb`, `apt-ftparchive` and gpg, for `file:` sources.
///
/// Layout: `pool/<suite>/<component>/*.deb`, and per suite `dists/<suite>/Release`, `InRelease`, `Release.gpg`
/// and `<component>/binary-<arch>/Packages*`. `binary-amd64` lists the suite's amd64 and all packages and
/// `binary-all` its `all` packages, as Debian's archive does. Release always hashes the uncompressed Packages (apt
/// refuses an index the Release does not list uncompressed); the uncompressed file itself is removed unless
/// `.uncompressed` is among the compressions, again like Debian's mirrors.
///
/// ```swift
/// let repo = try AptRepository(suites: [.debian(), .debianSecurity()])
/// try repo.add(DebPackage(name: "hello", version: "1.0-1"), to: "bookworm")
/// try repo.add(DebPackage(name: "hello", version: "1.0-1+deb12u1"), to: "bookworm-security")
/// try repo.publish()
/// ```
public struct AptRepository: Sendable {
    /// One `dists/<name>` of a test repository and the fields of its Release file.
    public struct Suite: Sendable, Hashable {
        /// The directory under `dists/` and the suite name a sources entry uses.
        public var name: String
        public var origin: String
        public var label: String
        /// The Release `Suite` field (apt's `a=` in `apt-cache policy`).
        public var suite: String
        /// The Release `Codename` field (apt's `n=`).
        public var codename: String
        public var version: String?
        public var components: [String]
        public var architectures: [String]

        public init(
            name: String, origin: String, label: String, suite: String? = nil, codename: String? = nil,
            version: String? = nil, components: [String] = ["main"], architectures: [String] = ["amd64", "all"]
        ) {
            self.name = name
            self.origin = origin
            self.label = label
            self.suite = suite ?? name
            self.codename = codename ?? name
            self.version = version
            self.components = components
            self.architectures = architectures
        }

        /// Debian's main suite: Origin and Label "Debian".
        public static func debian(_ name: String = "bookworm", version: String? = "12") -> Suite {
            Suite(name: name, origin: "Debian", label: "Debian", version: version)
        }

        /// Debian's security suite: Origin "Debian", Label "Debian-Security", Suite and Codename `<codename>-security`.
        public static func debianSecurity(_ name: String = "bookworm-security", version: String? = "12") -> Suite {
            Suite(name: name, origin: "Debian", label: "Debian-Security", version: version)
        }

        /// Ubuntu's release pocket: Origin and Label "Ubuntu".
        public static func ubuntu(_ name: String = "jammy", version: String? = "22.04") -> Suite {
            Suite(name: name, origin: "Ubuntu", label: "Ubuntu", version: version)
        }

        /// An Ubuntu pocket such as `jammy-security` or `jammy-updates`: Origin and Label "Ubuntu", Suite the pocket,
        /// Codename the release (as Ubuntu's archive has it).
        public static func ubuntuPocket(_ name: String = "jammy-security", version: String? = "22.04") -> Suite {
            let codename = name.split(separator: "-").first.map(String.init) ?? name
            return Suite(name: name, origin: "Ubuntu", label: "Ubuntu", codename: codename, version: version)
        }
    }

    /// How a Packages index is published in `dists/`.
    public enum Compression: String, Sendable, Hashable, CaseIterable {
        case uncompressed = "", gz, xz, lz4, zst

        /// The file name suffix, with its dot (empty for uncompressed).
        public var suffix: String { self == .uncompressed ? "" : "." + rawValue }

        /// The command that writes `input` + `suffix` beside `input`, keeping `input`.
        func compressCommand(_ input: String) -> [String]? {
            switch self {
            case .uncompressed: nil
            case .gz: ["gzip", "-9nkf", "--", input]
            case .xz: ["xz", "-kf", "--", input]
            case .lz4: ["lz4", "-qf", input, input + suffix]
            case .zst: ["zstd", "-qf", input, "-o", input + suffix]
            }
        }
    }

    /// The repository's root, the directory a `file:` URI names.
    public let root: String
    public let suites: [Suite]
    /// The Packages files published next to the (hashed) uncompressed one.
    public let compressions: Set<Compression>
    /// The Release `Date` (fixed by default, so publishing is deterministic).
    public let date: String
    /// Whether `publish` signs (InRelease and Release.gpg); unsigned repositories need `trusted=yes`.
    public let signed: Bool
    /// The public key as a binary keyring inside the repository, for `signed-by`.
    public var keyring: String { root + "/test-archive-keyring.gpg" }

    /// Creates an empty repository in a new temporary directory (or in `root`).
    public init(
        suites: [Suite], compressions: Set<Compression> = [.xz, .gz], signed: Bool = true,
        date: String = "Sat, 01 Jun 2024 00:00:00 UTC", root: String? = nil
    ) throws {
        self.root = try root ?? TestDirectory.make(prefix: "patchd-aptrepo")
        self.suites = suites
        self.compressions = compressions.isEmpty ? [.uncompressed] : compressions
        self.signed = signed
        self.date = date
        for suite in suites {
            for component in suite.components {
                try TestDirectory.makeDirectories(poolDirectory(suite.name, component))
            }
        }
        if signed {
            let key = try TestSigningKey.shared()
            try TestDirectory.write(
                try Data(contentsOf: URL(fileURLWithPath: key.keyring)), to: keyring, mode: 0o644)
        }
    }

    /// The pool directory holding a suite's packages for one component.
    public func poolDirectory(_ suite: String, _ component: String = "main") -> String {
        "\(root)/pool/\(suite)/\(component)"
    }

    /// Builds `package` into the suite's pool; call `publish()` afterwards. Returns the `.deb` path.
    @discardableResult
    public func add(_ package: DebPackage, to suite: String, component: String = "main") throws -> String {
        guard let known = suites.first(where: { $0.name == suite }), known.components.contains(component) else {
            throw TestSupportError("repository \(root) has no suite \(suite) with component \(component)")
        }
        return try DebBuilder.build(package, into: poolDirectory(suite, component))
    }

    /// Builds every package into the suite's pool.
    public func add(_ packages: [DebPackage], to suite: String, component: String = "main") throws {
        for package in packages { try add(package, to: suite, component: component) }
    }

    /// Writes the Packages indexes, Release files and signatures of every suite from what is in the pool.
    public func publish() throws {
        for suite in suites { try publish(suite) }
    }

    /// A one-line sources entry: `deb [signed-by=KEY] file:ROOT SUITE COMPONENTS`.
    public func sourcesListLine(
        suite: String, components: [String] = ["main"], uri: String? = nil, keyring: String? = nil
    ) -> String {
        let option = signed ? "signed-by=\(keyring ?? self.keyring)" : "trusted=yes"
        return "deb [\(option)] file:\(uri ?? root) \(suite) \(components.joined(separator: " "))"
    }

    /// A deb822 sources stanza covering `suites`.
    public func deb822Stanza(
        suites: [String], components: [String] = ["main"], uri: String? = nil, keyring: String? = nil
    ) -> String {
        var lines = [
            "Types: deb", "URIs: file:\(uri ?? root)", "Suites: \(suites.joined(separator: " "))",
            "Components: \(components.joined(separator: " "))",
        ]
        lines.append(signed ? "Signed-By: \(keyring ?? self.keyring)" : "Trusted: yes")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Removes the repository from disk.
    public func remove() throws { try TestDirectory.remove(root) }

    private func publish(_ suite: Suite) throws {
        let dist = "\(root)/dists/\(suite.name)"
        try TestDirectory.makeDirectories(dist)
        // apt-ftparchive release hashes whatever is in the directory, stale Release files included.
        for stale in ["Release", "InRelease", "Release.gpg"] {
            try? FileManager.default.removeItem(atPath: "\(dist)/\(stale)")
        }
        let environment = TestProcess.environment(["LC_ALL": "C"])
        var uncompressed: [String] = []
        for component in suite.components {
            for arch in suite.architectures {
                let binary = "\(dist)/\(component)/binary-\(arch)"
                try TestDirectory.makeDirectories(binary)
                for compression in Compression.allCases {
                    try? FileManager.default.removeItem(atPath: "\(binary)/Packages\(compression.suffix)")
                }
                let scan = try TestProcess.runChecked(
                    ["apt-ftparchive", "--arch", arch, "packages", "pool/\(suite.name)/\(component)"],
                    environment: environment, currentDirectory: root, timeout: .seconds(120))
                let packages = "\(binary)/Packages"
                try TestDirectory.write(Self.sortedParagraphs(scan.stdout), to: packages)
                for compression in compressions.sorted(by: { $0.rawValue < $1.rawValue }) {
                    guard let command = compression.compressCommand(packages) else { continue }
                    try TestProcess.runChecked(command, environment: environment, timeout: .seconds(60))
                }
                uncompressed.append(packages)
            }
        }
        var release = ["apt-ftparchive"]
        let fields: [(String, String?)] = [
            ("Origin", suite.origin), ("Label", suite.label), ("Suite", suite.suite), ("Codename", suite.codename),
            ("Version", suite.version), ("Date", date), ("Architectures", suite.architectures.joined(separator: " ")),
            ("Components", suite.components.joined(separator: " ")),
            ("Description", "patchd test repository: \(suite.name)"),
        ]
        for case (let field, let value?) in fields { release += ["-o", "APT::FTPArchive::Release::\(field)=\(value)"] }
        release += ["release", "dists/\(suite.name)"]
        let text = try TestProcess.runChecked(
            release, environment: environment, currentDirectory: root, timeout: .seconds(120))
        try TestDirectory.write(text.stdout, to: "\(dist)/Release")
        if !compressions.contains(.uncompressed) {
            for path in uncompressed { try FileManager.default.removeItem(atPath: path) }
        }
        if signed { try TestSigningKey.shared().sign(release: "\(dist)/Release") }
    }

    /// Packages paragraphs in (Package, Version, Architecture) order, so the index does not depend on readdir.
    static func sortedParagraphs(_ text: String) -> String {
        let paragraphs = text.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .newlines) }
            .filter { !$0.isEmpty }
        func key(_ p: String) -> [String] {
            ["Package", "Version", "Architecture"].map { field in
                p.split(separator: "\n").first { $0.hasPrefix(field + ": ") }.map {
                    String($0.dropFirst(field.count + 2))
                }
                    ?? ""
            }
        }
        let sorted = paragraphs.sorted { key($0).lexicographicallyPrecedes(key($1)) }
        return sorted.isEmpty ? "" : sorted.joined(separator: "\n\n") + "\n"
    }
}
