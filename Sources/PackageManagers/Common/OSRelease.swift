public import PatchCore

/// `/etc/os-release` (or `/usr/lib/os-release`), parsed as the freedesktop specification describes.
public struct OSRelease: Sendable, Hashable {
    public var fields: [String: String]

    public var id: String { fields["ID"] ?? "linux" }
    public var idLike: [String] { (fields["ID_LIKE"] ?? "").split(separator: " ").map(String.init) }
    public var versionID: String? { fields["VERSION_ID"] }
    public var versionCodename: String? { fields["VERSION_CODENAME"] ?? fields["UBUNTU_CODENAME"] }
    public var prettyName: String? { fields["PRETTY_NAME"] }

    public init(fields: [String: String]) { self.fields = fields }

    /// Parses `KEY=value` lines: values may be double- or single-quoted with backslash escapes; comments and blank
    /// lines are skipped; a malformed line is ignored rather than fatal, as systemd does.
    public init(parsing text: String) {
        var fields: [String: String] = [:]
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.trimmingSpaces()
            guard !line.isEmpty, !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<eq])
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { continue }
            fields[key] = OSRelease.unquote(line[line.index(after: eq)...])
        }
        self.fields = fields
    }

    private static func unquote(_ value: Substring) -> String {
        guard let quote = value.first, quote == "\"" || quote == "'" else { return String(value) }
        var out = ""
        var escaped = false
        for c in value.dropFirst() {
            if escaped {
                out.append(c)
                escaped = false
            } else if c == "\\" && quote == "\"" {
                escaped = true
            } else if c == quote {
                break
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// The Debian-family OS this is, or nil for other systems. `hasRaspberryPiMarker`: `/etc/rpi-issue` exists
    /// (64-bit Raspberry Pi OS says `ID=debian`).
    public func aptOperatingSystem(hasRaspberryPiMarker: Bool = false) -> OperatingSystem? {
        switch id {
        case "raspbian": return .raspbian
        case "ubuntu": return .ubuntu
        case "debian": return hasRaspberryPiMarker ? .raspbian : .debian
        default: return nil
        }
    }

    /// The PRODUCT of a baseline filter: `Debian12`, `Ubuntu22.04`, `Raspbian12`.
    public func product(for os: OperatingSystem) -> String {
        let version = versionID ?? ""
        switch os {
        case .debian: return "Debian" + (version.split(separator: ".").first.map(String.init) ?? version)
        case .raspbian: return "Raspbian" + (version.split(separator: ".").first.map(String.init) ?? version)
        case .ubuntu: return "Ubuntu" + version
        default: return version
        }
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return s
    }
}
