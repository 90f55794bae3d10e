/// A Debian package version, `[epoch:]upstream[-revision]`, parsed and ordered like dpkg.
///
/// Parsing follows dpkg's `parseversion`: leading and trailing blanks (space, tab) are ignored,
/// the epoch runs up to the first `:`, the revision starts after the last `-`. The errors dpkg
/// reports as errors are errors here too. Of the problems dpkg only warns about, an upstream
/// version that does not start with a digit is accepted (as `dpkg --compare-versions` does), while
/// an invalid character in the upstream version or revision is rejected.
///
/// Ordering follows dpkg's `verrevcmp`: the epoch numerically, then the upstream version, then the
/// revision; in each, runs of non-digits compare character by character with `~` before everything
/// (even the end of the string) and letters before other characters, and runs of digits compare
/// numerically, whatever their length. Equality is dpkg's: `1.0` == `1.00` == `0:1.0-0`, and
/// hashing agrees with it. ``description`` gives the canonical form (epoch `0` and an empty
/// revision left out).
public struct DebianVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The epoch, `0` when the string has none; at most `Int32.max`, like dpkg.
    public let epoch: Int
    /// The upstream version: may contain `:` (with an epoch) and `-` (with a revision).
    public let upstream: String
    /// The Debian revision, `""` when the string has none.
    public let revision: String

    /// The largest epoch dpkg accepts (`INT_MAX`).
    public static let maximumEpoch = Int(Int32.max)

    public init(parsing string: String) throws(VersionError) {
        let parsed = VersionByte.withBytes(string) { bytes in Self.parse(bytes) }
        switch parsed {
        case .success(let parts):
            self.epoch = parts.epoch
            self.upstream = parts.upstream
            self.revision = parts.revision
        case .failure(let problem):
            throw VersionError(input: string, message: problem.rawValue)
        }
    }

    /// Compares like `dpkg --compare-versions`: -1 if `a` is older than `b`, 0 if equal, 1 if newer.
    public static func compare(_ a: DebianVersion, _ b: DebianVersion) -> Int {
        if a.epoch != b.epoch { return a.epoch < b.epoch ? -1 : 1 }
        let upstream = verrevcmp(a.upstream, b.upstream)
        if upstream != 0 { return upstream }
        return verrevcmp(a.revision, b.revision)
    }

    /// dpkg's `verrevcmp` on one part (upstream version or revision), as -1, 0 or 1.
    ///
    /// Meant for the parts of a parsed version, which are ASCII; other bytes sort after every ASCII
    /// character here (dpkg's own order for them depends on whether the platform's `char` is signed).
    public static func verrevcmp(_ a: String, _ b: String) -> Int {
        VersionByte.withBytes(a) { pa in
            VersionByte.withBytes(b) { pb in verrevcmp(pa, pb) }
        }
    }

    public static func < (lhs: DebianVersion, rhs: DebianVersion) -> Bool { compare(lhs, rhs) < 0 }

    public static func == (lhs: DebianVersion, rhs: DebianVersion) -> Bool { compare(lhs, rhs) == 0 }

    public func hash(into hasher: inout Hasher) {
        // Versions that compare equal differ only in leading zeros of digit runs (and a missing
        // trailing run of zeros), so hashing the parts without those zeros agrees with `==`.
        hasher.combine(epoch)
        Self.hashWithoutLeadingZeros(upstream, into: &hasher)
        hasher.combine(UInt8(0xFF))
        Self.hashWithoutLeadingZeros(revision, into: &hasher)
    }

    public var description: String {
        var text = ""
        if epoch != 0 || upstream.utf8.contains(VersionByte.colon) {
            text += String(epoch)
            text += ":"
        }
        text += upstream
        if !revision.isEmpty {
            text += "-"
            text += revision
        }
        return text
    }

    // MARK: - Parsing

    private enum Problem: String, Error {
        case empty = "version string is empty"
        case embeddedSpaces = "version string has embedded spaces"
        case epochEmpty = "epoch in version is empty"
        case epochNotNumber = "epoch in version is not number"
        case epochNegative = "epoch in version is negative"
        case epochTooBig = "epoch in version is too big"
        case nothingAfterColon = "nothing after colon in version number"
        case revisionEmpty = "revision number is empty"
        case upstreamEmpty = "version number is empty"
        case upstreamInvalidCharacter = "invalid character in version number"
        case revisionInvalidCharacter = "invalid character in revision number"
    }

    private struct Parts {
        var epoch: Int
        var upstream: String
        var revision: String
    }

    @inline(__always) private static func isBlank(_ c: UInt8) -> Bool {
        c == VersionByte.space || c == VersionByte.tab
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Parts, Problem> {
        // Trim leading and trailing blanks; anything blank in between is an error.
        var start = 0
        var end = bytes.count
        while start < end && isBlank(bytes[start]) { start += 1 }
        if start == end { return .failure(.empty) }
        while isBlank(bytes[end - 1]) { end -= 1 }
        for i in start..<end where isBlank(bytes[i]) { return .failure(.embeddedSpaces) }

        // Epoch: everything before the first colon, read the way strtol reads it.
        var epoch = 0
        var versionStart = start
        if let colon = bytes[start..<end].firstIndex(of: VersionByte.colon) {
            var i = start
            var negative = false
            if bytes[i] == VersionByte.plus || bytes[i] == VersionByte.hyphen {
                negative = bytes[i] == VersionByte.hyphen
                i += 1
            }
            let digitsStart = i
            var tooBig = false
            while i < end && VersionByte.isDigit(bytes[i]) {
                if !tooBig {
                    epoch = epoch * 10 + Int(bytes[i] - VersionByte.zero)
                    if epoch > maximumEpoch { tooBig = true }
                }
                i += 1
            }
            if i == digitsStart { return .failure(.epochEmpty) }
            if i != colon { return .failure(.epochNotNumber) }
            if negative && (tooBig || epoch != 0) { return .failure(.epochNegative) }
            if tooBig { return .failure(.epochTooBig) }
            versionStart = colon + 1
            if versionStart == end { return .failure(.nothingAfterColon) }
        }

        // Revision: everything after the last hyphen.
        var upstreamEnd = end
        var revisionStart = end
        if let hyphen = bytes[versionStart..<end].lastIndex(of: VersionByte.hyphen) {
            upstreamEnd = hyphen
            revisionStart = hyphen + 1
            if revisionStart == end { return .failure(.revisionEmpty) }
        }
        if upstreamEnd == versionStart { return .failure(.upstreamEmpty) }

        // dpkg only warns when the upstream version does not start with a digit; so do we (silently).
        for i in versionStart..<upstreamEnd where !isUpstreamCharacter(bytes[i]) {
            return .failure(.upstreamInvalidCharacter)
        }
        for i in revisionStart..<end where !isRevisionCharacter(bytes[i]) {
            return .failure(.revisionInvalidCharacter)
        }
        return .success(
            Parts(
                epoch: epoch,
                upstream: VersionByte.string(bytes, versionStart..<upstreamEnd),
                revision: VersionByte.string(bytes, revisionStart..<end)
            )
        )
    }

    @inline(__always) private static func isRevisionCharacter(_ c: UInt8) -> Bool {
        VersionByte.isAlnum(c) || c == VersionByte.dot || c == VersionByte.plus || c == VersionByte.tilde
    }

    @inline(__always) private static func isUpstreamCharacter(_ c: UInt8) -> Bool {
        isRevisionCharacter(c) || c == VersionByte.hyphen || c == VersionByte.colon
    }

    // MARK: - Ordering

    /// The weight of a non-digit byte in dpkg's ordering: `~` lowest, then the end of the string
    /// (and digits, which end a non-digit run), then letters, then everything else.
    @inline(__always) private static func order(_ c: UInt8) -> Int {
        if VersionByte.isDigit(c) { return 0 }
        if VersionByte.isAlpha(c) { return Int(c) }
        if c == VersionByte.tilde { return -1 }
        if c != 0 { return Int(c) + 256 }
        return 0
    }

    static func verrevcmp(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let na = a.count
        let nb = b.count
        var i = 0
        var j = 0
        // A NUL byte (never in a parsed version) ends the string, as in C.
        @inline(__always) func at(_ p: UnsafeBufferPointer<UInt8>, _ n: Int, _ k: Int) -> UInt8 {
            k < n ? p[k] : 0
        }
        while at(a, na, i) != 0 || at(b, nb, j) != 0 {
            // Non-digit run, byte by byte.
            while true {
                let ca = at(a, na, i)
                let cb = at(b, nb, j)
                let aInRun = ca != 0 && !VersionByte.isDigit(ca)
                let bInRun = cb != 0 && !VersionByte.isDigit(cb)
                if !aInRun && !bInRun { break }
                let oa = order(ca)
                let ob = order(cb)
                if oa != ob { return oa < ob ? -1 : 1 }
                i += 1
                j += 1
            }
            // Digit run, numerically: skip leading zeros, then the longer run wins, else the first
            // differing digit decides.
            while at(a, na, i) == VersionByte.zero { i += 1 }
            while at(b, nb, j) == VersionByte.zero { j += 1 }
            var firstDiff = 0
            while VersionByte.isDigit(at(a, na, i)) && VersionByte.isDigit(at(b, nb, j)) {
                if firstDiff == 0 { firstDiff = Int(a[i]) - Int(b[j]) }
                i += 1
                j += 1
            }
            if VersionByte.isDigit(at(a, na, i)) { return 1 }
            if VersionByte.isDigit(at(b, nb, j)) { return -1 }
            if firstDiff != 0 { return firstDiff < 0 ? -1 : 1 }
        }
        return 0
    }

    private static func hashWithoutLeadingZeros(_ part: String, into hasher: inout Hasher) {
        var inLeadingZeros = false
        var previousWasDigit = false
        for c in part.utf8 {
            if VersionByte.isDigit(c) {
                if !previousWasDigit { inLeadingZeros = true }
                previousWasDigit = true
                if inLeadingZeros && c == VersionByte.zero { continue }
                inLeadingZeros = false
            } else {
                previousWasDigit = false
            }
            hasher.combine(c)
        }
    }
}
