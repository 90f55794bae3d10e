#if canImport(Glibc)
    import Glibc
#endif

/// An `AF_UNIX` address: a file-system path, or a name in Linux's abstract namespace.
struct UnixSocketAddress: Sendable, Equatable {
    /// The bytes of `sun_path` that count: the path (its NUL is added when sending), or a NUL and the abstract name.
    private let pathBytes: [UInt8]
    private let isAbstract: Bool

    /// `sun_path` is 108 bytes on Linux.
    static let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    /// A path socket; throws `ENAMETOOLONG` when the path and its NUL do not fit `sun_path`, `EINVAL` when empty or
    /// it holds a NUL.
    init(path: String) throws(SystemdError) {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, !bytes.contains(0) else {
            throw SystemdError(errno: EINVAL, message: "unix socket path '\(path)' is empty or holds a NUL")
        }
        guard bytes.count < Self.capacity else {
            throw SystemdError(
                errno: ENAMETOOLONG,
                message: "unix socket path '\(path)' is \(bytes.count) bytes; at most \(Self.capacity - 1) fit")
        }
        pathBytes = bytes
        isAbstract = false
    }

    /// An abstract-namespace socket (written `@name`); the name's bytes follow a leading NUL, with no terminator.
    init(abstractName name: String) throws(SystemdError) {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else {
            throw SystemdError(errno: EINVAL, message: "abstract unix socket name is empty")
        }
        guard bytes.count < Self.capacity else {
            throw SystemdError(
                errno: ENAMETOOLONG,
                message:
                    "abstract unix socket name '@\(name)' is \(bytes.count) bytes; at most \(Self.capacity - 1) fit")
        }
        pathBytes = [0] + bytes
        isAbstract = true
    }

    /// Calls `body` with a `sockaddr_un` holding this address and its exact length: for a path, the family, the path
    /// and its NUL; for an abstract name, the family, the NUL and the name (the kernel counts every byte given).
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let familySize = MemoryLayout<sa_family_t>.size
        let length = socklen_t(familySize + pathBytes.count + (isAbstract ? 0 : 1))
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}

/// Unconnected `AF_UNIX`/`SOCK_DGRAM` sending, close-on-exec, with `MSG_NOSIGNAL`.
enum UnixDatagram {
    /// A new close-on-exec datagram socket.
    static func open() throws(SystemdError) -> Int32 {
        try systemCall("socket(AF_UNIX, SOCK_DGRAM)") {
            socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
    }

    /// Sends `bytes` as one datagram to `address`. A datagram is all or nothing: a short send does not happen.
    static func send(
        fd: Int32, _ bytes: [UInt8], to address: UnixSocketAddress, describing what: @autoclosure () -> String
    ) throws(SystemdError) {
        _ = try systemCall("sendto \(what())") {
            bytes.withUnsafeBytes { buffer in
                address.withSockaddr { sockaddr, length in
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), sockaddr, length)
                }
            }
        }
    }
}
