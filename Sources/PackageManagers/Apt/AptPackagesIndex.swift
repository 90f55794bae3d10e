#if canImport(Glibc)
    import Glibc
#endif

/// One entry of a Packages index, with the fields a baseline looks at.
public struct AptIndexEntry: Sendable, Hashable {
    public var name: String
    public var version: String
    public var architecture: String
    public var priority: String?
    public var section: String?
}

/// Reads Packages indexes fast: one pass over the (decompressed) bytes, lines found with memchr, only five fields
/// turned into strings, nothing else kept. A 60,000-entry index takes a few tens of milliseconds.
public struct AptPackagesIndexParser {
    private var carry: [UInt8] = []
    private var name: String?
    private var version: String?
    private var architecture: String?
    private var priority: String?
    private var section: String?
    /// Entries without Package, Version or Architecture (skipped), for the report.
    public private(set) var malformedEntries = 0

    public init() {}

    /// Parses a whole index file (any compression) and hands out each entry. Returns the size of the decompressed
    /// index, to check against the size its Release file lists.
    @discardableResult
    public static func read(path: String, _ body: (AptIndexEntry) -> Void) throws -> Int {
        var parser = AptPackagesIndexParser()
        var reader = try DecompressingReader(path: path)
        var size = 0
        try reader.forEachChunk {
            size += $0.count
            parser.feed($0, body)
        }
        parser.finish(body)
        return size
    }

    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (AptIndexEntry) -> Void) {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        var start = 0
        let n = chunk.count
        if !carry.isEmpty {
            guard let nl = memchr(base, 0x0A, n) else {
                carry.append(contentsOf: chunk)
                return
            }
            let end = base.distance(to: UnsafeRawPointer(nl))
            carry.append(contentsOf: chunk[0..<end])
            let line = carry
            carry.removeAll(keepingCapacity: true)
            line.withUnsafeBytes { handle(line: $0, from: 0, to: $0.count, body) }
            start = end + 1
        }
        while start < n {
            guard let nl = memchr(base + start, 0x0A, n - start) else {
                carry.append(contentsOf: chunk[start..<n])
                return
            }
            let end = base.distance(to: UnsafeRawPointer(nl))
            handle(line: chunk, from: start, to: end, body)
            start = end + 1
        }
    }

    public mutating func finish(_ body: (AptIndexEntry) -> Void) {
        if !carry.isEmpty {
            let line = carry
            carry.removeAll()
            line.withUnsafeBytes { handle(line: $0, from: 0, to: $0.count, body) }
        }
        endEntry(body)
    }

    private mutating func endEntry(_ body: (AptIndexEntry) -> Void) {
        defer {
            name = nil
            version = nil
            architecture = nil
            priority = nil
            section = nil
        }
        guard name != nil || version != nil || architecture != nil else { return }
        guard let name, let version, let architecture else {
            malformedEntries += 1
            return
        }
        body(
            AptIndexEntry(
                name: name, version: version, architecture: architecture, priority: priority, section: section))
    }

    @inline(__always)
    private func matches(_ line: UnsafeRawBufferPointer, _ from: Int, _ field: StaticString) -> Bool {
        let count = field.utf8CodeUnitCount
        return field.withUTF8Buffer { f in
            for i in 0..<count where line[from + i] != f[i] { return false }
            return true
        }
    }

    private mutating func handle(
        line: UnsafeRawBufferPointer, from: Int, to end0: Int, _ body: (AptIndexEntry) -> Void
    ) {
        var end = end0
        if end > from && line[end - 1] == 0x0D { end -= 1 }
        if end == from {
            endEntry(body)
            return
        }
        let first = line[from]
        if first == 0x20 || first == 0x09 { return }  // continuation of a field we do not read
        let length = end - from
        var valueStart: Int
        switch first {
        case UInt8(ascii: "P"):
            if length > 8 && matches(line, from, "Package:") {
                valueStart = from + 8
            } else if length > 9 && matches(line, from, "Priority:") {
                valueStart = from + 9
            } else {
                return
            }
        case UInt8(ascii: "V"):
            guard length > 8 && matches(line, from, "Version:") else { return }
            valueStart = from + 8
        case UInt8(ascii: "A"):
            guard length > 13 && matches(line, from, "Architecture:") else { return }
            valueStart = from + 13
        case UInt8(ascii: "S"):
            guard length > 8 && matches(line, from, "Section:") else { return }
            valueStart = from + 8
        default:
            return
        }
        while valueStart < end && (line[valueStart] == 0x20 || line[valueStart] == 0x09) { valueStart += 1 }
        var valueEnd = end
        while valueEnd > valueStart && (line[valueEnd - 1] == 0x20 || line[valueEnd - 1] == 0x09) { valueEnd -= 1 }
        let value = String(decoding: UnsafeRawBufferPointer(rebasing: line[valueStart..<valueEnd]), as: UTF8.self)
        switch (first, line[from + 1]) {
        case (UInt8(ascii: "P"), UInt8(ascii: "a")): name = value
        case (UInt8(ascii: "P"), _): priority = value
        case (UInt8(ascii: "V"), _): version = value
        case (UInt8(ascii: "A"), _): architecture = value
        default: section = value
        }
    }
}
