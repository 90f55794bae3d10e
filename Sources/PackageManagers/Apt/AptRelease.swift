/// A suite's Release (or InRelease) file: who publishes it, which suite it is.
public struct AptRelease: Sendable, Hashable {
    public var origin: String?
    public var label: String?
    public var suite: String?
    public var codename: String?
    public var version: String?
    public var architectures: [String]
    /// `No-Support-for-Architecture-all: Packages`: arch-all packages are listed in each architecture's file.
    public var noArchAllIndex: Bool

    public init(
        origin: String? = nil, label: String? = nil, suite: String? = nil, codename: String? = nil,
        version: String? = nil, architectures: [String] = [], noArchAllIndex: Bool = false
    ) {
        self.origin = origin
        self.label = label
        self.suite = suite
        self.codename = codename
        self.version = version
        self.architectures = architectures
        self.noArchAllIndex = noArchAllIndex
    }

    /// Parses a Release file, or an InRelease file (the clear-signed form; apt verified the signature when it
    /// downloaded the file, so only the signed text is read here).
    public init(bytes: [UInt8]) {
        let text = AptRelease.signedText(String(decoding: bytes, as: UTF8.self))
        let p =
            Deb822Scanner.paragraphs(
                in: text,
                only: [
                    "Origin", "Label", "Suite", "Codename", "Version", "Architectures",
                    "No-Support-for-Architecture-all",
                ]
            ).first
        self.init(
            origin: p?["Origin"], label: p?["Label"], suite: p?["Suite"], codename: p?["Codename"],
            version: p?["Version"], architectures: (p?["Architectures"] ?? "").split(separator: " ").map(String.init),
            noArchAllIndex: p?["No-Support-for-Architecture-all"] == "Packages")
    }

    /// The text inside an OpenPGP clear-signed message (dash-escaping undone); other text as it is.
    static func signedText(_ text: String) -> String {
        guard text.hasPrefix("-----BEGIN PGP SIGNED MESSAGE-----") else { return text }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
        // Armor headers (Hash: ...) up to the first empty line.
        while let first = lines.first, !first.trimmingSpaces().isEmpty { lines = lines.dropFirst() }
        lines = lines.dropFirst()
        var out: [Substring] = []
        for line in lines {
            if line.hasPrefix("-----BEGIN PGP SIGNATURE-----") { break }
            out.append(line.hasPrefix("- ") ? line.dropFirst(2) : line)
        }
        return out.joined(separator: "\n")
    }

    /// A human label for the origin of versions from this suite: `Debian-Security bookworm-security`.
    public var originDescription: String {
        [label ?? origin, suite ?? codename].compactMap { $0 }.joined(separator: " ")
    }
}

/// How APT names the files it keeps under `var/lib/apt/lists`.
public enum AptListNames {
    /// apt's `URItoFileName`: user, password and scheme dropped, unsafe characters %-quoted, `/` → `_`.
    public static func fileName(forURI uri: String) -> String {
        var rest = Substring(uri)
        if let colon = rest.firstIndex(of: ":") { rest = rest[rest.index(after: colon)...] }
        var hostAndPath = String(rest)
        if hostAndPath.hasPrefix("//") {
            hostAndPath.removeFirst(2)
            // Drop user:password@.
            let hostEnd = hostAndPath.firstIndex(of: "/") ?? hostAndPath.endIndex
            if let at = hostAndPath[..<hostEnd].lastIndex(of: "@") {
                hostAndPath = String(hostAndPath[hostAndPath.index(after: at)...])
            }
        }
        let bad = Set("\\|{}[]<>\"^~_=!@#$%^&*".utf8)
        var out = ""
        for b in hostAndPath.utf8 {
            if b <= 0x20 || b >= 0x7F || bad.contains(b) {
                let hex = String(b, radix: 16)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            } else if b == UInt8(ascii: "/") {
                out += "_"
            } else {
                out.unicodeScalars.append(Unicode.Scalar(b))
            }
        }
        return out
    }

    static func base(_ uri: String) -> String { uri.hasSuffix("/") ? uri : uri + "/" }

    /// The list file prefix of a suite's Release files (`…_dists_bookworm_`), for `InRelease` / `Release`.
    public static func releasePrefix(_ source: AptSource) -> String {
        if source.isFlat {
            let suite = source.suite == "./" || source.suite == "/" ? "" : source.suite
            return fileName(forURI: base(source.uri) + suite)
        }
        return fileName(forURI: base(source.uri) + "dists/" + source.suite + "/")
    }

    /// The list file of one component's Packages index for one architecture (without compression extension).
    public static func packagesFile(_ source: AptSource, component: String?, architecture: String) -> String {
        if source.isFlat { return releasePrefix(source) + "Packages" }
        return releasePrefix(source) + "\(component ?? "main")_binary-\(architecture)_Packages"
    }
}
