import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A Debian binary package to build for a test: control fields, files, conffiles and maintainer scripts.
public struct DebPackage: Sendable {
    /// A maintainer script dpkg runs.
    public enum Script: String, Sendable, Hashable, CaseIterable {
        case preinst, postinst, prerm, postrm
    }

    public var name: String
    /// Full Debian version, epoch included (`1:2.0-1`); the file name leaves the epoch out, as the archive does.
    public var version: String
    /// `amd64` or `all` (any dpkg architecture works).
    public var architecture: String
    public var maintainer: String
    public var priority: String?
    public var section: String?
    public var depends: String?
    public var preDepends: String?
    public var conflicts: String?
    public var breaks: String?
    public var provides: String?
    public var multiArch: String?
    /// The first line is the synopsis; further lines are the extended description (blank lines become " .").
    public var description: String
    /// Any other control fields, written in this order after the known ones (e.g. `Source`, `Essential`).
    public var extraFields: [(String, String)]
    /// Absolute install path → contents, mode 0644.
    public var files: [String: String]
    /// Absolute install path → contents; installed like `files` and listed in DEBIAN/conffiles, so changing the
    /// file on the target and then upgrading produces dpkg's conffile prompt.
    public var conffiles: [String: String]
    /// Script → shell fragment; written as `#!/bin/sh`, `set -e`, then the fragment.
    public var scripts: [Script: String]
    /// When true, postinst (on configure) touches /var/run/reboot-required and appends the package name to
    /// /var/run/reboot-required.pkgs, as kernel and libc packages do.
    public var requiresReboot: Bool

    public init(
        name: String, version: String, architecture: String = "amd64",
        maintainer: String = "patchd tests <tests@patchd.invalid>", priority: String? = "optional",
        section: String? = "misc", depends: String? = nil, preDepends: String? = nil, conflicts: String? = nil,
        breaks: String? = nil, provides: String? = nil, multiArch: String? = nil, description: String? = nil,
        extraFields: [(String, String)] = [], files: [String: String] = [:], conffiles: [String: String] = [:],
        scripts: [Script: String] = [:], requiresReboot: Bool = false
    ) {
        self.name = name
        self.version = version
        self.architecture = architecture
        self.maintainer = maintainer
        self.priority = priority
        self.section = section
        self.depends = depends
        self.preDepends = preDepends
        self.conflicts = conflicts
        self.breaks = breaks
        self.provides = provides
        self.multiArch = multiArch
        self.description = description ?? "\(name) test package\nBuilt by patchd's test support."
        self.extraFields = extraFields
        self.files = files
        self.conffiles = conffiles
        self.scripts = scripts
        self.requiresReboot = requiresReboot
    }

    /// The archive's file name: `name_version_arch.deb`, version without its epoch.
    public var fileName: String {
        let bare = version.firstIndex(of: ":").map { String(version[version.index(after: $0)...]) } ?? version
        return "\(name)_\(bare)_\(architecture).deb"
    }

    /// The DEBIAN/control text.
    public var controlText: String {
        var lines = ["Package: \(name)", "Version: \(version)", "Architecture: \(architecture)"]
        lines.append("Maintainer: \(maintainer)")
        let optional: [(String, String?)] = [
            ("Multi-Arch", multiArch), ("Priority", priority), ("Section", section), ("Pre-Depends", preDepends),
            ("Depends", depends), ("Conflicts", conflicts), ("Breaks", breaks), ("Provides", provides),
        ]
        for case (let field, let value?) in optional { lines.append("\(field): \(value)") }
        for (field, value) in extraFields { lines.append("\(field): \(value)") }
        let descriptionLines = description.split(separator: "\n", omittingEmptySubsequences: false)
        lines.append("Description: \(descriptionLines.first ?? "")")
        for line in descriptionLines.dropFirst() {
            lines.append(line.trimmingCharacters(in: .whitespaces).isEmpty ? " ." : " \(line)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The text of `script` as it goes into the package, or nil when the package has none.
    public func scriptText(_ script: Script) -> String? {
        var body = scripts[script] ?? ""
        if script == .postinst, requiresReboot {
            let notify = """
                if [ "$1" = configure ]; then
                    touch /var/run/reboot-required
                    grep -qsxF '\(name)' /var/run/reboot-required.pkgs || echo '\(name)' >> /var/run/reboot-required.pkgs
                fi

                """
            body = notify + body
        }
        guard !body.isEmpty else { return nil }
        return "#!/bin/sh\nset -e\n" + body + (body.hasSuffix("\n") ? "" : "\n")
    }
}

/// Builds `.deb` files with `dpkg-deb --build --root-owner-group`.
///
/// Builds are reproducible: every file and directory gets the same mtime and dpkg-deb gets `SOURCE_DATE_EPOCH`, so
/// the same `DebPackage` gives the same bytes.
public enum DebBuilder {
    /// The timestamp given to every member (2024-01-01T00:00:00Z).
    public static let sourceDateEpoch = 1_704_067_200

    /// Builds `package` into `directory` and returns the path of the new `.deb`.
    @discardableResult
    public static func build(_ package: DebPackage, into directory: String) throws -> String {
        try TestDirectory.makeDirectories(directory)
        let staging = try TestDirectory.make(prefix: "patchd-deb")
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let tree = staging + "/tree"
        let control = tree + "/DEBIAN"
        try TestDirectory.makeDirectories(control)
        try TestDirectory.write(package.controlText, to: control + "/control")
        for (path, contents) in package.files.merging(package.conffiles, uniquingKeysWith: { _, conf in conf }) {
            try TestDirectory.write(contents, to: tree + "/" + relative(path))
        }
        if !package.conffiles.isEmpty {
            let list = package.conffiles.keys.sorted().map { "/" + relative($0) }.joined(separator: "\n") + "\n"
            try TestDirectory.write(list, to: control + "/conffiles")
        }
        for script in DebPackage.Script.allCases {
            if let text = package.scriptText(script) {
                try TestDirectory.write(text, to: control + "/" + script.rawValue, mode: 0o755)
            }
        }
        try clampTimes(under: tree)
        let output = directory + "/" + package.fileName
        try TestProcess.runChecked(
            ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", tree, output],
            environment: TestProcess.environment(["SOURCE_DATE_EPOCH": String(sourceDateEpoch), "LC_ALL": "C"]),
            timeout: .seconds(120))
        return output
    }

    private static func relative(_ path: String) -> String {
        String(path.drop(while: { $0 == "/" }))
    }

    private static func clampTimes(under root: String) throws {
        var paths = [root]
        if let walker = FileManager.default.enumerator(atPath: root) {
            while let next = walker.nextObject() as? String { paths.append(root + "/" + next) }
        }
        let stamp = timespec(tv_sec: sourceDateEpoch, tv_nsec: 0)
        for path in paths {
            let result = [stamp, stamp].withUnsafeBufferPointer {
                utimensat(AT_FDCWD, path, $0.baseAddress, AT_SYMLINK_NOFOLLOW)
            }
            guard result == 0 else { throw TestSupportError("utimensat \(path): \(String(cString: strerror(errno)))") }
        }
    }
}
