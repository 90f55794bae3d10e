public import PatchCore

/// What dpkg's status database (`var/lib/dpkg/status`) says is on the machine.
public struct DpkgStatus: Sendable {
    /// Packages that are installed (`install|hold ok installed`, or installed with triggers pending).
    public var installed: [InstalledPackage]
    /// Installed packages marked `hold`: apt leaves them alone.
    public var held: Set<PackageKey>
    /// Packages a dpkg run left half-way (`half-installed`, `unpacked`, `half-configured`, `reinstreq`): the
    /// database needs `dpkg --configure -a` before anything else.
    public var interrupted: [String]
    /// The architecture of dpkg itself: the node's native architecture.
    public var nativeArchitecture: String?

    public static let fields = ["Package", "Status", "Architecture", "Version"]

    public init(
        installed: [InstalledPackage] = [], held: Set<PackageKey> = [], interrupted: [String] = [],
        nativeArchitecture: String? = nil
    ) {
        self.installed = installed
        self.held = held
        self.interrupted = interrupted
        self.nativeArchitecture = nativeArchitecture
    }

    /// Reads the status file's paragraphs. Entries without a name, version or architecture are skipped (dpkg
    /// itself would refuse such a database; a scan reports what it can).
    public init(paragraphs: [Deb822Paragraph]) {
        self.init()
        for p in paragraphs {
            guard let name = p["Package"], let status = p["Status"] else { continue }
            let words = status.split(separator: " ")
            guard words.count == 3 else { continue }
            let (want, flag, state) = (words[0], words[1], words[2])
            if flag == "reinstreq" || state == "half-installed" || state == "unpacked" || state == "half-configured" {
                interrupted.append(name)
            }
            guard want == "install" || want == "hold",
                state == "installed" || state == "triggers-pending" || state == "triggers-awaited",
                let version = p["Version"], let arch = p["Architecture"]
            else { continue }
            let package = InstalledPackage(name: name, arch: arch, version: version)
            installed.append(package)
            if want == "hold" { held.insert(package.key) }
            if name == "dpkg" { nativeArchitecture = arch }
        }
    }

    public init(bytes: [UInt8]) {
        self.init(paragraphs: Deb822Scanner.paragraphs(in: bytes, only: DpkgStatus.fields))
    }
}
