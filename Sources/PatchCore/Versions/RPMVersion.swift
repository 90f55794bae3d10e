/// An RPM version, `[epoch:]version[-release]` (an "EVR"), parsed and ordered like rpm.
///
/// Parsing follows rpm's `parseEVR`: an epoch is the run of digits before a `:` at the start (an
/// empty one, `:1.0`, means `0`), and the release is what follows the last `-`. On top of that,
/// strings that rpm would only mangle are rejected: empty strings, whitespace or control
/// characters, a `:` that does not follow a numeric epoch (`a:1`, `1.0:2`), an epoch above
/// `UInt32.max` (rpm's header type), an empty version or an empty release (`1.0-`).
///
/// ``compare(_:_:)`` is rpm's `rpmverCmp`, which is what `rpm.vercmp()` (rpm ≥ 4.16), python's
/// `rpm.labelCompare` and `rpmdev-vercmp` use: a missing epoch counts as `0`, then the versions and
/// then the releases are compared with ``rpmvercmp(_:_:)``, and a missing release is older than
/// any release (`1.0` < `1.0-1`). ``compareIgnoringMissingRelease(_:_:)`` is the looser rule rpm
/// applies when it matches a dependency such as `foo >= 1.0`, where a side without a release
/// matches every release.
///
/// `<`, `==` and hashing follow ``compare(_:_:)``, so `1.0` == `0:1.00` and `1.0-1` != `1.0`.
public struct RPMVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The epoch, `nil` when the string has none (compared as `0`).
    public let epoch: Int?
    /// The version; never empty.
    public let version: String
    /// The release, `nil` when the string has none; never empty.
    public let release: String?

    /// The largest epoch accepted (rpm stores the epoch as a 32-bit unsigned integer).
    public static let maximumEpoch = Int(UInt32.max)

    public init(parsing string: String) throws(VersionError) {
        if string.isEmpty { throw VersionError(input: string, message: "version string is empty") }
        if VersionByte.containsSpaceOrControl(string) {
            throw VersionError(input: string, message: "version string contains whitespace or control characters")
        }
        let parsed = VersionByte.withBytes(string) { bytes in Self.parse(bytes) }
        switch parsed {
        case .success(let parts):
            self.epoch = parts.epoch
            self.version = parts.version
            self.release = parts.release
        case .failure(let problem):
            throw VersionError(input: string, message: problem.rawValue)
        }
    }

    /// Builds an EVR from its parts, checked like the parts of a parsed string.
    public init(epoch: Int?, version: String, release: String?) throws(VersionError) {
        var text = ""
        if let epoch { text += "\(epoch):" }
        text += version
        if let release { text += "-\(release)" }
        let parsed = try RPMVersion(parsing: text)
        guard parsed.epoch == epoch, parsed.version == version, parsed.release == release else {
            throw VersionError(input: text, message: "epoch, version and release do not form a version string")
        }
        self = parsed
    }

    init(unchecked epoch: Int?, version: String, release: String?) {
        self.epoch = epoch
        self.version = version
        self.release = release
    }

    /// rpm's `rpmverCmp` (what `rpm.vercmp()` returns): -1 if `a` is older, 0 if equal, 1 if newer.
    public static func compare(_ a: RPMVersion, _ b: RPMVersion) -> Int {
        let head = compareEpochAndVersion(a, b)
        if head != 0 { return head }
        switch (a.release, b.release) {
        case (nil, nil): return 0
        case (.some, nil): return 1
        case (nil, .some): return -1
        case (.some(let ra), .some(let rb)): return rpmvercmp(ra, rb)
        }
    }

    /// rpm's rule for matching dependency ranges: like ``compare(_:_:)``, except that the releases
    /// are only compared when both versions have one (so `1.0` matches `1.0-5`).
    public static func compareIgnoringMissingRelease(_ a: RPMVersion, _ b: RPMVersion) -> Int {
        let head = compareEpochAndVersion(a, b)
        if head != 0 { return head }
        guard let ra = a.release, let rb = b.release else { return 0 }
        return rpmvercmp(ra, rb)
    }

    private static func compareEpochAndVersion(_ a: RPMVersion, _ b: RPMVersion) -> Int {
        let ea = a.epoch ?? 0
        let eb = b.epoch ?? 0
        if ea != eb { return ea < eb ? -1 : 1 }
        return rpmvercmp(a.version, b.version)
    }

    public static func < (lhs: RPMVersion, rhs: RPMVersion) -> Bool { compare(lhs, rhs) < 0 }

    public static func == (lhs: RPMVersion, rhs: RPMVersion) -> Bool { compare(lhs, rhs) == 0 }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(epoch ?? 0)
        RPMSegments.hash(version, into: &hasher)
        if let release {
            hasher.combine(UInt8(0xFF))
            RPMSegments.hash(release, into: &hasher)
        }
    }

    public var description: String {
        var text = ""
        if let epoch {
            text += String(epoch)
            text += ":"
        }
        text += version
        if let release {
            text += "-"
            text += release
        }
        return text
    }

    // MARK: - Parsing

    private enum Problem: String, Error {
        case epochNotNumber = "epoch is not a number"
        case epochTooBig = "epoch is too big"
        case versionEmpty = "version is empty"
        case releaseEmpty = "release is empty"
    }

    private struct Parts {
        var epoch: Int?
        var version: String
        var release: String?
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Parts, Problem> {
        let end = bytes.count
        var i = 0
        var epochValue = 0
        var tooBig = false
        while i < end && VersionByte.isDigit(bytes[i]) {
            if !tooBig {
                epochValue = epochValue * 10 + Int(bytes[i] - VersionByte.zero)
                if epochValue > maximumEpoch { tooBig = true }
            }
            i += 1
        }
        var epoch: Int?
        var versionStart = 0
        if i < end && bytes[i] == VersionByte.colon {
            if tooBig { return .failure(.epochTooBig) }
            epoch = epochValue
            versionStart = i + 1
        } else if bytes.contains(VersionByte.colon) {
            return .failure(.epochNotNumber)
        }
        var versionEnd = end
        var release: String?
        if let hyphen = bytes[versionStart..<end].lastIndex(of: VersionByte.hyphen) {
            versionEnd = hyphen
            if hyphen + 1 == end { return .failure(.releaseEmpty) }
            release = VersionByte.string(bytes, (hyphen + 1)..<end)
        }
        if versionEnd == versionStart { return .failure(.versionEmpty) }
        return .success(
            Parts(epoch: epoch, version: VersionByte.string(bytes, versionStart..<versionEnd), release: release)
        )
    }
}

/// rpm's `rpmvercmp`: compares two version (or release) strings segment by segment.
///
/// Runs of ASCII letters and runs of ASCII digits are segments; every other character only
/// separates them (so `2.0` == `2_0`), except `~`, which sorts before anything, even the end of the
/// string (`1.0~rc1` < `1.0`), and `^`, which sorts after the end of the string but before anything
/// else (`1.0` < `1.0^git1` < `1.0.1`). Digit segments compare numerically whatever their length
/// (leading zeros ignored) and are newer than letter segments; letter segments compare like
/// `strcmp`. When all segments match, the string with segments left over is newer.
///
/// - Returns: -1 if `a` is older than `b`, 0 if they are equal, 1 if `a` is newer.
public func rpmvercmp(_ a: String, _ b: String) -> Int {
    VersionByte.withBytes(a) { pa in
        VersionByte.withBytes(b) { pb in RPMSegments.compare(pa, pb) }
    }
}

enum RPMSegments {
    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        // Identical strings are equal (rpm checks this first too).
        if a.count == b.count && a.elementsEqual(b) { return 0 }
        let na = a.count
        let nb = b.count
        var i = 0
        var j = 0
        @inline(__always) func isSeparator(_ c: UInt8) -> Bool {
            !VersionByte.isAlnum(c) && c != VersionByte.tilde && c != VersionByte.caret
        }
        while i < na || j < nb {
            while i < na && isSeparator(a[i]) { i += 1 }
            while j < nb && isSeparator(b[j]) { j += 1 }
            let ca: UInt8 = i < na ? a[i] : 0
            let cb: UInt8 = j < nb ? b[j] : 0

            // Tilde sorts before everything else, even the end of the string.
            if ca == VersionByte.tilde || cb == VersionByte.tilde {
                if ca != VersionByte.tilde { return 1 }
                if cb != VersionByte.tilde { return -1 }
                i += 1
                j += 1
                continue
            }
            // Caret is like tilde, except that the end of the string sorts before it.
            if ca == VersionByte.caret || cb == VersionByte.caret {
                if i == na { return -1 }
                if j == nb { return 1 }
                if ca != VersionByte.caret { return 1 }
                if cb != VersionByte.caret { return -1 }
                i += 1
                j += 1
                continue
            }
            if i == na || j == nb { break }

            // One all-digit or all-letter segment from each side, of the kind `a` has here.
            let isNumber = VersionByte.isDigit(ca)
            var ea = i
            var eb = j
            if isNumber {
                while ea < na && VersionByte.isDigit(a[ea]) { ea += 1 }
                while eb < nb && VersionByte.isDigit(b[eb]) { eb += 1 }
            } else {
                while ea < na && VersionByte.isAlpha(a[ea]) { ea += 1 }
                while eb < nb && VersionByte.isAlpha(b[eb]) { eb += 1 }
            }
            // `b` has a segment of the other kind here: a number is newer than letters.
            if eb == j { return isNumber ? 1 : -1 }

            if isNumber {
                while i < ea && a[i] == VersionByte.zero { i += 1 }
                while j < eb && b[j] == VersionByte.zero { j += 1 }
                let la = ea - i
                let lb = eb - j
                if la != lb { return la < lb ? -1 : 1 }
            }
            // strcmp of the two segments.
            var p = i
            var q = j
            while p < ea && q < eb {
                if a[p] != b[q] { return a[p] < b[q] ? -1 : 1 }
                p += 1
                q += 1
            }
            if p < ea { return 1 }
            if q < eb { return -1 }
            i = ea
            j = eb
        }
        if i == na && j == nb { return 0 }
        return i < na ? 1 : -1
    }

    /// Hashes the segments of `string` so that strings `rpmvercmp` finds equal hash alike: the
    /// separators are left out and digit segments lose their leading zeros.
    static func hash(_ string: String, into hasher: inout Hasher) {
        VersionByte.withBytes(string) { bytes in
            let n = bytes.count
            var i = 0
            while i < n {
                let c = bytes[i]
                if c == VersionByte.tilde || c == VersionByte.caret {
                    hasher.combine(c)
                    i += 1
                } else if VersionByte.isDigit(c) {
                    hasher.combine(UInt8(1))
                    while i < n && bytes[i] == VersionByte.zero { i += 1 }
                    while i < n && VersionByte.isDigit(bytes[i]) {
                        hasher.combine(bytes[i])
                        i += 1
                    }
                } else if VersionByte.isAlpha(c) {
                    hasher.combine(UInt8(2))
                    while i < n && VersionByte.isAlpha(bytes[i]) {
                        hasher.combine(bytes[i])
                        i += 1
                    }
                } else {
                    i += 1
                }
            }
        }
    }
}
