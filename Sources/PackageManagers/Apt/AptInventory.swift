import Foundation
public import PatchCore

/// Everything a Scan needs to know about a Debian-family root, read natively from its files: no apt process runs,
/// so a Scan works the same on this machine, a chroot, a mounted disk or an unpacked image.
public struct AptInventory: Sendable {
    public var operatingSystem: OperatingSystem
    public var product: String
    public var osRelease: OSRelease
    public var status: DpkgStatus
    public var architectures: [String]
    public var sources: [AptSource]
    public var available: [AvailablePackage]
    /// Package index files read, with their entry counts.
    public var indexes: [(file: String, origin: String, entries: Int)]
    /// Things that limit what the scan could see, each naming a file.
    public var warnings: [String]

    public var installed: [InstalledPackage] { status.installed }
}

/// Why a root cannot be scanned at all.
public struct InventoryError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

public enum AptInventoryReader {
    /// The fields of Packages entries the engine uses.
    static let packageFields = ["Package", "Version", "Architecture", "Priority", "Section"]

    /// Which Debian-family OS `root` runs, from its os-release alone.
    public static func detect(root: String) throws(InventoryError) -> (OperatingSystem, OSRelease) {
        let fs = RootFS(root: root)
        guard let osText = fs.text("etc/os-release") ?? fs.text("usr/lib/os-release") else {
            throw InventoryError(path: fs.path("etc/os-release"), message: "missing: cannot tell which OS this is")
        }
        let osRelease = OSRelease(parsing: osText)
        guard let os = osRelease.aptOperatingSystem(hasRaspberryPiMarker: fs.exists("etc/rpi-issue")) else {
            throw InventoryError(
                path: fs.path("etc/os-release"),
                message: "ID=\(osRelease.id) is not Debian, Ubuntu or Raspberry Pi OS")
        }
        return (os, osRelease)
    }

    /// Makes the destination for the versions of packages that are not installed, once the OS and its product
    /// are known: a `NotInstalledCollector` for the baseline that will be evaluated.
    public typealias NotInstalledSink = (OperatingSystem, String) -> NotInstalledCollector?

    /// Reads `root` (`/` for this machine). Sources and lists are taken from the standard places under it.
    /// With `notInstalled`, versions of packages that are not installed go to its sink instead of `available`, so
    /// memory stays proportional to what is installed.
    public static func read(root: String, notInstalled: NotInstalledSink? = nil) throws(InventoryError)
        -> AptInventory
    {
        let fs = RootFS(root: root)
        let (os, osRelease) = try detect(root: root)
        guard let statusBytes = fs.bytes("var/lib/dpkg/status") else {
            throw InventoryError(path: fs.path("var/lib/dpkg/status"), message: "missing or unreadable")
        }
        let status = DpkgStatus(bytes: statusBytes)
        let product = osRelease.product(for: os)
        let sink = notInstalled?(os, product) ?? nil
        let installedNames = Set(status.installed.map(\.name))
        var warnings: [String] = []
        var architectures: [String] = []
        if let native = status.nativeArchitecture {
            architectures.append(native)
        } else {
            warnings.append("\(fs.path("var/lib/dpkg/status")): dpkg itself is not installed; architecture unknown")
        }
        for line in (fs.text("var/lib/dpkg/arch") ?? "").split(separator: "\n") {
            let arch = line.trimmingSpaces()
            if !arch.isEmpty && !architectures.contains(String(arch)) { architectures.append(String(arch)) }
        }

        let (sources, sourceProblems) = readSources(fs)
        warnings += sourceProblems.map(\.description)

        var available: [AvailablePackage] = []
        var indexes: [(file: String, origin: String, entries: Int)] = []
        var seenFiles: Set<String> = []
        let lists = "var/lib/apt/lists/"
        for source in sources where source.enabled && source.kind == .deb {
            let prefix = AptListNames.releasePrefix(source)
            guard let releaseBytes = fs.bytes(lists + prefix + "InRelease") ?? fs.bytes(lists + prefix + "Release")
            else {
                warnings.append(
                    "\(source.location): no lists for \(source.uri) \(source.suite) under \(fs.path(lists)) "
                        + "(run apt-get update)")
                continue
            }
            let release = AptRelease(bytes: releaseBytes)
            let security = isSecurity(release, os: os, codename: osRelease.versionCodename)
            let origin = release.originDescription
            var archs = source.architectures ?? architectures
            if !archs.contains("all") { archs.append("all") }
            let components: [String?] = source.isFlat ? [nil] : source.components.map { $0 }
            for component in components {
                for arch in archs {
                    let base = lists + AptListNames.packagesFile(source, component: component, architecture: arch)
                    guard let file = fs.firstExisting(base, extensions: ["", ".lz4", ".gz", ".xz", ".zst", ".bz2"])
                    else {
                        if arch != "all" {
                            warnings.append(
                                "\(source.location): no Packages list for \(source.suite) \(component ?? "") \(arch) "
                                    + "(run apt-get update)")
                        }
                        continue
                    }
                    guard seenFiles.insert(file).inserted else { continue }
                    // Entries reach the engine only once the whole index decompressed cleanly and to the size the
                    // Release file lists: a damaged file is caught by its compression's checks (where the format
                    // has them) or by its size at the end, and none of it is used. A plain file has no checks.
                    var entries: [AvailablePackage] = []
                    var count = 0
                    let indexPath = component.map { "\($0)/binary-\(arch)/Packages" } ?? "Packages"
                    let expectedSize = AptRelease.indexSize(indexPath, in: releaseBytes)
                    sink?.checkpoint()
                    do {
                        let size = try readPackages(fs.path(file), origin: origin, security: security) { p in
                            count += 1
                            if let sink, !installedNames.contains(p.name) {
                                sink.add(p)
                            } else {
                                entries.append(p)
                            }
                        }
                        if let expectedSize, size != expectedSize {
                            throw IndexSizeMismatch(index: indexPath, size: size, expected: expectedSize)
                        }
                    } catch {
                        sink?.rollback()
                        // A DecompressionError names the file itself.
                        let problem = "\(error)"
                        let named = problem.hasPrefix(fs.path(file) + ":") ? problem : "\(fs.path(file)): \(problem)"
                        warnings.append(named + "; its packages are left out")
                        continue
                    }
                    indexes.append((fs.path(file), origin, count))
                    available += entries
                }
            }
        }
        return AptInventory(
            operatingSystem: os, product: product, osRelease: osRelease, status: status,
            architectures: architectures, sources: sources, available: available, indexes: indexes,
            warnings: warnings)
    }

    /// Security origins: Debian's debian-security archive (also for Raspberry Pi OS), Ubuntu's
    /// `<codename>-security` pocket of this release.
    public static func isSecurity(_ release: AptRelease, os: OperatingSystem, codename: String?) -> Bool {
        switch os {
        case .ubuntu:
            guard release.origin == "Ubuntu", let suite = release.suite else { return false }
            if let codename { return suite == "\(codename)-security" }
            return suite.hasSuffix("-security")
        default:
            if release.label == "Debian-Security" { return true }
            return release.origin == "Debian" && (release.suite ?? "").hasSuffix("-security")
        }
    }

    static func readSources(_ fs: RootFS) -> ([AptSource], [AptSourceProblem]) {
        var sources: [AptSource] = []
        var problems: [AptSourceProblem] = []
        if let text = fs.text("etc/apt/sources.list") {
            let (s, p) = AptSourcesParser.parseList(text, file: fs.path("etc/apt/sources.list"))
            sources += s
            problems += p
        }
        // apt reads *.list and *.sources in sorted order and ignores files with other names.
        for name in fs.list("etc/apt/sources.list.d").sorted() {
            let valid = name.allSatisfy { $0.isLetter || $0.isNumber || "_-.".contains($0) }
            guard valid, let text = fs.text("etc/apt/sources.list.d/" + name) else { continue }
            let path = fs.path("etc/apt/sources.list.d/" + name)
            if name.hasSuffix(".list") {
                let (s, p) = AptSourcesParser.parseList(text, file: path)
                sources += s
                problems += p
            } else if name.hasSuffix(".sources") {
                let (s, p) = AptSourcesParser.parseSources(text, file: path)
                sources += s
                problems += p
            }
        }
        return (sources, problems)
    }

    /// A list file that does not decompress to the size its Release file gives.
    struct IndexSizeMismatch: Error, CustomStringConvertible {
        var index: String
        var size: Int
        var expected: Int
        var description: String {
            "decompresses to \(size) bytes, but the Release file lists \(expected) for \(index) (cut short or "
                + "changed since apt-get update)"
        }
    }

    /// Streams one Packages index (any compression); returns its decompressed size.
    static func readPackages(
        _ path: String, origin: String, security: Bool, _ body: (AvailablePackage) -> Void
    ) throws -> Int {
        let classification: String? = security ? "Security" : nil
        return try AptPackagesIndexParser.read(path: path) { e in
            body(
                AvailablePackage(
                    name: e.name, arch: e.architecture, version: e.version, repository: origin, security: security,
                    classification: classification, priority: e.priority, section: e.section))
        }
    }
}

/// Paths under a root, read without following the root's absolute symlinks out of it.
struct RootFS {
    let root: String

    init(root: String) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
    }

    func path(_ relative: String) -> String { root == "/" ? "/" + relative : root + "/" + relative }

    func bytes(_ relative: String) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path(relative)) else { return nil }
        return [UInt8](data)
    }

    func text(_ relative: String) -> String? { bytes(relative).map { String(decoding: $0, as: UTF8.self) } }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

    func list(_ relative: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path(relative))) ?? []
    }

    func firstExisting(_ relative: String, extensions: [String]) -> String? {
        extensions.lazy.map { relative + $0 }.first { exists($0) }
    }
}
