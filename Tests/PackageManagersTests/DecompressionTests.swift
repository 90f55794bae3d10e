import Foundation
import PackageManagers
import PatchTestSupport
import Testing

/// The decompressor against real streams made by the real command-line tools (gzip, xz, lz4, zstd, bzip2).
///
/// The tools are needed (CI installs them: `apt-get install -y gzip xz-utils lz4 zstd bzip2`); when one is missing
/// the tests that need it fail saying so rather than skipping.
@Suite struct DecompressionTests {
    static let compressed: [CompressionFormat] = [.gzip, .xz, .lz4, .zstd, .bzip2]

    // MARK: Round trips

    @Test(arguments: compressed, Sample.allCases)
    func roundTripThroughTheReader(format: CompressionFormat, sample: Sample) throws {
        try withScratch { dir in
            let input = sample.bytes
            let path = try Tools.compress(input, format: format, in: dir)
            var reader = try DecompressingReader(path: path)
            #expect(reader.format == format)
            var output: [UInt8] = []
            var chunkSizes: [Int] = []
            try reader.forEachChunk { chunk in
                output.append(contentsOf: chunk)
                chunkSizes.append(chunk.count)
            }
            #expect(output.count == input.count)
            #expect(output == input, "\(format) \(sample) round trip")
            // Every chunk is full but the last.
            #expect(chunkSizes.dropLast().allSatisfy { $0 == DecompressingReader.chunkSize })
            #expect(chunkSizes.allSatisfy { $0 > 0 })
            #expect(reader.decompressedBytes == input.count)
            let one = UnsafeMutableRawBufferPointer.allocate(byteCount: 1, alignment: 1)
            defer { one.deallocate() }
            #expect(try reader.read(into: one) == 0, "stays at the end")

            let inMemory = try Decompression.decompress(
                Tools.bytes(path), format: format, limit: input.count)
            #expect(inMemory == input, "\(format) \(sample) in memory")
        }
    }

    @Test(arguments: Sample.allCases)
    func plainFilesPassThrough(sample: Sample) throws {
        try withScratch { dir in
            let path = dir + "/Packages"
            try Tools.write(sample.bytes, to: path)
            var reader = try DecompressingReader(path: path)
            #expect(reader.format == .none)
            #expect(try reader.collect() == sample.bytes)
            #expect(
                try Decompression.decompress(sample.bytes, format: .none, limit: sample.bytes.count) == sample.bytes)
        }
    }

    /// Tiny output buffers make every decoder hold output back between calls.
    @Test(arguments: compressed)
    func tinyReadBuffers(format: CompressionFormat) throws {
        try withScratch { dir in
            let input = Sample.small.bytes
            let path = try Tools.compress(input, format: format, in: dir)
            var reader = try DecompressingReader(path: path)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 7, alignment: 1)
            defer { buffer.deallocate() }
            var output: [UInt8] = []
            while case let count = try reader.read(into: buffer), count > 0 {
                #expect(count == 7 || output.count + count == input.count)
                output.append(contentsOf: buffer[..<count])
            }
            #expect(output == input)
        }
    }

    // MARK: Concatenation

    @Test(arguments: compressed)
    func concatenatedStreams(format: CompressionFormat) throws {
        try withScratch { dir in
            let parts = [Sample.small.bytes, [], Array(Sample.large.bytes.prefix(700_000)), Array("tail\n".utf8)]
            var joined: [UInt8] = []
            for (index, part) in parts.enumerated() {
                joined += try Tools.bytes(Tools.compress(part, format: format, in: dir, name: "part\(index)"))
            }
            let path = dir + "/joined." + format.fileExtension
            try Tools.write(joined, to: path)
            #expect(try DecompressingReader(path: path).collectAll() == parts.flatMap { $0 })
            #expect(try Decompression.decompress(joined, format: format, limit: 1 << 30) == parts.flatMap { $0 })
        }
    }

    /// xz allows stream padding (zero bytes, a multiple of four) between and after streams.
    @Test func xzStreamPadding() throws {
        try withScratch { dir in
            let a = try Tools.bytes(Tools.compress(Array("first\n".utf8), format: .xz, in: dir, name: "a"))
            let b = try Tools.bytes(Tools.compress(Array("second\n".utf8), format: .xz, in: dir, name: "b"))
            let padded = a + [0, 0, 0, 0] + b + [UInt8](repeating: 0, count: 8)
            #expect(try Decompression.decompress(padded, format: .xz, limit: 100) == Array("first\nsecond\n".utf8))
            #expect(try Tools.xzAccepts(padded, in: dir), "xz -d accepts the same padding")

            let misaligned = a + [0, 0, 0] + b
            let error = try #require(throws: DecompressionError.self) {
                try Decompression.decompress(misaligned, format: .xz, limit: 100)
            }
            #expect(error.code == .corrupt)
            #expect(error.description.contains("padding"))
        }
    }

    /// Skippable frames (magic 0x184D2A5?, a little-endian length, that many bytes) are part of both the lz4 frame
    /// format and zstd, and both libraries skip them.
    @Test(arguments: [CompressionFormat.lz4, .zstd])
    func skippableFrames(format: CompressionFormat) throws {
        try withScratch { dir in
            let payload = try Tools.bytes(Tools.compress(Array("data\n".utf8), format: format, in: dir))
            let skippable: [UInt8] = [0x53, 0x2A, 0x4D, 0x18, 5, 0, 0, 0] + Array("hello".utf8)
            let stream = skippable + payload + skippable
            #expect(try Decompression.decompress(stream, format: format, limit: 100) == Array("data\n".utf8))
        }
    }

    // MARK: Formats

    @Test func extensions() {
        let table: [(String, CompressionFormat?)] = [
            ("Packages.gz", .gzip), ("/var/lib/apt/lists/x_Packages.xz", .xz), ("Packages.lz4", .lz4),
            ("primary.xml.zst", .zstd), ("Packages.bz2", .bzip2), ("Packages", nil), ("Packages.diff/Index", nil),
            ("dir.gz/Packages", nil), ("archive.tar.gz", .gzip), (".gz", .gzip), ("Packages.GZ", nil), ("", nil),
        ]
        for (path, expected) in table {
            #expect(CompressionFormat.fromExtension(path) == expected, "\(path)")
        }
    }

    @Test(arguments: compressed)
    func sniffingRealStreams(format: CompressionFormat) throws {
        try withScratch { dir in
            let bytes = try Tools.bytes(Tools.compress(Sample.small.bytes, format: format, in: dir))
            #expect(CompressionFormat.sniff(bytes) == format)
            #expect(CompressionFormat.sniff(bytes.prefix(6)) == format)
            #expect(CompressionFormat.sniff(bytes.prefix(1)) == .none, "a partial magic is not enough")

            // Without an extension the reader finds the format from the first bytes.
            let bare = dir + "/Packages"
            try Tools.write(bytes, to: bare)
            var reader = try DecompressingReader(path: bare)
            #expect(reader.format == format)
            #expect(try reader.collect() == Sample.small.bytes)
        }
    }

    @Test func sniffingOtherBytes() {
        #expect(CompressionFormat.sniff(Array("Package: bash\n".utf8)) == .none)
        #expect(CompressionFormat.sniff([UInt8]()) == .none)
        #expect(CompressionFormat.sniff(Array("BZh0xxxx".utf8)) == .none, "bzip2 levels are 1...9")
        #expect(CompressionFormat.sniff(Array("BZh9".utf8)) == .bzip2)
        #expect(CompressionFormat.sniff([0x02, 0x21, 0x4C, 0x18, 0, 0]) == .none, "legacy lz4 is not read")
        #expect(CompressionFormat.sniff([0x50, 0x2A, 0x4D, 0x18, 0, 0]) == .none, "a skippable frame is ambiguous")
    }

    @Test func anExplicitFormatOverridesTheExtension() throws {
        try withScratch { dir in
            let gz = try Tools.bytes(Tools.compress(Sample.small.bytes, format: .gzip, in: dir))
            let path = dir + "/Packages.xz"
            try Tools.write(gz, to: path)
            var reader = try DecompressingReader(path: path, format: .gzip)
            #expect(try reader.collect() == Sample.small.bytes)

            var wrong = try DecompressingReader(path: path)
            let error = try #require(throws: DecompressionError.self) { try wrong.collect() }
            #expect(error.code == .corrupt)
            #expect(error.offset <= 12, "liblzma reads the 12-byte stream header before it checks the magic")
            #expect(error.description.hasPrefix(path + ": corrupt xz data at byte "))
            #expect(error.description.hasSuffix(": not an xz stream (bad magic)"))
        }
    }

    // MARK: Damaged input

    @Test(arguments: compressed)
    func truncatedStreamsFail(format: CompressionFormat) throws {
        try withScratch { dir in
            let whole = try Tools.bytes(Tools.compress(Sample.medium.bytes, format: format, in: dir))
            let cuts = [0, 1, 3, 10, 100, whole.count / 3, whole.count / 2, whole.count - 20, whole.count - 1]
            for cut in cuts {
                let path = dir + "/cut\(cut)." + format.fileExtension
                try Tools.write(Array(whole.prefix(cut)), to: path)
                var handedOut = 0
                let error = try #require(throws: DecompressionError.self, "\(format) cut at \(cut)") {
                    var reader = try DecompressingReader(path: path)
                    try reader.forEachChunk { handedOut += $0.count }
                }
                #expect(error.code == .truncated, "\(format) cut at \(cut): \(error)")
                #expect(error.offset == cut, "\(format) cut at \(cut): \(error)")
                #expect(error.description == "\(path): truncated \(format.rawValue) stream after \(cut) bytes")
                #expect(handedOut < Sample.medium.bytes.count)

                let inMemory = try #require(throws: DecompressionError.self) {
                    try Decompression.decompress(Array(whole.prefix(cut)), format: format, limit: 1 << 30)
                }
                #expect(inMemory.code == .truncated)
                #expect(inMemory.description.hasPrefix("<memory>: truncated"))
            }
        }
    }

    /// Every format here carries a checksum by default (gzip CRC-32, xz CRC-64, lz4 and zstd content checksums,
    /// bzip2 block CRCs), so a changed byte anywhere is found: as corrupt data, or when it changes a length, as a
    /// stream that ends too early.
    @Test(arguments: compressed)
    func corruptedBytesFail(format: CompressionFormat) throws {
        try withScratch { dir in
            let whole = try Tools.bytes(Tools.compress(Sample.medium.bytes, format: format, in: dir))
            var rng = SplitMix64(seed: 0xC0_44_07)
            let positions =
                [0, 2, whole.count / 2, whole.count - 2] + (0..<6).map { _ in 12 + rng.below(whole.count - 24) }
            for position in positions {
                var damaged = whole
                damaged[position] ^= 0x41
                let path = dir + "/damaged." + format.fileExtension
                try Tools.write(damaged, to: path)
                let error = try #require(throws: DecompressionError.self, "\(format) byte \(position) changed") {
                    try DecompressingReader(path: path).collectAll()
                }
                #expect(
                    [.corrupt, .truncated, .trailingData, .resourceLimit].contains(error.code),
                    "\(format) byte \(position): \(error)")
                #expect(error.description.hasPrefix(path + ": "))
                #expect(error.offset <= damaged.count)
            }
        }
    }

    @Test(arguments: compressed)
    func trailingGarbageFails(format: CompressionFormat) throws {
        try withScratch { dir in
            let whole = try Tools.bytes(Tools.compress(Sample.small.bytes, format: format, in: dir))
            for garbage in [Array("garbage\n".utf8), [0x00, 0x00, 0x00, 0x00, 0x42], [0x0A]] {
                let path = dir + "/trailing." + format.fileExtension
                try Tools.write(whole + garbage, to: path)
                let error = try #require(throws: DecompressionError.self, "\(format) + \(garbage)") {
                    try DecompressingReader(path: path).collectAll()
                }
                #expect(error.code == .trailingData, "\(format) + \(garbage): \(error)")
                #expect(error.offset == whole.count)
                #expect(
                    error.description
                        == "\(path): unexpected data at byte \(whole.count) after the end of the \(format.rawValue)"
                        + " stream (not another \(format.rawValue) stream)")
            }
        }
    }

    @Test func plainDataUnderACompressedName() throws {
        try withScratch { dir in
            for format in Self.compressed {
                let path = dir + "/Packages." + format.fileExtension
                try Tools.write(Sample.small.bytes, to: path)
                let error = try #require(throws: DecompressionError.self) {
                    try DecompressingReader(path: path).collectAll()
                }
                #expect(error.code == .corrupt, "\(format): \(error)")
                #expect(error.description.hasPrefix("\(path): corrupt \(format.rawValue) data at byte "))
            }
        }
    }

    // MARK: Limits

    /// 16 MiB of zeros compress to a few KiB: the reader stops at the limit instead of producing it all.
    @Test(arguments: compressed)
    func decompressionBombStopsAtTheLimit(format: CompressionFormat) throws {
        try withScratch { dir in
            let zeros = [UInt8](repeating: 0, count: 16 << 20)
            let path = try Tools.compress(zeros, format: format, in: dir)
            let compressedSize = try Tools.bytes(path).count
            #expect(compressedSize < 1 << 20)

            var handedOut = 0
            let error = try #require(throws: DecompressionError.self) {
                var reader = try DecompressingReader(path: path, maximumOutput: 1 << 20)
                try reader.forEachChunk { handedOut += $0.count }
            }
            #expect(error.code == .outputLimitExceeded)
            #expect(handedOut == 1 << 20, "exactly the allowed bytes are handed out")
            #expect(error.decompressedBytes == 1 << 20)
            #expect(error.description.contains("exceeds the limit of 1048576 bytes"))
            #expect(error.description.hasPrefix(path + ": "))

            // The limit is exact: the whole output is allowed, one byte less is not.
            var exact = try DecompressingReader(path: path, maximumOutput: zeros.count)
            #expect(try exact.collect().count == zeros.count)
            let oneShort = try #require(throws: DecompressionError.self) {
                try DecompressingReader(path: path, maximumOutput: zeros.count - 1).collectAll()
            }
            #expect(oneShort.code == .outputLimitExceeded)

            let inMemory = try #require(throws: DecompressionError.self) {
                try Decompression.decompress(Tools.bytes(path), format: format, limit: 100_000)
            }
            #expect(inMemory.code == .outputLimitExceeded)
            #expect(inMemory.description.hasPrefix("<memory>: "))
        }
    }

    /// A zstd frame whose window is over libzstd's default limit (128 MiB) is refused, as `zstd -d` refuses it.
    @Test func zstdWindowOverTheLimit() throws {
        try withScratch { dir in
            // From standard input the size is unknown, so --long=31 keeps its 2 GiB window.
            let source = dir + "/input"
            try Tools.write(Sample.small.bytes, to: source)
            let path = dir + "/long.zst"
            #expect(try Tools.run("zstd", ["-q", "-c", "--long=31"], stdin: source, stdout: path) == 0)
            let error = try #require(throws: DecompressionError.self) {
                try DecompressingReader(path: path).collectAll()
            }
            #expect(error.code == .resourceLimit)
            #expect(error.description.hasPrefix(path + ": zstd stream at byte 0 needs more memory than allowed"))
        }
    }

    @Test func plainFilesHaveTheLimitToo() throws {
        try withScratch { dir in
            let path = dir + "/Packages"
            try Tools.write(Sample.small.bytes, to: path)
            let error = try #require(throws: DecompressionError.self) {
                try DecompressingReader(path: path, maximumOutput: 1000).collectAll()
            }
            #expect(error.code == .outputLimitExceeded)
            #expect(throws: DecompressionError.self) {
                try Decompression.decompress(Sample.small.bytes, format: .none, limit: 1000)
            }
            var exact = try DecompressingReader(path: path, maximumOutput: Sample.small.bytes.count)
            #expect(try exact.collect() == Sample.small.bytes)
        }
    }

    @Test func emptyInputIsNotAStream() throws {
        for format in Self.compressed {
            let error = try #require(throws: DecompressionError.self) {
                try Decompression.decompress([], format: format, limit: 10)
            }
            #expect(error.code == .truncated)
            #expect(error.description == "<memory>: truncated \(format.rawValue) stream after 0 bytes")
        }
        #expect(try Decompression.decompress([], format: .none, limit: 10) == [])
    }

    // MARK: Files

    @Test func aMissingFileIsNamed() throws {
        let path = "/nonexistent/patchd-\(UUID().uuidString)/Packages.lz4"
        let error = try #require(throws: DecompressionError.self) { _ = try DecompressingReader(path: path) }
        #expect(error.code == .cannotOpen)
        #expect(error.description == "\(path): cannot open for reading: No such file or directory")
    }

    @Test func aDirectoryFailsToRead() throws {
        try withScratch { dir in
            let error = try #require(throws: DecompressionError.self) {
                try DecompressingReader(path: dir, format: .gzip).collectAll()
            }
            #expect(error.code == .readFailed)
            #expect(error.description == "\(dir): read failed at byte 0: Is a directory")
        }
    }

    @Test func errorsFromTheBodyPassThrough() throws {
        try withScratch { dir in
            let path = try Tools.compress(Sample.large.bytes, format: .zstd, in: dir)
            struct Stop: Error {}
            var reader = try DecompressingReader(path: path)
            var calls = 0
            #expect(throws: Stop.self) {
                try reader.forEachChunk { _ in
                    calls += 1
                    throw Stop()
                }
            }
            #expect(calls == 1)
            #expect(reader.decompressedBytes == DecompressingReader.chunkSize)
        }
    }

    /// The APT list on this machine, as apt downloaded it (lz4 frames of 64 KiB dependent blocks).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: Self.realList)))
    func theRealAptList() throws {
        var reader = try DecompressingReader(path: Self.realList)
        #expect(reader.format == .lz4)
        var first: [UInt8] = []
        var total = 0
        var last: UInt8 = 0
        try reader.forEachChunk { chunk in
            if first.isEmpty { first = Array(chunk.prefix(9)) }
            total += chunk.count
            last = chunk[chunk.count - 1]
        }
        #expect(String(decoding: first, as: UTF8.self) == "Package: ")
        #expect(total > 10 << 20)
        #expect(last == UInt8(ascii: "\n"))
    }

    static let realList = "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4"
}

// MARK: - Inputs

/// Inputs made from a fixed seed: empty, a few KiB of Packages-like text, and a few MiB of text with incompressible
/// runs (so that the compressed files are many input chunks long).
enum Sample: String, CaseIterable, CustomTestStringConvertible {
    case empty, small, medium, large

    var testDescription: String { rawValue }

    var bytes: [UInt8] {
        switch self {
        case .empty: []
        case .small: Self.smallBytes
        case .medium: Self.mediumBytes
        case .large: Self.largeBytes
        }
    }

    private static let smallBytes = generate(seed: 1, bytes: 6_000, randomRuns: false)
    private static let mediumBytes = generate(seed: 2, bytes: 600_000, randomRuns: true)
    private static let largeBytes = generate(seed: 3, bytes: 3_500_000, randomRuns: true)

    private static func generate(seed: UInt64, bytes: Int, randomRuns: Bool) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        let words = ["lib", "tools", "common", "data", "dev", "doc", "utils", "python3", "perl", "core", "x11", "gtk"]
        var out: [UInt8] = []
        out.reserveCapacity(bytes + 1000)
        var index = 0
        while out.count < bytes {
            index += 1
            let name = "\(rng.pick(words))-\(rng.pick(words))\(index)"
            var stanza =
                "Package: \(name)\nVersion: \(rng.below(20)):\(rng.below(100)).\(rng.below(40))-\(rng.below(9))\n"
            stanza += "Architecture: amd64\nInstalled-Size: \(rng.below(90_000))\n"
            stanza += "Description: \((0..<8).map { _ in rng.pick(words) }.joined(separator: " "))\n\n"
            out += Array(stanza.utf8)
            if randomRuns && rng.chance(3) {
                for _ in 0..<(1000 + rng.below(20_000)) { out.append(UInt8(truncatingIfNeeded: rng.next())) }
            }
        }
        return out
    }
}

// MARK: - Helpers

extension DecompressingReader {
    fileprivate mutating func collect() throws -> [UInt8] {
        var output: [UInt8] = []
        try forEachChunk { output.append(contentsOf: $0) }
        return output
    }

    fileprivate consuming func collectAll() throws -> [UInt8] {
        var reader = self
        return try reader.collect()
    }
}

extension CompressionFormat {
    fileprivate var fileExtension: String {
        switch self {
        case .none: "txt"
        case .gzip: "gz"
        case .xz: "xz"
        case .lz4: "lz4"
        case .zstd: "zst"
        case .bzip2: "bz2"
        }
    }
}

private struct ToolError: Error, CustomStringConvertible {
    var description: String
}

/// A fresh directory under the temporary directory, removed afterwards.
private func withScratch(_ body: (String) throws -> Void) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("patchd-decompress-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try body(dir.path)
}

/// The real compression tools, run without a shell: input from a file, output to a file.
private enum Tools {
    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Compresses `input` with the format's own tool at its default settings and returns the compressed file's path.
    static func compress(_ input: [UInt8], format: CompressionFormat, in dir: String, name: String = "data") throws
        -> String
    {
        let source = dir + "/" + name
        try write(input, to: source)
        let (tool, arguments): (String, [String]) =
            switch format {
            case .none: ("cat", [])
            case .gzip: ("gzip", ["-c", "-n"])
            case .xz: ("xz", ["-c", "-T1"])
            case .lz4: ("lz4", ["-c", "-q"])
            case .zstd: ("zstd", ["-c", "-q"])
            case .bzip2: ("bzip2", ["-c"])
            }
        let output = source + "." + format.fileExtension
        let status = try run(tool, arguments + ["--", source], stdout: output)
        guard status == 0 else { throw ToolError(description: "\(tool) \(arguments) exited with \(status)") }
        return output
    }

    /// Whether `xz -t` accepts `bytes`.
    static func xzAccepts(_ bytes: [UInt8], in dir: String) throws -> Bool {
        let path = dir + "/check.xz"
        try write(bytes, to: path)
        return try run("xz", ["-t", "--", path], stdout: "/dev/null") == 0
    }

    static func run(_ tool: String, _ arguments: [String], stdin: String? = nil, stdout: String) throws -> Int32 {
        guard let executable = find(tool) else {
            throw ToolError(description: "\(tool) is not installed (apt-get install -y gzip xz-utils lz4 zstd bzip2)")
        }
        // Never "create" /dev/null: Foundation would replace the device with a regular file.
        let out: FileHandle
        if stdout == "/dev/null" {
            out = FileHandle.nullDevice
        } else {
            guard FileManager.default.createFile(atPath: stdout, contents: nil),
                let handle = FileHandle(forWritingAtPath: stdout)
            else { throw ToolError(description: "cannot create \(stdout)") }
            out = handle
        }
        defer { if stdout != "/dev/null" { try? out.close() } }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let input = try stdin.map { try FileHandle(forReadingFrom: URL(fileURLWithPath: $0)) }
        defer { try? input?.close() }
        process.standardInput = input ?? FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    private static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin"]
        return directories.lazy.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
