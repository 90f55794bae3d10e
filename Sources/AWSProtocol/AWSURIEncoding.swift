/// Percent-encoding as SigV4 defines it: every byte of the UTF-8 form is encoded as `%XY` (upper-case hex) except the
/// RFC 3986 unreserved characters `A-Z a-z 0-9 - . _ ~` (and `/` where a path's separators are kept).
public enum AWSURIEncoding {
    /// Encodes `text`, keeping `/` as it is when `keepingSlashes` (for paths), else encoding it as `%2F`.
    public static func encode(_ text: some StringProtocol, keepingSlashes: Bool = false) -> String {
        encode(bytes: text.utf8, keepingSlashes: keepingSlashes)
    }

    /// Encodes raw bytes; see `encode(_:keepingSlashes:)`.
    public static func encode(bytes: some Sequence<UInt8>, keepingSlashes: Bool = false) -> String {
        var out: [UInt8] = []
        for byte in bytes {
            if isUnreserved(byte) || (keepingSlashes && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The path to send for an object key or any raw path: each segment encoded once, the slashes kept.
    /// (`/my bucket/ä` becomes `/my%20bucket/%C3%A4`.)
    public static func path(_ rawPath: some StringProtocol) -> String {
        encode(rawPath, keepingSlashes: true)
    }

    /// Decodes `%XY` sequences into bytes and the result as UTF-8; `+` is left as it is (SigV4 never treats it as a
    /// space). Nil for a malformed escape or bytes that are not UTF-8.
    public static func decode(_ text: some StringProtocol) -> String? {
        let input = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var i = 0
        while i < input.count {
            if input[i] == UInt8(ascii: "%") {
                guard i + 2 < input.count, let high = hexValue(input[i + 1]), let low = hexValue(input[i + 2]) else {
                    return nil
                }
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(input[i])
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// Splits a raw query string (without the `?`) into decoded name/value pairs, in order. A pair without `=` has an
    /// empty value; empty pieces (`a=1&&b=2`) are skipped. Nil when a name or value does not decode.
    public static func queryItems(_ rawQuery: some StringProtocol) -> [(name: String, value: String)]? {
        var items: [(name: String, value: String)] = []
        for piece in String(rawQuery).split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let equals = piece.firstIndex(of: "=") {
                name = piece[..<equals]
                value = piece[piece.index(after: equals)...]
            } else {
                name = piece
                value = ""
            }
            guard let decodedName = decode(name), let decodedValue = decode(value) else { return nil }
            items.append((decodedName, decodedValue))
        }
        return items
    }

    /// A query string from decoded pairs, each name and value encoded, in the order given.
    public static func queryString(_ items: [(name: String, value: String)]) -> String {
        items.map { encode($0.name) + "=" + encode($0.value) }.joined(separator: "&")
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
