#if canImport(Glibc)
    import Glibc
#endif

/// Tells the service manager about the daemon's state over `$NOTIFY_SOCKET` (the sd_notify protocol, without
/// libsystemd): one datagram of `KEY=value` lines per call.
///
/// A value: it holds only the address, and opens, uses and closes a close-on-exec socket per message, as sd_notify
/// does, so it is cheap to copy and safe to share.
public struct SystemdNotifier: Sendable {
    /// Where `$NOTIFY_SOCKET` points.
    public enum Address: Sendable, Equatable, CustomStringConvertible {
        /// A socket in the file system (`/run/systemd/notify`).
        case path(String)
        /// A socket in Linux's abstract namespace (`@name`), which survives a chroot.
        case abstract(String)

        /// Parses a `$NOTIFY_SOCKET` value: an absolute path or `@name`. Nil for anything else (relative paths,
        /// `vsock:` addresses, which only a service manager inside a VM is given) or a name too long for `sun_path`.
        public init?(notifySocket value: String) {
            if value.hasPrefix("/") {
                guard (try? UnixSocketAddress(path: value)) != nil else { return nil }
                self = .path(value)
            } else if value.hasPrefix("@") {
                let name = String(value.dropFirst())
                guard (try? UnixSocketAddress(abstractName: name)) != nil else { return nil }
                self = .abstract(name)
            } else {
                return nil
            }
        }

        public var description: String {
            switch self {
            case .path(let path): path
            case .abstract(let name): "@" + name
            }
        }

        func socketAddress() throws(SystemdError) -> UnixSocketAddress {
            switch self {
            case .path(let path): try UnixSocketAddress(path: path)
            case .abstract(let name): try UnixSocketAddress(abstractName: name)
            }
        }
    }

    public let address: Address

    /// The notifier for `$NOTIFY_SOCKET`, or nil when it is unset (not started by systemd as `Type=notify`) or not a
    /// path or `@name` this process can send to.
    public init?(environment: [String: String]) {
        guard let value = environment["NOTIFY_SOCKET"], let address = Address(notifySocket: value) else { return nil }
        self.address = address
    }

    public init(address: Address) {
        self.address = address
    }

    /// The largest message the service manager reads: its buffer is `PIPE_BUF` (4096) bytes with room for a NUL,
    /// and a longer message is dropped whole (with only a warning in the manager's own log).
    public static let maximumMessageSize = 4095

    /// Sends the fields as one datagram of `KEY=value\n` lines, in order.
    ///
    /// Throws `EINVAL` for an empty list, an empty key, a key holding `=`, or a key or value holding a line break
    /// (CR or LF: the manager splits on both, so one would smuggle in another assignment) or a NUL (the manager drops
    /// messages with embedded NULs); `EMSGSIZE` when the message exceeds ``maximumMessageSize``; and the errno of
    /// `socket`/`sendto` otherwise (`ENOENT` or `ECONNREFUSED` when nobody listens).
    public func send(_ fields: [(String, String)]) throws(SystemdError) {
        let datagram = try Self.encode(fields)
        guard datagram.count <= Self.maximumMessageSize else {
            throw SystemdError(
                errno: EMSGSIZE,
                message: "sd_notify message of \(datagram.count) bytes exceeds \(Self.maximumMessageSize)")
        }
        let socketAddress = try address.socketAddress()
        let fd = try UnixDatagram.open()
        defer { close(fd) }
        try UnixDatagram.send(fd: fd, datagram, to: socketAddress, describing: "NOTIFY_SOCKET=\(address)")
    }

    /// `READY=1`: start-up (or a reload) is complete.
    public func ready() throws(SystemdError) {
        try send([("READY", "1")])
    }

    /// `STATUS=…`: a single-line status shown by `systemctl status`; line breaks become spaces, and a text too long
    /// for one message is cut (on a character boundary) and ends in `…`.
    public func status(_ text: String) throws(SystemdError) {
        let room = Self.maximumMessageSize - "STATUS=\n".utf8.count
        try send([("STATUS", Self.cut(Self.singleLine(text), toBytes: room))])
    }

    /// `WATCHDOG=1`: the keep-alive ping for `WatchdogSec=`.
    public func watchdog() throws(SystemdError) {
        try send([("WATCHDOG", "1")])
    }

    /// `STOPPING=1`: shutdown has begun.
    public func stopping() throws(SystemdError) {
        try send([("STOPPING", "1")])
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (CLOCK_MONOTONIC now, in µs), which `Type=notify-reload` needs to
    /// match the reload to its request; follow it with ``ready()`` when the reload is done.
    public func reloading() throws(SystemdError) {
        try send([("RELOADING", "1"), ("MONOTONIC_USEC", String(Self.monotonicMicroseconds()))])
    }

    /// `MAINPID=…`: the service's main process is now `pid`.
    public func mainPID(_ pid: Int32) throws(SystemdError) {
        guard pid > 0 else { throw SystemdError(errno: EINVAL, message: "MAINPID=\(pid) is not a process id") }
        try send([("MAINPID", String(pid))])
    }

    /// The datagram for `fields`: `KEY=value\n` per field.
    static func encode(_ fields: [(String, String)]) throws(SystemdError) -> [UInt8] {
        guard !fields.isEmpty else { throw SystemdError(errno: EINVAL, message: "sd_notify message has no fields") }
        var datagram: [UInt8] = []
        for (key, value) in fields {
            let keyBytes = Array(key.utf8)
            guard !keyBytes.isEmpty, !keyBytes.contains(where: { $0 == UInt8(ascii: "=") || isForbidden($0) }) else {
                throw SystemdError(
                    errno: EINVAL, message: "sd_notify key '\(key)' is empty or holds '=', a line break or NUL")
            }
            guard !value.utf8.contains(where: isForbidden) else {
                throw SystemdError(errno: EINVAL, message: "sd_notify value of \(key) holds a line break or NUL")
            }
            datagram += keyBytes
            datagram.append(UInt8(ascii: "="))
            datagram += value.utf8
            datagram.append(10)
        }
        return datagram
    }

    /// LF, CR (the manager splits assignments on both) and NUL.
    private static func isForbidden(_ byte: UInt8) -> Bool {
        byte == 10 || byte == 13 || byte == 0
    }

    /// `text` cut to at most `limit` UTF-8 bytes, whole characters only, ending in `…` when cut.
    static func cut(_ text: String, toBytes limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        let ellipsis = "…"
        var kept = ""
        var used = ellipsis.utf8.count
        for character in text {
            let size = character.utf8.count
            guard used + size <= limit else { break }
            kept.append(character)
            used += size
        }
        return kept + ellipsis
    }

    /// `text` with every CR, LF and CRLF replaced by one space, and NULs dropped.
    static func singleLine(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r":
                scalars.append(" ")
                previousWasCR = true
                continue
            case "\n":
                if !previousWasCR { scalars.append(" ") }
            case "\0":
                break
            default:
                scalars.append(scalar)
            }
            previousWasCR = false
        }
        return String(scalars)
    }

    /// CLOCK_MONOTONIC in microseconds, as systemd compares it.
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}
