import Glibc
import PatchTestSupport

/// A receiving `AF_UNIX`/`SOCK_DGRAM` socket, bound in a temporary directory or in the abstract namespace: what
/// systemd's notify socket and journald's native socket are, written independently of the code under test.
final class DatagramListener {
    let fd: Int32
    /// For a path socket, the path; for an abstract one, `@name`.
    let address: String
    private let directory: String?

    /// A socket at `<new temporary directory>/<name>`.
    init(inTemporaryDirectoryNamed name: String) throws {
        let directory = try TestDirectory.make(prefix: "patchd-systemd")
        self.directory = directory
        address = directory + "/" + name
        fd = try Self.boundSocket(type: SOCK_DGRAM, pathBytes: Array(address.utf8) + [0])
    }

    /// A socket in the abstract namespace under a fresh, unique name.
    init(abstractPrefix: String) throws {
        let name = "\(abstractPrefix)-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        directory = nil
        address = "@" + name
        fd = try Self.boundSocket(type: SOCK_DGRAM, pathBytes: [0] + Array(name.utf8))
    }

    deinit {
        close(fd)
        if let directory {
            unlink(address)
            rmdir(directory)
        }
    }

    /// The next datagram, whole; throws when none arrives within `timeout` or it did not fit the buffer.
    func receive(timeout: Duration = .seconds(5), bufferSize: Int = 1 << 20) throws -> [UInt8] {
        try waitReadable(fd: fd, timeout: timeout)
        var buffer = [UInt8](repeating: 0, count: bufferSize)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_TRUNC)) }
        guard count >= 0 else { throw TestSupportError("recv on \(address): errno \(errno)") }
        guard count <= bufferSize else { throw TestSupportError("datagram of \(count) bytes > buffer \(bufferSize)") }
        return Array(buffer[..<count])
    }

    /// The next datagram as text.
    func receiveText(timeout: Duration = .seconds(5)) throws -> String {
        String(decoding: try receive(timeout: timeout), as: UTF8.self)
    }

    /// Whether a datagram is waiting or arrives within `timeout`.
    func hasPending(within timeout: Duration) -> Bool {
        (try? waitReadable(fd: fd, timeout: timeout)) != nil
    }

    /// A bound socket of `type` for the given `sun_path` bytes (a path with its NUL, or a NUL and an abstract name).
    static func boundSocket(type: __socket_type, pathBytes: [UInt8], listening: Bool = false) throws -> Int32 {
        try UnixSocketFixture.bound(
            type == SOCK_STREAM ? .stream : .datagram, pathBytes: pathBytes, listening: listening)
    }
}

/// Waits with poll(2) until `fd` is readable.
func waitReadable(fd: Int32, timeout: Duration) throws {
    var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
    var ready: Int32
    repeat { ready = poll(&pollFD, 1, milliseconds) } while ready == -1 && errno == EINTR
    guard ready == 1 else { throw TestSupportError("nothing to read on fd \(fd) within \(timeout)") }
}

/// An IPv4 socket of `type` bound to 127.0.0.1 on an ephemeral port, listening when asked.
func inetSocket(type: __socket_type, listening: Bool) throws -> Int32 {
    let fd = socket(AF_INET, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw TestSupportError("socket(AF_INET): errno \(errno)") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, !listening || listen(fd, 8) == 0 else {
        let code = errno
        close(fd)
        throw TestSupportError("bind/listen AF_INET: errno \(code)")
    }
    return fd
}

/// One field of a native-protocol journal datagram, and whether it came in the binary (length-prefixed) form.
struct JournalField: Equatable, CustomStringConvertible {
    var name: String
    var value: [UInt8]
    var binary: Bool

    var text: String { String(decoding: value, as: UTF8.self) }
    var description: String { "\(name)\(binary ? "(binary)" : "")=\(text)" }
}

/// Parses a journald native-protocol datagram, written from the protocol document: `NAME=value\n`, or `NAME\n`, a
/// little-endian UInt64 size, that many bytes and `\n`. Throws on anything else, so a malformed datagram fails.
func parseJournalDatagram(_ bytes: [UInt8]) throws -> [JournalField] {
    var fields: [JournalField] = []
    var index = 0
    while index < bytes.count {
        guard let end = bytes[index...].firstIndex(where: { $0 == 10 || $0 == UInt8(ascii: "=") }) else {
            throw TestSupportError("field at \(index) has neither '=' nor a newline")
        }
        let name = String(decoding: bytes[index..<end], as: UTF8.self)
        if bytes[end] == UInt8(ascii: "=") {
            guard let newline = bytes[end...].firstIndex(of: 10) else {
                throw TestSupportError("text field \(name) is not terminated by a newline")
            }
            fields.append(JournalField(name: name, value: Array(bytes[(end + 1)..<newline]), binary: false))
            index = newline + 1
        } else {
            let sizeStart = end + 1
            guard sizeStart + 8 <= bytes.count else { throw TestSupportError("binary field \(name) lacks its size") }
            var size: UInt64 = 0
            for offset in (0..<8).reversed() {
                size = size << 8 | UInt64(bytes[sizeStart + offset])
            }
            let valueStart = sizeStart + 8
            let valueEnd = valueStart + Int(size)
            guard valueEnd < bytes.count, bytes[valueEnd] == 10 else {
                throw TestSupportError("binary field \(name) of \(size) bytes is not followed by a newline")
            }
            fields.append(JournalField(name: name, value: Array(bytes[valueStart..<valueEnd]), binary: true))
            index = valueEnd + 1
        }
    }
    return fields
}

extension [JournalField] {
    /// The only field named `name`; nil when absent, and a failure-worthy nil when it appears twice.
    subscript(field name: String) -> JournalField? {
        let matches = filter { $0.name == name }
        return matches.count == 1 ? matches[0] : nil
    }
}

/// A pipe for capturing what a handler writes; both ends closed on deinit.
final class CapturePipe {
    let readFD: Int32
    let writeFD: Int32

    init() throws {
        (readFD, writeFD) = try makePipe()
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    /// Whatever is in the pipe now (waits up to a second for the first byte).
    func readAvailable() throws -> String {
        try waitReadable(fd: readFD, timeout: .seconds(1))
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw TestSupportError("read: errno \(errno)") }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}

/// A pipe whose ends are close-on-exec (other suites start processes concurrently).
func makePipe() throws -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw TestSupportError("pipe: errno \(errno)") }
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    return (fds[0], fds[1])
}

/// CLOCK_MONOTONIC in microseconds, read independently of the code under test.
func monotonicMicroseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
}
