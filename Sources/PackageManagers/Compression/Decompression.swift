// The one file that imports CCompression: streaming decoders over the system zlib, liblzma, liblz4,
// libzstd and libbz2, and a reader that drives them over a file without holding it in memory.

import CCompression
import Glibc

// MARK: - Formats

/// The compression formats that APT list files and RPM repository metadata come in.
public enum CompressionFormat: String, Sendable, CaseIterable {
    /// Not compressed: the bytes are passed through.
    case none
    /// gzip (RFC 1952), one member or several concatenated.
    case gzip
    /// xz (liblzma's `.xz` container), one stream or several concatenated, with stream padding between.
    case xz
    /// The LZ4 frame format (`lz4` by default); one frame or several. The legacy format of `lz4 -l` is not read.
    case lz4
    /// Zstandard, one frame or several, skippable frames included.
    case zstd
    /// bzip2, one stream or several concatenated.
    case bzip2

    /// The format that a file name's extension says: `.gz`, `.xz`, `.lz4`, `.zst`, `.bz2`; `nil` for any other
    /// name (a plain file is `.none`, which the caller decides).
    public static func fromExtension(_ path: String) -> CompressionFormat? {
        let name = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).last ?? []
        guard let dot = name.lastIndex(of: UInt8(ascii: ".")) else { return nil }
        switch String(decoding: name[dot...], as: UTF8.self) {
        case ".gz": return .gzip
        case ".xz": return .xz
        case ".lz4": return .lz4
        case ".zst": return .zstd
        case ".bz2": return .bzip2
        default: return nil
        }
    }

    /// The format that the first bytes of a file show by their magic number; `.none` when none matches.
    ///
    /// Six bytes are enough for every format; fewer than a format's magic never match it. A stream that begins
    /// with a skippable frame (shared by lz4 and zstd) is not recognised.
    public static func sniff(_ firstBytes: some Collection<UInt8>) -> CompressionFormat {
        let head = Array(firstBytes.prefix(6))
        for format in [CompressionFormat.gzip, .xz, .lz4, .zstd, .bzip2] where head.count >= format.magic.count {
            if format.startsWithMagic(head[...], skippableFrames: false) { return format }
        }
        return .none
    }

    /// The name used in messages: the format's name, "plain" for `.none`.
    var displayName: String { self == .none ? "plain" : rawValue }

    /// The magic number a stream of this format starts with (bzip2's is followed by a level digit).
    private var magic: [UInt8] {
        switch self {
        case .none: []
        case .gzip: [0x1F, 0x8B]
        case .xz: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]
        case .lz4: [0x04, 0x22, 0x4D, 0x18]
        case .zstd: [0x28, 0xB5, 0x2F, 0xFD]
        case .bzip2: [0x42, 0x5A, 0x68]  // "BZh"
        }
    }

    /// Whether `bytes` starts with this format's magic number, or with as much of it as `bytes` holds.
    /// With `skippableFrames`, for lz4 and zstd a skippable frame (magic 0x184D2A50...0x184D2A5F) counts too.
    func startsWithMagic(_ bytes: ArraySlice<UInt8>, skippableFrames: Bool) -> Bool {
        if zip(magic, bytes).allSatisfy({ $0 == $1 }) {
            guard self == .bzip2 else { return true }
            guard bytes.count > 3 else { return true }
            let level = bytes[bytes.startIndex + 3]
            return level >= UInt8(ascii: "1") && level <= UInt8(ascii: "9")
        }
        return skippableFrames && (self == .lz4 || self == .zstd) && Self.isSkippableFramePrefix(bytes)
    }

    /// A skippable frame, shared by the LZ4 frame format and Zstandard: magic 0x184D2A5? little-endian.
    private static func isSkippableFramePrefix(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first else { return true }
        return first & 0xF0 == 0x50 && zip([UInt8(0x2A), 0x4D, 0x18], bytes.dropFirst()).allSatisfy { $0 == $1 }
    }
}

// MARK: - Errors

/// A file or buffer that could not be read or decompressed: what went wrong, where (the path, or `<memory>`),
/// at which byte of the compressed input, and the library's own message.
///
/// For example `/var/lib/apt/lists/…_Packages.lz4: truncated lz4 stream after 65536 bytes`.
public struct DecompressionError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; compare with the static members (`error.code == .truncated`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case cannotOpen, readFailed, truncated, corrupt, trailingData, outputLimitExceeded, resourceLimit
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The file could not be opened.
        public static let cannotOpen = Code(.cannotOpen)
        /// `read(2)` failed.
        public static let readFailed = Code(.readFailed)
        /// The input ended inside a stream (or was empty where a compressed stream was expected).
        public static let truncated = Code(.truncated)
        /// The compressed data is invalid: bad header, bad block, checksum mismatch.
        public static let corrupt = Code(.corrupt)
        /// After a complete stream came bytes that do not start another member, stream or frame.
        public static let trailingData = Code(.trailingData)
        /// The decompressed output would be larger than the limit given (a decompression bomb, or a limit too low).
        public static let outputLimitExceeded = Code(.outputLimitExceeded)
        /// The stream needs more memory to decode than allowed (a huge xz dictionary or zstd window).
        public static let resourceLimit = Code(.resourceLimit)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// The file's path as given, or `<memory>` for ``Decompression/decompress(_:format:limit:)``.
    public let path: String
    public let format: CompressionFormat
    /// The offset in the compressed input: where the failure was found, or for `.truncated` how many bytes there were.
    public let offset: Int
    /// How many decompressed bytes had been produced before the failure.
    public let decompressedBytes: Int
    /// The library's message, the `errno` text, or for `.outputLimitExceeded` the limit; may be empty.
    public let message: String

    public init(
        code: Code, path: String, format: CompressionFormat, offset: Int, decompressedBytes: Int = 0,
        message: String = ""
    ) {
        self.code = code
        self.path = path
        self.format = format
        self.offset = offset
        self.decompressedBytes = decompressedBytes
        self.message = message
    }

    public var description: String {
        let name = format.displayName
        let detail = message.isEmpty ? "" : ": \(message)"
        switch code {
        case .cannotOpen:
            return "\(path): cannot open for reading\(detail)"
        case .readFailed:
            return "\(path): read failed at byte \(offset)\(detail)"
        case .truncated:
            return "\(path): truncated \(name) stream after \(offset) bytes\(detail)"
        case .trailingData:
            return "\(path): unexpected data at byte \(offset) after the end of the \(name) stream"
                + " (not another \(name) stream)"
        case .outputLimitExceeded:
            return "\(path): decompressed \(name) data exceeds the limit of \(message) bytes"
                + " (at input byte \(offset)); if the file is genuine, raise the limit"
        case .resourceLimit:
            return "\(path): \(name) stream at byte \(offset) needs more memory than allowed\(detail)"
        default:
            return "\(path): corrupt \(name) data at byte \(offset)\(detail)"
        }
    }
}

// MARK: - Reader

/// Reads a file (or a buffer) in chunks and hands out its decompressed contents in chunks, never holding the
/// whole file: input is read 256 KiB at a time with `read(2)`, output is produced 256 KiB at a time.
///
/// ```swift
/// var reader = try DecompressingReader(path: "/var/lib/apt/lists/…_Packages.lz4")
/// try reader.forEachChunk { chunk in parser.feed(chunk) }
/// ```
///
/// Concatenated gzip members, xz streams, lz4 frames, zstd frames and bzip2 streams are read one after the
/// other. A truncated or corrupt stream, data after the end that does not start another stream, or output
/// beyond `maximumOutput` throws a ``DecompressionError`` naming the file and the byte offset.
///
/// Chunks are handed out as they are decoded, before the checksum at the end of a stream (gzip's CRC-32, the lz4
/// and zstd content checksums, xz's check) has been verified: treat what was built from them as provisional until
/// reading ends without an error.
///
/// The reader owns a file descriptor and a decoder context; both are released when it goes away.
public struct DecompressingReader: ~Copyable {
    /// The size of the chunks read from the file and of those handed to ``forEachChunk(_:)``.
    public static let chunkSize = 256 << 10

    /// The path as given, or `<memory>`.
    public let path: String
    /// The format being decoded (given, or found from the extension or the first bytes).
    public let format: CompressionFormat
    /// The most decompressed bytes this reader hands out before throwing `.outputLimitExceeded`.
    public let maximumOutput: Int

    /// The open file, or -1 when reading from memory.
    private let descriptor: Int32
    /// Owned: where the file's chunks are read to (empty when reading from memory).
    private let inputBuffer: UnsafeMutableRawBufferPointer
    /// Owned: a few bytes of output space used to check for output past the limit, and as a non-null empty input.
    private let scratch: UnsafeMutableRawPointer
    /// The part of the current input chunk not yet consumed by the decoder.
    private var pending: UnsafeRawBufferPointer
    private var sourceExhausted: Bool
    private let decoder: (any StreamDecoder)?

    /// Bytes of compressed input consumed so far.
    public private(set) var compressedBytesRead = 0
    /// Decompressed bytes handed out so far.
    public private(set) var decompressedBytes = 0
    /// The decoder has just finished a stream (member, frame) and has not begun another.
    private var atBoundary = false
    private var streamsCompleted = 0
    private var finished = false

    /// Opens `path` for reading.
    ///
    /// - Parameters:
    ///   - format: the format to decode; `nil` to take it from the extension (``CompressionFormat/fromExtension(_:)``)
    ///     or else from the first bytes (``CompressionFormat/sniff(_:)``), which means plain for anything unknown.
    ///   - maximumOutput: the most decompressed bytes to accept (default 2 GiB).
    public init(path: String, format: CompressionFormat? = nil, maximumOutput: Int = 2 << 30)
        throws(DecompressionError)
    {
        let fd = SystemCall.open(path)
        guard fd >= 0 else {
            throw DecompressionError(
                code: .cannotOpen, path: path, format: format ?? .none, offset: 0, message: SystemCall.errorText(errno))
        }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 64)
        var pending = UnsafeRawBufferPointer(start: buffer.baseAddress, count: 0)
        var exhausted = false
        var chosen = format ?? CompressionFormat.fromExtension(path)
        if chosen == nil {
            // Read a first chunk (at least the 6 bytes of the longest magic, unless the file is shorter) to sniff.
            var count = 0
            while count < 6 {
                let n = SystemCall.read(fd, buffer.baseAddress! + count, buffer.count - count)
                if n < 0 {
                    let code = errno
                    _ = Glibc.close(fd)
                    buffer.deallocate()
                    throw DecompressionError(
                        code: .readFailed, path: path, format: .none, offset: count,
                        message: SystemCall.errorText(code))
                }
                if n == 0 {
                    exhausted = true
                    break
                }
                count += n
            }
            pending = UnsafeRawBufferPointer(rebasing: buffer[..<count])
            chosen = CompressionFormat.sniff(pending)
        }
        let resolved = chosen ?? .none
        let decoder: (any StreamDecoder)?
        do throws(CodecFailure) {
            decoder = try makeDecoder(for: resolved)
        } catch {
            _ = Glibc.close(fd)
            buffer.deallocate()
            throw DecompressionError(
                code: error.code, path: path, format: resolved, offset: 0, message: error.message)
        }
        self.path = path
        self.format = resolved
        self.maximumOutput = max(0, maximumOutput)
        self.descriptor = fd
        self.inputBuffer = buffer
        self.scratch = .allocate(byteCount: 16, alignment: 16)
        self.pending = pending
        self.sourceExhausted = exhausted
        self.decoder = decoder
    }

    /// A reader over `bytes`, which must stay valid for the reader's whole life.
    init(borrowing bytes: UnsafeRawBufferPointer, format: CompressionFormat, maximumOutput: Int)
        throws(DecompressionError)
    {
        let decoder: (any StreamDecoder)?
        do throws(CodecFailure) {
            decoder = try makeDecoder(for: format)
        } catch {
            throw DecompressionError(
                code: error.code, path: "<memory>", format: format, offset: 0, message: error.message)
        }
        self.path = "<memory>"
        self.format = format
        self.maximumOutput = max(0, maximumOutput)
        self.descriptor = -1
        self.inputBuffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        self.scratch = .allocate(byteCount: 16, alignment: 16)
        self.pending = bytes
        self.sourceExhausted = true
        self.decoder = decoder
    }

    deinit {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        inputBuffer.deallocate()
        scratch.deallocate()
    }

    /// Calls `body` with each chunk of decompressed data (``chunkSize`` bytes, the last one shorter), in order,
    /// until the end of the input.
    ///
    /// The chunk is valid only during the call. Decoding failures throw ``DecompressionError``; an error thrown by
    /// `body` stops the reading and is rethrown as it is (a later call would go on with the next chunk). After the
    /// end or a decoding failure, further calls do nothing.
    public mutating func forEachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = try read(into: buffer)
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// Decompresses into `buffer`, filling it unless the data ends first, and returns how many bytes were written;
    /// 0 means the end of the data. `buffer` must not be empty.
    ///
    /// A truncated or corrupt stream throws, and the bytes decoded into `buffer` by that call are not counted.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(DecompressionError) -> Int {
        precondition(!buffer.isEmpty, "DecompressingReader.read(into:) needs room for at least one byte")
        if finished { return 0 }
        do throws(DecompressionError) {
            let produced = try decoder == nil ? readPlain(into: buffer) : decode(into: buffer)
            decompressedBytes += produced
            if produced == 0 { finished = true }
            return produced
        } catch {
            finished = true
            throw error
        }
    }

    // MARK: Driving the decoder

    private mutating func decode(into buffer: UnsafeMutableRawBufferPointer) throws(DecompressionError) -> Int {
        guard let decoder else { return 0 }
        var produced = 0
        var stalls = 0
        while produced < buffer.count {
            if pending.isEmpty && !sourceExhausted { try refill() }
            if pending.isEmpty && sourceExhausted && atBoundary { break }
            if atBoundary && streamsCompleted > 0 && !pending.isEmpty
                && !format.startsWithMagic(skippingPadding(pending), skippableFrames: true)
            {
                throw failure(.trailingData, produced: produced)
            }

            // The output window, cut to what the limit still allows; at the limit, one scratch byte shows
            // whether the stream has any more output.
            let allowed = maximumOutput - decompressedBytes - produced
            let window =
                allowed > 0
                ? UnsafeMutableRawBufferPointer(rebasing: buffer[produced..<min(buffer.count, produced + allowed)])
                : UnsafeMutableRawBufferPointer(start: scratch, count: 1)
            let input = pending.isEmpty ? UnsafeRawBufferPointer(start: scratch, count: 0) : pending

            let step: Step
            do throws(CodecFailure) {
                step = try decoder.step(input, window)
            } catch {
                throw DecompressionError(
                    code: error.code, path: path, format: format, offset: compressedBytesRead + error.consumed,
                    decompressedBytes: decompressedBytes + produced, message: error.message)
            }
            pending = UnsafeRawBufferPointer(rebasing: pending[step.consumed...])
            compressedBytesRead += step.consumed
            if step.produced > 0 && allowed <= 0 {
                throw failure(.outputLimitExceeded, produced: produced, message: String(maximumOutput))
            }
            produced += step.produced

            if step.consumed == 0 && step.produced == 0 {
                if pending.isEmpty && sourceExhausted && !step.streamEnd {
                    throw failure(.truncated, produced: produced)
                }
                // Guard against a decoder that neither consumes nor produces with input and room available.
                if !pending.isEmpty {
                    stalls += 1
                    if stalls > 2 {
                        throw failure(.corrupt, produced: produced, message: "the decoder made no progress")
                    }
                }
            } else {
                stalls = 0
            }
            if step.streamEnd {
                atBoundary = true
                streamsCompleted += 1
            } else if step.consumed > 0 || step.produced > 0 {
                atBoundary = false
            }
        }
        return produced
    }

    /// The format `.none`: input is copied (or read straight into `buffer`), still under the output limit.
    private mutating func readPlain(into buffer: UnsafeMutableRawBufferPointer) throws(DecompressionError) -> Int {
        let allowed = maximumOutput - decompressedBytes
        let room =
            allowed > 0
            ? UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(buffer.count, allowed)])
            : UnsafeMutableRawBufferPointer(start: scratch, count: 1)
        var count = 0
        while count < room.count {
            if !pending.isEmpty {
                let n = min(room.count - count, pending.count)
                UnsafeMutableRawBufferPointer(rebasing: room[count..<count + n])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: pending[..<n]))
                pending = UnsafeRawBufferPointer(rebasing: pending[n...])
                count += n
            } else if !sourceExhausted {
                let n = SystemCall.read(descriptor, room.baseAddress! + count, room.count - count)
                if n < 0 {
                    throw failure(.readFailed, produced: count, message: SystemCall.errorText(errno))
                }
                if n == 0 { sourceExhausted = true }
                count += n
            } else {
                break
            }
            compressedBytesRead = decompressedBytes + count
        }
        if count > 0 && allowed <= 0 {
            throw failure(.outputLimitExceeded, produced: 0, message: String(maximumOutput))
        }
        return count
    }

    private mutating func refill() throws(DecompressionError) {
        let n = SystemCall.read(descriptor, inputBuffer.baseAddress!, inputBuffer.count)
        if n < 0 { throw failure(.readFailed, produced: 0, message: SystemCall.errorText(errno)) }
        if n == 0 { sourceExhausted = true }
        pending = UnsafeRawBufferPointer(rebasing: inputBuffer[..<n])
    }

    /// Between xz streams, stream padding (zero bytes) may come before the next stream's magic.
    private func skippingPadding(_ bytes: UnsafeRawBufferPointer) -> ArraySlice<UInt8> {
        var slice = bytes[...]
        if format == .xz {
            while let first = slice.first, first == 0 { slice = slice.dropFirst() }
        }
        return ArraySlice(slice.prefix(6))
    }

    private func failure(_ code: DecompressionError.Code, produced: Int, message: String = "")
        -> DecompressionError
    {
        DecompressionError(
            code: code, path: path, format: format, offset: compressedBytesRead,
            decompressedBytes: decompressedBytes + produced, message: message)
    }
}

// The reader is ~Copyable: it has exactly one owner, and the decoder and buffers it holds are reachable from
// nowhere else, so moving it to another task is safe.
extension DecompressingReader: @unchecked Sendable {}

// MARK: - In memory

/// Decompression of a whole buffer in memory.
public enum Decompression {
    /// Decompresses `bytes`, which must hold one or more complete streams of `format`; throws a
    /// ``DecompressionError`` naming `<memory>` for truncated, corrupt or trailing data, or output over `limit` bytes.
    public static func decompress(_ bytes: [UInt8], format: CompressionFormat, limit: Int)
        throws(DecompressionError) -> [UInt8]
    {
        if format == .none {
            guard bytes.count <= limit else {
                throw DecompressionError(
                    code: .outputLimitExceeded, path: "<memory>", format: .none, offset: max(0, limit),
                    decompressedBytes: max(0, limit), message: String(limit))
            }
            return bytes
        }
        let result: Result<[UInt8], DecompressionError> = bytes.withUnsafeBytes { raw in
            do throws(DecompressionError) {
                var reader = try DecompressingReader(borrowing: raw, format: format, maximumOutput: limit)
                var output: [UInt8] = []
                output.reserveCapacity(min(max(0, limit), max(4096, bytes.count * 4)))
                let chunk = UnsafeMutableRawBufferPointer.allocate(
                    byteCount: DecompressingReader.chunkSize, alignment: 64)
                defer { chunk.deallocate() }
                while true {
                    let count = try reader.read(into: chunk)
                    if count == 0 { break }
                    output.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[..<count]))
                }
                return .success(output)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

// MARK: - System calls

enum SystemCall {
    /// `open(2)` read-only and close-on-exec, retried on EINTR; -1 and `errno` on failure.
    static func open(_ path: String) -> Int32 {
        while true {
            let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 || errno != EINTR { return fd }
        }
    }

    /// `read(2)`, retried on EINTR; -1 and `errno` on failure.
    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        while true {
            let n = Glibc.read(fd, buffer, count)
            if n >= 0 || errno != EINTR { return n }
        }
    }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}

// MARK: - Decoders

/// What one call of a decoder did.
struct Step {
    var consumed: Int
    var produced: Int
    /// A stream (gzip member, xz stream, lz4 or zstd frame, bzip2 stream) ended here; the decoder is ready
    /// for the next one.
    var streamEnd: Bool
}

/// A decoder's failure; `consumed` is how far into the input of the failing call it got, when known.
struct CodecFailure: Error {
    var code: DecompressionError.Code
    var message: String
    var consumed = 0
}

/// One library's streaming decoder. Each call decodes from `input` into `output` (neither empty-based: the
/// base addresses are never nil, `output` holds at least one byte) and says how far it got.
protocol StreamDecoder: AnyObject {
    func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(CodecFailure) -> Step
}

private func makeDecoder(for format: CompressionFormat) throws(CodecFailure) -> (any StreamDecoder)? {
    switch format {
    case .none: nil
    case .gzip: try GzipDecoder()
    case .xz: try XZDecoder()
    case .lz4: try LZ4Decoder()
    case .zstd: try ZstdDecoder()
    case .bzip2: try BZip2Decoder()
    }
}

/// zlib's inflate with gzip wrapping (window bits 15 + 16); reset after each member.
private final class GzipDecoder: StreamDecoder {
    // zlib checks that the z_stream has not moved since inflateInit, so it lives on the heap.
    private let stream: UnsafeMutablePointer<z_stream>

    init() throws(CodecFailure) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw CodecFailure(code: .resourceLimit, message: "inflateInit2 failed (\(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(CodecFailure) -> Step {
        let inputCount = min(input.count, Int(UInt32.max))
        let outputCount = min(output.count, Int(UInt32.max))
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(inputCount)
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(outputCount)
        let rc = inflate(stream, Z_NO_FLUSH)
        let consumed = inputCount - Int(stream.pointee.avail_in)
        let produced = outputCount - Int(stream.pointee.avail_out)
        switch rc {
        case Z_OK, Z_BUF_ERROR:
            return Step(consumed: consumed, produced: produced, streamEnd: false)
        case Z_STREAM_END:
            inflateReset(stream)
            return Step(consumed: consumed, produced: produced, streamEnd: true)
        case Z_MEM_ERROR:
            throw CodecFailure(code: .resourceLimit, message: "out of memory", consumed: consumed)
        case Z_NEED_DICT:
            throw CodecFailure(code: .corrupt, message: "needs a preset dictionary", consumed: consumed)
        default:
            let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
            throw CodecFailure(code: .corrupt, message: message, consumed: consumed)
        }
    }
}

/// liblzma's .xz stream decoder, one stream at a time; between streams it skips stream padding itself.
private final class XZDecoder: StreamDecoder {
    /// The most memory a stream may need (its dictionary); xz -9 needs 65 MiB.
    static let memoryLimit: UInt64 = 512 << 20

    private let stream: UnsafeMutablePointer<lzma_stream>
    /// After a stream ended: how many padding (zero) bytes followed so far; nil inside a stream.
    private var padding: Int?

    init() throws(CodecFailure) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: lzma_stream())
        let rc = lzma_stream_decoder(stream, Self.memoryLimit, 0)
        guard rc == LZMA_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw CodecFailure(code: .resourceLimit, message: Self.text(rc))
        }
    }

    deinit {
        lzma_end(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(CodecFailure) -> Step {
        var skipped = 0
        if let seen = padding {
            while skipped < input.count && input[skipped] == 0 { skipped += 1 }
            let total = seen + skipped
            if skipped == input.count {
                padding = total
                // With no more input, the data ends well if the padding is a multiple of four bytes.
                if input.isEmpty && total % 4 != 0 {
                    throw CodecFailure(
                        code: .corrupt, message: "stream padding of \(total) bytes is not a multiple of four")
                }
                return Step(consumed: skipped, produced: 0, streamEnd: input.isEmpty)
            }
            guard total % 4 == 0 else {
                throw CodecFailure(
                    code: .corrupt, message: "stream padding of \(total) bytes is not a multiple of four",
                    consumed: skipped)
            }
            let rc = lzma_stream_decoder(stream, Self.memoryLimit, 0)
            guard rc == LZMA_OK else { throw CodecFailure(code: .resourceLimit, message: Self.text(rc)) }
            padding = nil
        }
        let rest = input.count - skipped
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self) + skipped
        stream.pointee.avail_in = rest
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_out = output.count
        let rc = lzma_code(stream, LZMA_RUN)
        let consumed = skipped + rest - stream.pointee.avail_in
        let produced = output.count - stream.pointee.avail_out
        switch rc {
        case LZMA_OK, LZMA_BUF_ERROR:
            return Step(consumed: consumed, produced: produced, streamEnd: false)
        case LZMA_STREAM_END:
            padding = 0
            return Step(consumed: consumed, produced: produced, streamEnd: true)
        case LZMA_MEMLIMIT_ERROR, LZMA_MEM_ERROR:
            let needed = lzma_memusage(stream)
            throw CodecFailure(
                code: .resourceLimit,
                message: "\(Self.text(rc)) (needs \(needed >> 20) MiB, the limit is \(Self.memoryLimit >> 20) MiB)",
                consumed: consumed)
        default:
            throw CodecFailure(code: .corrupt, message: Self.text(rc), consumed: consumed)
        }
    }

    private static func text(_ rc: lzma_ret) -> String {
        switch rc {
        case LZMA_FORMAT_ERROR: "not an xz stream (bad magic)"
        case LZMA_OPTIONS_ERROR: "unsupported options in the stream header"
        case LZMA_DATA_ERROR: "compressed data is corrupt"
        case LZMA_MEM_ERROR: "out of memory"
        case LZMA_MEMLIMIT_ERROR: "memory usage limit reached"
        case LZMA_UNSUPPORTED_CHECK: "unsupported integrity check"
        default: "liblzma error \(rc.rawValue)"
        }
    }
}

/// liblz4's frame decoder; after a frame ends (return value 0) the same context decodes the next frame.
private final class LZ4Decoder: StreamDecoder {
    private let context: OpaquePointer

    init() throws(CodecFailure) {
        var context: OpaquePointer?
        let rc = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(rc) == 0, let context else {
            throw CodecFailure(code: .resourceLimit, message: String(cString: LZ4F_getErrorName(rc)))
        }
        self.context = context
    }

    deinit { LZ4F_freeDecompressionContext(context) }

    func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(CodecFailure) -> Step {
        var consumed = input.count
        var produced = output.count
        let rc = LZ4F_decompress(context, output.baseAddress, &produced, input.baseAddress, &consumed, nil)
        if LZ4F_isError(rc) != 0 {
            throw CodecFailure(code: .corrupt, message: String(cString: LZ4F_getErrorName(rc)), consumed: consumed)
        }
        return Step(consumed: consumed, produced: produced, streamEnd: rc == 0)
    }
}

/// libzstd's streaming decoder; it returns 0 when a frame is decoded and flushed, and goes on to the next frame.
/// Frames whose window is over libzstd's default limit (128 MiB) are refused as a resource limit.
private final class ZstdDecoder: StreamDecoder {
    private let context: OpaquePointer

    init() throws(CodecFailure) {
        guard let context = ZSTD_createDStream() else {
            throw CodecFailure(code: .resourceLimit, message: "ZSTD_createDStream failed")
        }
        self.context = context
    }

    deinit { ZSTD_freeDStream(context) }

    func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(CodecFailure) -> Step {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var destination = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let rc = ZSTD_decompressStream(context, &destination, &source)
        if ZSTD_isError(rc) != 0 {
            // Errors come back as (size_t)-code. shim.h leaves out zstd_errors.h, whose codes below 100 are
            // stable: 16 is frameParameter_windowTooLarge, 64 memory_allocation.
            let errorCode = 0 &- rc
            let code: DecompressionError.Code = errorCode == 16 || errorCode == 64 ? .resourceLimit : .corrupt
            throw CodecFailure(code: code, message: String(cString: ZSTD_getErrorName(rc)), consumed: source.pos)
        }
        return Step(consumed: source.pos, produced: destination.pos, streamEnd: rc == 0)
    }
}

/// libbz2's decompressor; re-initialised after each stream so that concatenated streams decode.
private final class BZip2Decoder: StreamDecoder {
    // libbz2 checks that the bz_stream has not moved since init, so it lives on the heap.
    private let stream: UnsafeMutablePointer<bz_stream>
    private var active = false

    init() throws(CodecFailure) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: bz_stream())
        do throws(CodecFailure) {
            try start()
        } catch {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw error
        }
    }

    deinit {
        if active { BZ2_bzDecompressEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    private func start() throws(CodecFailure) {
        let rc = BZ2_bzDecompressInit(stream, 0, 0)
        guard rc == BZ_OK else { throw CodecFailure(code: .resourceLimit, message: Self.text(rc)) }
        active = true
    }

    func step(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(CodecFailure) -> Step {
        let inputCount = min(input.count, Int(UInt32.max))
        let outputCount = min(output.count, Int(UInt32.max))
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: CChar.self))
        stream.pointee.avail_in = UInt32(inputCount)
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: CChar.self)
        stream.pointee.avail_out = UInt32(outputCount)
        let rc = BZ2_bzDecompress(stream)
        let consumed = inputCount - Int(stream.pointee.avail_in)
        let produced = outputCount - Int(stream.pointee.avail_out)
        switch rc {
        case BZ_OK:
            return Step(consumed: consumed, produced: produced, streamEnd: false)
        case BZ_STREAM_END:
            BZ2_bzDecompressEnd(stream)
            active = false
            do throws(CodecFailure) {
                try start()
            } catch {
                throw CodecFailure(code: error.code, message: error.message, consumed: consumed)
            }
            return Step(consumed: consumed, produced: produced, streamEnd: true)
        case BZ_MEM_ERROR:
            throw CodecFailure(code: .resourceLimit, message: Self.text(rc), consumed: consumed)
        default:
            throw CodecFailure(code: .corrupt, message: Self.text(rc), consumed: consumed)
        }
    }

    private static func text(_ rc: Int32) -> String {
        switch rc {
        case BZ_DATA_ERROR: "data integrity error (bad block or CRC mismatch)"
        case BZ_DATA_ERROR_MAGIC: "not a bzip2 stream (bad magic)"
        case BZ_MEM_ERROR: "out of memory"
        case BZ_CONFIG_ERROR: "libbz2 is misconfigured"
        default: "libbz2 error \(rc)"
        }
    }
}
