/// One APT source: a repository URI, one suite, its components, as either file format describes it.
public struct AptSource: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case deb
        case debSrc = "deb-src"
    }

    public var kind: Kind
    public var uri: String
    public var suite: String
    public var components: [String]
    /// `arch=` / `Architectures:`: nil means the node's architectures.
    public var architectures: [String]?
    public var signedBy: String?
    public var trusted: Bool
    /// `Enabled: no` in deb822, or a one-line entry that is commented out.
    public var enabled: Bool
    /// Where it was written, for messages: `etc/apt/sources.list.d/debian.sources:7`.
    public var location: String

    public init(
        kind: Kind = .deb, uri: String, suite: String, components: [String], architectures: [String]? = nil,
        signedBy: String? = nil, trusted: Bool = false, enabled: Bool = true, location: String = ""
    ) {
        self.kind = kind
        self.uri = uri
        self.suite = suite
        self.components = components
        self.architectures = architectures
        self.signedBy = signedBy
        self.trusted = trusted
        self.enabled = enabled
        self.location = location
    }

    /// A flat repository: the suite is a path ending in `/` and there are no components.
    public var isFlat: Bool { suite.hasSuffix("/") }
}

/// A problem in a sources file: where, and what.
public struct AptSourceProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: String
    public var message: String
    public var description: String { "\(location): \(message)" }
}

/// Reads `sources.list`-style one-line entries and deb822 `.sources` stanzas.
public enum AptSourcesParser {
    /// One-line format: `deb [opt=val ...] uri suite [component ...]`. Commented-out `deb` lines are returned as
    /// disabled sources (so a report can say they exist); other comments are skipped.
    public static func parseList(_ text: String, file: String) -> ([AptSource], [AptSourceProblem]) {
        var sources: [AptSource] = []
        var problems: [AptSourceProblem] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let location = "\(file):\(index + 1)"
            var line = raw.trimmingSpaces()
            var enabled = true
            if line.hasPrefix("#") {
                line = line.drop { $0 == "#" }.trimmingSpaces()
                guard line.hasPrefix("deb ") || line.hasPrefix("deb-src ") || line.hasPrefix("deb\t") else { continue }
                enabled = false
            }
            if let hash = line.firstIndex(of: "#") { line = line[..<hash].trimmingSpaces() }
            guard !line.isEmpty else { continue }
            switch parseOneLine(line, location: location, enabled: enabled) {
            case .success(let s): sources.append(s)
            case .failure(let p):
                // A commented-out line that does not parse is just a comment.
                if enabled { problems.append(p) }
            }
        }
        return (sources, problems)
    }

    private static func parseOneLine(_ line: Substring, location: String, enabled: Bool) -> Result<
        AptSource, AptSourceProblem
    > {
        var rest = line[...]
        func word() -> Substring? {
            rest = rest.trimmingSpaces()
            guard !rest.isEmpty else { return nil }
            let end = rest.firstIndex { $0 == " " || $0 == "\t" } ?? rest.endIndex
            defer { rest = rest[end...] }
            return rest[..<end]
        }
        guard let type = word(), let kind = AptSource.Kind(rawValue: String(type)) else {
            return .failure(AptSourceProblem(location: location, message: "expected 'deb' or 'deb-src'"))
        }
        var options: [String: String] = [:]
        rest = rest.trimmingSpaces()
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                return .failure(AptSourceProblem(location: location, message: "unterminated option list '['"))
            }
            for option in rest[rest.index(after: rest.startIndex)..<close].split(whereSeparator: {
                $0 == " " || $0 == "\t"
            }) {
                guard let eq = option.firstIndex(of: "=") else {
                    return .failure(AptSourceProblem(location: location, message: "option '\(option)' has no value"))
                }
                let key = option[..<eq].lowercased()
                var value = String(option[option.index(after: eq)...])
                // `arch+=` and `arch-=` adjust the default set; patchd treats them as the listed architectures.
                let trimmedKey = key.trimmingCharacters(in: "+-")
                if trimmedKey != key { value = value.lowercased() }
                options[trimmedKey] = value
            }
            rest = rest[rest.index(after: close)...]
        }
        guard let uri = word() else {
            return .failure(AptSourceProblem(location: location, message: "missing the repository URI"))
        }
        guard let suite = word() else {
            return .failure(AptSourceProblem(location: location, message: "missing the suite (distribution)"))
        }
        var components: [String] = []
        while let c = word() { components.append(String(c)) }
        if !suite.hasSuffix("/") && components.isEmpty {
            return .failure(AptSourceProblem(location: location, message: "missing components for suite '\(suite)'"))
        }
        return .success(
            AptSource(
                kind: kind, uri: String(uri), suite: String(suite), components: components,
                architectures: options["arch"].map { $0.split(separator: ",").map(String.init) },
                signedBy: options["signed-by"], trusted: options["trusted"] == "yes", enabled: enabled,
                location: location))
    }

    /// deb822 format (`.sources`): each stanza expands to one source per type, URI and suite.
    public static func parseSources(_ text: String, file: String) -> ([AptSource], [AptSourceProblem]) {
        var sources: [AptSource] = []
        var problems: [AptSourceProblem] = []
        for p in Deb822Scanner.paragraphs(in: text) {
            let location = "\(file):\(p.line)"
            func words(_ field: String) -> [String] {
                (p[field] ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
            }
            let types = words("Types")
            let uris = words("URIs")
            let suites = words("Suites")
            guard !types.isEmpty else {
                problems.append(AptSourceProblem(location: location, message: "stanza without Types"))
                continue
            }
            guard !uris.isEmpty else {
                problems.append(AptSourceProblem(location: location, message: "stanza without URIs"))
                continue
            }
            guard !suites.isEmpty else {
                problems.append(AptSourceProblem(location: location, message: "stanza without Suites"))
                continue
            }
            let components = words("Components")
            let enabled = (p["Enabled"] ?? "yes").lowercased() != "no"
            let architectures = p["Architectures"].map { _ in words("Architectures") }
            // Signed-By is a keyring path (or paths) or an inline armored key.
            let signedBy = p["Signed-By"].map { $0.contains("BEGIN PGP") ? "(inline key)" : $0 }
            for type in types {
                guard let kind = AptSource.Kind(rawValue: type) else {
                    problems.append(AptSourceProblem(location: location, message: "unknown type '\(type)'"))
                    continue
                }
                for uri in uris {
                    for suite in suites {
                        if !suite.hasSuffix("/") && components.isEmpty {
                            problems.append(
                                AptSourceProblem(location: location, message: "missing Components for suite '\(suite)'")
                            )
                            continue
                        }
                        sources.append(
                            AptSource(
                                kind: kind, uri: uri, suite: suite, components: components,
                                architectures: architectures, signedBy: signedBy,
                                trusted: (p["Trusted"] ?? "no").lowercased() == "yes", enabled: enabled,
                                location: location))
                    }
                }
            }
        }
        return (sources, problems)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
