/// A shell-style pattern (`*`, `?`, `[a-z]`, `[!x]`) compiled to bytes, matched without allocation.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    public let caseInsensitive: Bool
    private let bytes: [UInt8]
    /// The bytes before the first wildcard character.
    let literalPrefix: [UInt8]
    public let hasWildcard: Bool

    public init(_ pattern: String, caseInsensitive: Bool = false) {
        self.pattern = pattern
        self.caseInsensitive = caseInsensitive
        let raw = Array(pattern.utf8)
        bytes = caseInsensitive ? raw.map(Glob.lower) : raw
        let firstWildcard = bytes.firstIndex {
            $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[")
        }
        hasWildcard = firstWildcard != nil
        literalPrefix = Array(bytes[..<(firstWildcard ?? bytes.count)])
    }

    public var description: String { pattern }

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 {
        b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b | 0x20 : b
    }

    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { matches(bytes: $0) }
    }

    /// Whether a text that starts with `prefix` could match: a cheap test before building the text.
    func couldMatch(startingWith prefix: String) -> Bool {
        var p = prefix
        return p.withUTF8 { u in
            let n = min(u.count, literalPrefix.count)
            for i in 0..<n where normalize(u[i]) != literalPrefix[i] { return false }
            // Without a wildcard the text must be exactly as long as the pattern, so the prefix can't be longer.
            return hasWildcard || u.count <= literalPrefix.count
        }
    }

    @inline(__always) private func normalize(_ b: UInt8) -> UInt8 { caseInsensitive ? Glob.lower(b) : b }

    public func matches(bytes text: UnsafeBufferPointer<UInt8>) -> Bool {
        if !hasWildcard {
            guard text.count == bytes.count else { return false }
            for i in 0..<text.count where normalize(text[i]) != bytes[i] { return false }
            return true
        }
        var p = 0
        var t = 0
        var starP = -1
        var starT = 0
        while t < text.count {
            if p < bytes.count {
                let pc = bytes[p]
                if pc == UInt8(ascii: "*") {
                    starP = p
                    starT = t
                    p += 1
                    continue
                }
                if pc == UInt8(ascii: "?") {
                    // One character, not one byte: skip the UTF-8 continuation bytes too.
                    p += 1
                    t += 1
                    while t < text.count && text[t] & 0xC0 == 0x80 { t += 1 }
                    continue
                }
                if pc == UInt8(ascii: "["), let (matched, next) = matchClass(at: p, normalize(text[t])) {
                    if matched {
                        p = next
                        t += 1
                        continue
                    }
                } else if pc == normalize(text[t]) {
                    p += 1
                    t += 1
                    continue
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starT += 1
            t = starT
        }
        while p < bytes.count && bytes[p] == UInt8(ascii: "*") { p += 1 }
        return p == bytes.count
    }

    /// Matches a bracket expression at `start`; nil when it is not a well-formed class (then `[` is literal).
    private func matchClass(at start: Int, _ c: UInt8) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < bytes.count && (bytes[i] == UInt8(ascii: "!") || bytes[i] == UInt8(ascii: "^")) {
            negate = true
            i += 1
        }
        var matched = false
        var first = true
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "]") && !first { return (matched != negate, i + 1) }
            first = false
            if i + 2 < bytes.count && bytes[i + 1] == UInt8(ascii: "-") && bytes[i + 2] != UInt8(ascii: "]") {
                if c >= b && c <= bytes[i + 2] { matched = true }
                i += 3
            } else {
                if c == b { matched = true }
                i += 1
            }
        }
        return nil
    }
}
