/// A version string that could not be parsed.
///
/// `input` is the string as given; `message` says what is wrong with it, using the wording of the
/// tool whose rules were applied (dpkg's `parseversion` messages for Debian versions).
public struct VersionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let input: String
    public let message: String

    public init(input: String, message: String) {
        self.input = input
        self.message = message
    }

    public var description: String { "invalid version '\(input)': \(message)" }
}

/// The version ordering to apply: Debian's (dpkg) or RPM's.
public enum VersionScheme: String, Sendable, CaseIterable {
    /// `[epoch:]upstream[-revision]`, ordered like `dpkg --compare-versions`.
    case deb
    /// `[epoch:]version[-release]`, ordered like rpm's `rpm.vercmp` (see ``RPMVersion/compare(_:_:)``).
    case rpm
}

/// Parses two version strings with the rules of `scheme` and compares them.
///
/// - Returns: -1 if `a` is older than `b`, 0 if they are equal, 1 if `a` is newer.
/// - Throws: ``VersionError`` for the first string that does not parse.
public func compareVersions(_ a: String, _ b: String, scheme: VersionScheme) throws(VersionError) -> Int {
    switch scheme {
    case .deb:
        return DebianVersion.compare(try DebianVersion(parsing: a), try DebianVersion(parsing: b))
    case .rpm:
        return RPMVersion.compare(try RPMVersion(parsing: a), try RPMVersion(parsing: b))
    }
}

// MARK: - Byte helpers shared by the version parsers (ASCII only, like dpkg's c_is* and rpm's ris*)

enum VersionByte {
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
    static let colon = UInt8(ascii: ":")
    static let hyphen = UInt8(ascii: "-")
    static let tilde = UInt8(ascii: "~")
    static let caret = UInt8(ascii: "^")
    static let dot = UInt8(ascii: ".")
    static let plus = UInt8(ascii: "+")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- zero < 10 }
    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) &- UInt8(ascii: "a") < 26 }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isAlpha(c) }
    /// Space, and the C0 control characters and DEL.
    @inline(__always) static func isSpaceOrControl(_ c: UInt8) -> Bool { c <= space || c == 0x7F }

    /// Calls `body` with the UTF-8 bytes of `string`, without copying native strings.
    @inline(__always)
    static func withBytes<R>(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = string.utf8.withContiguousStorageIfAvailable(body) {
            return result
        }
        var copy = string
        return copy.withUTF8(body)
    }

    /// A `String` made of `bytes[range]` (which is valid UTF-8 when it was cut at ASCII bytes).
    @inline(__always)
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// True when `string` holds a whitespace or control character, ASCII or not.
    static func containsSpaceOrControl(_ string: String) -> Bool {
        var nonASCII = false
        for c in string.utf8 {
            if isSpaceOrControl(c) { return true }
            if c >= 0x80 { nonASCII = true }
        }
        guard nonASCII else { return false }
        for scalar in string.unicodeScalars where scalar.value >= 0x80 {
            if scalar.properties.isWhitespace { return true }
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator:
                return true
            default:
                continue
            }
        }
        return false
    }
}
