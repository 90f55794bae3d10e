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
        // Only the first paragraph's header fields matter; the file is mostly checksum lines, which are skipped
        // without building strings.
        let text = AptRelease.signedText(bytes)
        var scanner = Deb822Scanner(only: AptRelease.fields)
        var first: Deb822Paragraph?
        text.withUnsafeBytes { buffer in
            scanner.feed(buffer) { if first == nil { first = $0 } }
        }
        if first == nil { scanner.finish { first = $0 } }
        let p = first
        self.init(
            origin: p?["Origin"], label: p?["Label"], suite: p?["Suite"], codename: p?["Codename"],
            version: p?["Version"], architectures: (p?["Architectures"] ?? "").split(separator: " ").map(String.init),
            noArchAllIndex: p?["No-Support-for-Architecture-all"] == "Packages")
    }

    static let fields = [
        "Origin", "Label", "Suite", "Codename", "Version", "Architectures", "No-Support-for-Architecture-all",
    ]

    /// The text inside an OpenPGP clear-signed message (dash-escaping undone); other text as it is.
    static func signedText(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        let begin = Array("-----BEGIN PGP SIGNED MESSAGE-----".utf8)
        guard bytes.starts(with: begin) else { return bytes[...] }
        // Armor headers (Hash: ...) end at the first empty line.
        var bodyStart = bytes.count
        if let blank = find(Array("\n\n".utf8), in: bytes, from: begin.count - 1) {
            bodyStart = blank + 2
        } else if let blank = find(Array("\n\r\n".utf8), in: bytes, from: begin.count - 1) {
            bodyStart = blank + 3
        }
        let signature = Array("\n-----BEGIN PGP SIGNATURE-----".utf8)
        var end = bytes.count
        if bodyStart < bytes.count, let range = find(signature, in: bytes, from: bodyStart) { end = range + 1 }
        var body = bytes[min(bodyStart, end)..<end]
        // Dash-escaped lines ("- text") are rare in Release files; undo them only when present.
        if body.starts(with: Array("- ".utf8)) || find(Array("\n- ".utf8), in: bytes, from: body.startIndex) != nil {
            var out: [UInt8] = []
            out.reserveCapacity(body.count)
            var atLineStart = true
            var k = body.startIndex
            while k < body.endIndex {
                if atLineStart && body[k] == UInt8(ascii: "-") && k + 1 < body.endIndex && body[k + 1] == 0x20 {
                    k += 2
                    atLineStart = false
                    continue
                }
                atLineStart = body[k] == 0x0A
                out.append(body[k])
                k += 1
            }
            body = out[...]
        }
        return body
    }

    private static func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
        guard needle.count <= hay.count else { return nil }
        var i = from
        while i + needle.count <= hay.count {
            if hay[i] == needle[0] && hay[i..<i + needle.count].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// The size a Release (or InRelease) file's checksum lists give for the index at `path` (relative to the suite:
    /// `main/binary-amd64/Packages`, or `Packages` in a flat repository), or nil when it is not listed. apt checked
    /// the index against it when it downloaded it; a list file that no longer decompresses to this size was cut
    /// short or changed since. Found by a byte search, without splitting the checksum lines.
    public static func indexSize(_ path: String, in release: [UInt8]) -> Int? {
        // A checksum line: ` <hash> <spaces> <size> <path>\n`.
        let needle = Array((" " + path + "\n").utf8)
        var from = 0
        while let at = find(needle, in: release, from: from) {
            from = at + 1
            var start = at
            while start > 0 && release[start - 1] >= UInt8(ascii: "0") && release[start - 1] <= UInt8(ascii: "9") {
                start -= 1
            }
            guard start < at, start > 0, release[start - 1] == 0x20,
                let size = Int(String(decoding: release[start..<at], as: UTF8.self))
            else { continue }
            return size
        }
        return nil
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
