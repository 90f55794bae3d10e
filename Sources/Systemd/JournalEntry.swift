/// One journal entry in journald's native serialization: `NAME=value\n` per field, or, for a value holding a
/// newline, `NAME\n`, the value's size as a little-endian UInt64, the value and `\n`.
struct JournalEntry {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends one field; `name` must already be a valid journal field name.
    mutating func append(_ name: String, _ value: some Collection<UInt8>) {
        bytes += name.utf8
        if value.contains(10) {
            bytes.append(10)
            var size = UInt64(value.count).littleEndian
            withUnsafeBytes(of: &size) { bytes += $0 }
            bytes += value
        } else {
            bytes.append(UInt8(ascii: "="))
            bytes += value
        }
        bytes.append(10)
    }

    mutating func append(_ name: String, _ value: String) {
        append(name, value.utf8)
    }
}

/// Journal field names: what journald accepts from a client is 1 to 64 of `A-Z`, `0-9` and `_`, not starting with a
/// digit, and not starting with `_` (those are the trusted fields journald adds itself; it drops them from clients).
enum JournalFieldName {
    static let maximumLength = 64

    /// The field name for a metadata key: ASCII letters uppercased, every other character not in `[A-Z0-9_]` as one
    /// `_`, leading underscores dropped, `META_` put before a name that starts with a digit or is in `reserved`, and
    /// the result cut to 64 characters. `META` stands for a key with nothing usable left.
    static func sanitized(_ key: String, reserved: Set<String> = []) -> String {
        var name = ""
        name.reserveCapacity(key.utf8.count)
        for scalar in key.unicodeScalars {
            switch scalar {
            case "A"..."Z", "0"..."9", "_":
                name.unicodeScalars.append(scalar)
            case "a"..."z":
                name.unicodeScalars.append(Unicode.Scalar(UInt8(scalar.value) - 32))
            default:
                name.append("_")
            }
        }
        name = String(name.drop { $0 == "_" })
        if name.isEmpty {
            return "META"
        }
        let startsWithDigit = name.utf8.first.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false
        if startsWithDigit || reserved.contains(name) {
            name = "META_" + name
        }
        return String(name.prefix(maximumLength))
    }
}
