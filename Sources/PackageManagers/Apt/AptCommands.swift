/// argv builders for apt-get and dpkg, and parsers for what they print. Pure: no process runs here.
public struct AptCommands: Sendable {
    /// The root the commands act on (`/`, or a directory entered with chroot).
    public var root: String
    /// Seconds apt waits for the dpkg lock before giving up.
    public var lockTimeoutSeconds: Int
    /// Extra environment for every command (APT_CONFIG, proxies).
    public var extraEnvironment: [String: String]

    public init(root: String = "/", lockTimeoutSeconds: Int = 120, extraEnvironment: [String: String] = [:]) {
        self.root = root
        self.lockTimeoutSeconds = lockTimeoutSeconds
        self.extraEnvironment = extraEnvironment
    }

    /// The environment apt and dpkg run in: no prompts, conffiles kept, no service-restart questions.
    public var environment: [String: String] {
        var env = CommandSpec.baseEnvironment
        env["DEBIAN_FRONTEND"] = "noninteractive"
        env["APT_LISTCHANGES_FRONTEND"] = "none"
        env["NEEDRESTART_MODE"] = "a"
        env["UCF_FORCE_CONFFOLD"] = "1"
        for (k, v) in extraEnvironment { env[k] = v }
        return env
    }

    private func inRoot(_ tool: String) -> (String, [String]) {
        root == "/" ? (tool, []) : ("/usr/sbin/chroot", [root, tool])
    }

    private var common: [String] {
        ["-q", "-o", "DPkg::Lock::Timeout=\(lockTimeoutSeconds)", "-o", "APT::Color=0"]
    }

    /// Options that keep dpkg from ever asking about a conffile: the local file is kept.
    public static let conffileOptions = [
        "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
    ]

    public func update(timeout: Duration) -> CommandSpec {
        let (exe, pre) = inRoot("/usr/bin/apt-get")
        return CommandSpec(
            exe, pre + common + ["-o", "Acquire::http::Timeout=30", "-o", "Acquire::Retries=2", "update"],
            environment: environment, timeout: timeout)
    }

    /// `name:arch=version` for each target; names, architectures and versions are checked first (see `target`).
    public func simulateInstall(_ targets: [String], timeout: Duration) -> CommandSpec {
        let (exe, pre) = inRoot("/usr/bin/apt-get")
        return CommandSpec(
            exe,
            pre + common + ["-s", "-o", "Debug::NoLocking=1", "--no-install-recommends", "install"] + targets,
            environment: environment, timeout: timeout)
    }

    /// The real install. Progress comes as `pmstatus:` lines on stdout (APT::Status-Fd=1).
    public func install(_ targets: [String], timeout: Duration) -> CommandSpec {
        let (exe, pre) = inRoot("/usr/bin/apt-get")
        return CommandSpec(
            exe,
            pre + common + AptCommands.conffileOptions
                + ["-y", "-o", "APT::Status-Fd=1", "--no-install-recommends", "install"] + targets,
            environment: environment, timeout: timeout, outputLimit: 16 << 20)
    }

    /// Finishes whatever an interrupted dpkg left half-way.
    public func configurePending(timeout: Duration) -> CommandSpec {
        let (exe, pre) = inRoot("/usr/bin/dpkg")
        return CommandSpec(
            exe, pre + ["--force-confdef", "--force-confold", "--configure", "-a"], environment: environment,
            timeout: timeout)
    }

    /// `name:arch=version`, after checking each part against Debian policy's character sets, so nothing a
    /// repository says can become an option or anything but one package argument.
    public static func target(name: String, arch: String, version: String) -> String? {
        func valid(_ s: String, first: (UInt8) -> Bool, rest: (UInt8) -> Bool) -> Bool {
            guard let f = s.utf8.first, first(f), s.utf8.count <= 256 else { return false }
            return s.utf8.allSatisfy(rest)
        }
        let lowerDigit: (UInt8) -> Bool = { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
        let nameOK = valid(name, first: lowerDigit) { lowerDigit($0) || "+-.".utf8.contains($0) }
        let archOK = valid(arch, first: lowerDigit) { lowerDigit($0) || $0 == UInt8(ascii: "-") }
        let versionOK =
            valid(version, first: { $0 >= 0x30 && $0 <= 0x39 }) {
                lowerDigit($0) || ($0 >= 0x41 && $0 <= 0x5A) || ".+~:-".utf8.contains($0)
            }
        guard nameOK, archOK, versionOK else { return nil }
        return "\(name):\(arch)=\(version)"
    }
}

/// One line of `apt-get -s` output: what the transaction would do to one package.
public struct AptSimulatedAction: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case install = "Inst"
        case remove = "Remv"
        case configure = "Conf"
        case purge = "Purg"
    }

    public var kind: Kind
    public var name: String
    public var arch: String?
    /// The version installed now (`[old]`), if any.
    public var oldVersion: String?
    /// The version it becomes.
    public var newVersion: String?
    /// `Label:Version/Suite` of every source of the new version, as apt prints them.
    public var origins: [(label: String, suite: String)]

    public static func == (a: Self, b: Self) -> Bool {
        a.kind == b.kind && a.name == b.name && a.arch == b.arch && a.oldVersion == b.oldVersion
            && a.newVersion == b.newVersion && a.origins.map(\.label) == b.origins.map(\.label)
            && a.origins.map(\.suite) == b.origins.map(\.suite)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(name)
        hasher.combine(newVersion)
    }

    /// Parses `Inst name [old] (new Label:Version/Suite, … [arch]) []`, `Remv name [old]`, `Conf name (new …)`.
    public init?(line: String) {
        let parts = line.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let kind = Kind(rawValue: String(parts[0])) else { return nil }
        self.kind = kind
        var rest = parts[1][...]
        let nameEnd = rest.firstIndex(of: " ") ?? rest.endIndex
        let fullName = rest[..<nameEnd]
        if let colon = fullName.firstIndex(of: ":") {
            name = String(fullName[..<colon])
            arch = String(fullName[fullName.index(after: colon)...])
        } else {
            name = String(fullName)
            arch = nil
        }
        rest = rest[nameEnd...].drop { $0 == " " }
        oldVersion = nil
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            oldVersion = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
        }
        newVersion = nil
        origins = []
        if rest.hasPrefix("("), let close = rest.lastIndex(of: ")") {
            var inside = rest[rest.index(after: rest.startIndex)..<close]
            // The architecture in brackets closes the parenthesis: `[amd64]`.
            if let open = inside.lastIndex(of: "["), inside.hasSuffix("]") {
                if arch == nil {
                    arch = String(inside[inside.index(after: open)..<inside.index(before: inside.endIndex)])
                }
                inside = inside[..<open]
            }
            let fields = inside.split(separator: " ", maxSplits: 1)
            newVersion = fields.first.map(String.init)
            if fields.count == 2 {
                for origin in fields[1].split(separator: ",") {
                    let o = origin.trimmingSpaces()
                    guard let colon = o.firstIndex(of: ":") else { continue }
                    let label = String(o[..<colon])
                    let suite = o.lastIndex(of: "/").map { String(o[o.index(after: $0)...]) } ?? ""
                    origins.append((label, suite))
                }
            }
        }
    }
}

/// A line apt writes to APT::Status-Fd during an install.
public enum AptStatusLine: Sendable, Hashable {
    /// `pmstatus:package:percent:message`
    case progress(package: String, percent: Double, message: String)
    /// `pmerror:package:percent:message`
    case error(package: String, message: String)
    /// `pmconffile:file:percent:'old' 'new' …` — a conffile question (answered by --force-confold)
    case conffile(file: String)
    /// `dlstatus:…` download progress
    case download(percent: Double, message: String)

    public init?(line: String) {
        // The package may carry its architecture (`libc6:amd64`), so the percent field is found, not counted.
        let parts = line.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 4,
            let p = (2..<parts.count - 1).first(where: { Double(parts[$0]) != nil }),
            let percent = Double(parts[p])
        else { return nil }
        let subject = parts[1..<p].joined(separator: ":")
        let message = parts[(p + 1)...].joined(separator: ":")
        switch parts[0] {
        case "pmstatus": self = .progress(package: subject, percent: percent, message: message)
        case "pmerror": self = .error(package: subject, message: message)
        case "pmconffile": self = .conffile(file: subject)
        case "dlstatus": self = .download(percent: percent, message: message)
        default: return nil
        }
    }
}
