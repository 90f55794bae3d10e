import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Unix sockets made for tests, independently of the code under test: what systemd would pass or listen on.
public enum UnixSocketFixture {
    public enum Kind: Sendable {
        case stream, datagram
    }

    /// A bound socket of `kind` for the given `sun_path` bytes (a path with its NUL, or a NUL and an abstract name),
    /// close-on-exec, listening when asked. The caller closes it.
    public static func bound(_ kind: Kind, pathBytes: [UInt8], listening: Bool = false) throws -> Int32 {
        let type = kind == .stream ? SOCK_STREAM : SOCK_DGRAM
        let fd = socket(AF_UNIX, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard pathBytes.count <= MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw TestSupportError("socket address too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw TestSupportError("bind: errno \(code)")
        }
        if listening {
            guard listen(fd, 8) == 0 else {
                close(fd)
                throw TestSupportError("listen: errno \(errno)")
            }
        }
        return fd
    }
}
