/// One paragraph of a deb822 document (dpkg status, Packages, Release, `.sources`).
public struct Deb822Paragraph: Sendable, Hashable {
    /// Fields in document order; names as written, values with continuation lines joined by `\n`.
    public var fields: [(name: String, value: String)]
    /// The 1-based line of the paragraph's first field, for messages.
    public var line: Int

    public init(fields: [(name: String, value: String)], line: Int) {
        self.fields = fields
        self.line = line
    }

    /// The value of a field (names compare case-insensitively, as deb822 says).
    public subscript(name: String) -> String? {
        fields.first { Deb822Scanner.equalFold($0.name, name) }?.value
    }

    public static func == (a: Deb822Paragraph, b: Deb822Paragraph) -> Bool {
        a.line == b.line && a.fields.count == b.fields.count
            && zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(line)
        for f in fields {
            hasher.combine(f.name)
            hasher.combine(f.value)
        }
    }
}

/// Splits deb822 bytes into paragraphs, streaming: feed chunks as they are read or decompressed.
///
/// With `only`, just those fields are kept (the rest are skipped without building strings), which is what makes
/// reading a 60,000-entry Packages file cheap.
public struct Deb822Scanner {
    private let wanted: [[UInt8]]?
    private var carry: [UInt8] = []
    private var current: [(name: String, value: String)] = []
    /// Whether the last field seen is being kept (so its continuation lines are too).
    private var lastKept = false
    private var lineNumber = 0
    private var paragraphLine = 0
    private var inParagraph = false

    /// `only`: the field names to keep (case-insensitive); nil keeps every field.
    public init(only: [String]? = nil) {
        wanted = only?.map { Array($0.lowercased().utf8) }
    }

    static func equalFold(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { lower($0) == lower($1) }
    }

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b | 0x20 : b }

    /// Parses one whole document.
    public static func paragraphs(in bytes: [UInt8], only: [String]? = nil) -> [Deb822Paragraph] {
        var scanner = Deb822Scanner(only: only)
        var out: [Deb822Paragraph] = []
        bytes.withUnsafeBytes { scanner.feed($0) { out.append($0) } }
        scanner.finish { out.append($0) }
        return out
    }

    public static func paragraphs(in text: String, only: [String]? = nil) -> [Deb822Paragraph] {
        paragraphs(in: Array(text.utf8), only: only)
    }

    /// Feeds the next chunk; every paragraph completed within it goes to `body`.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (Deb822Paragraph) throws -> Void) rethrows {
        var start = 0
        let n = chunk.count
        if !carry.isEmpty {
            // Complete the line left over from the previous chunk.
            guard let nl = chunk.firstIndex(of: 0x0A) else {
                carry.append(contentsOf: chunk)
                return
            }
            carry.append(contentsOf: chunk[0..<nl])
            let line = carry
            carry.removeAll(keepingCapacity: true)
            try line.withUnsafeBytes { try handleLine($0, 0, $0.count, body) }
            start = nl + 1
        }
        while start < n {
            guard let nl = memchrIndex(chunk, from: start) else {
                carry.append(contentsOf: chunk[start..<n])
                return
            }
            try handleLine(chunk, start, nl, body)
            start = nl + 1
        }
    }

    /// Ends the document: a last paragraph without a trailing blank line is delivered.
    public mutating func finish(_ body: (Deb822Paragraph) throws -> Void) rethrows {
        if !carry.isEmpty {
            let line = carry
            carry.removeAll()
            try line.withUnsafeBytes { try handleLine($0, 0, $0.count, body) }
        }
        try endParagraph(body)
    }

    private func memchrIndex(_ buffer: UnsafeRawBufferPointer, from: Int) -> Int? {
        var i = from
        let n = buffer.count
        while i < n {
            if buffer[i] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    private mutating func endParagraph(_ body: (Deb822Paragraph) throws -> Void) rethrows {
        if !current.isEmpty {
            let p = Deb822Paragraph(fields: current, line: paragraphLine)
            current.removeAll(keepingCapacity: true)
            try body(p)
        }
        lastKept = false
        inParagraph = false
    }

    private mutating func handleLine(
        _ buffer: UnsafeRawBufferPointer, _ from: Int, _ to0: Int, _ body: (Deb822Paragraph) throws -> Void
    ) rethrows {
        lineNumber += 1
        var to = to0
        if to > from && buffer[to - 1] == 0x0D { to -= 1 }  // CRLF
        // Blank (or all-blank) line: paragraph separator.
        var firstNonBlank = from
        while firstNonBlank < to && (buffer[firstNonBlank] == 0x20 || buffer[firstNonBlank] == 0x09) {
            firstNonBlank += 1
        }
        if firstNonBlank == to {
            try endParagraph(body)
            return
        }
        let first = buffer[from]
        if first == UInt8(ascii: "#") { return }  // comment (deb822 .sources allow them)
        if !inParagraph {
            inParagraph = true
            paragraphLine = lineNumber
        }
        if first == 0x20 || first == 0x09 {
            // Continuation of the previous field.
            guard lastKept, !current.isEmpty else { return }
            var line = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[firstNonBlank..<to]), as: UTF8.self)
            if line == "." { line = "" }  // an empty line inside a multi-line value
            current[current.count - 1].value += "\n" + line
            return
        }
        var colon = from
        while colon < to && buffer[colon] != UInt8(ascii: ":") { colon += 1 }
        guard colon < to else {
            lastKept = false
            return  // not a field; tolerated like apt does for stray lines
        }
        if let wanted {
            let len = colon - from
            var keep = false
            for w in wanted where w.count == len {
                var same = true
                for k in 0..<len where Deb822Scanner.lower(buffer[from + k]) != w[k] {
                    same = false
                    break
                }
                if same {
                    keep = true
                    break
                }
            }
            guard keep else {
                lastKept = false
                return
            }
        }
        var valueStart = colon + 1
        while valueStart < to && (buffer[valueStart] == 0x20 || buffer[valueStart] == 0x09) { valueStart += 1 }
        var valueEnd = to
        while valueEnd > valueStart && (buffer[valueEnd - 1] == 0x20 || buffer[valueEnd - 1] == 0x09) { valueEnd -= 1 }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[from..<colon]), as: UTF8.self)
        let value = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[valueStart..<valueEnd]), as: UTF8.self)
        current.append((name, value))
        lastKept = true
    }
}
