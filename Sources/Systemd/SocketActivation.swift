#if canImport(Glibc)
    import Glibc
#endif

/// A file descriptor passed by the service manager (socket activation or the fd store).
public struct ActivatedSocket: Sendable, Equatable {
    public var fd: Int32
    /// From `$LISTEN_FDNAMES` (`FileDescriptorName=`); `unknown` when the manager sent no names.
    public var name: String

    public init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }
}

/// Socket activation (sd_listen_fds(3)) without libsystemd.
public enum SocketActivation {
    /// The first passed descriptor (`SD_LISTEN_FDS_START`); the rest follow at 4, 5, ….
    public static let listenFDsStart: Int32 = 3

    /// The variables the manager sets for socket activation.
    public static let environmentVariables = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]

    /// The descriptors passed to `pid`, each now close-on-exec; empty when none were passed to this process or the
    /// variables are malformed (see ``checkedListenFDs(environment:pid:start:)`` for the reason).
    public static func listenFDs(environment: [String: String], pid: Int32, start: Int32 = 3) -> [ActivatedSocket] {
        (try? checkedListenFDs(environment: environment, pid: pid, start: start)) ?? []
    }

    /// Like ``listenFDs(environment:pid:start:)``, but says what is wrong: an empty list when `LISTEN_PID` is unset or
    /// names another process (the variables were inherited, not meant for us); `EINVAL` when `LISTEN_PID` is not a
    /// pid, `LISTEN_FDS` not a positive count (within RLIMIT_NOFILE), or `LISTEN_FDNAMES` does not name exactly that
    /// many descriptors; the errno of `fcntl` (`EBADF`) when a descriptor is not open.
    public static func checkedListenFDs(
        environment: [String: String], pid: Int32, start: Int32 = 3
    ) throws(SystemdError) -> [ActivatedSocket] {
        let sockets = try parse(environment: environment, pid: pid, start: start)
        for socket in sockets {
            try setCloseOnExec(socket.fd)
        }
        return sockets
    }

    /// Which descriptors and names the variables describe, without touching them (only the descriptor limit,
    /// RLIMIT_NOFILE, is read: a count beyond it is refused).
    public static func parse(
        environment: [String: String], pid: Int32, start: Int32 = 3
    ) throws(SystemdError) -> [ActivatedSocket] {
        guard let pidText = environment["LISTEN_PID"] else { return [] }
        guard let listenPID = parseDecimal(pidText), listenPID > 0, listenPID <= UInt64(Int32.max) else {
            throw SystemdError(errno: EINVAL, message: "LISTEN_PID=\(pidText) is not a process id")
        }
        guard Int32(listenPID) == pid else { return [] }
        let countText = environment["LISTEN_FDS"] ?? ""
        guard let count = parseDecimal(countText), count > 0, start >= 0, count <= UInt64(Int32.max - start) else {
            throw SystemdError(
                errno: EINVAL, message: "LISTEN_FDS=\(countText) is not a positive count of descriptors from \(start)")
        }
        // Descriptors at or above RLIMIT_NOFILE cannot be open, so a larger count is garbage, not a list to build.
        let openMax = sysconf(Int32(_SC_OPEN_MAX))
        guard openMax <= 0 || UInt64(start) + count <= UInt64(openMax) else {
            throw SystemdError(
                errno: EINVAL,
                message: "LISTEN_FDS=\(countText) from descriptor \(start) exceeds the descriptor limit \(openMax)")
        }
        let names: [String]
        if let namesText = environment["LISTEN_FDNAMES"] {
            names = namesText.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard names.count == count else {
                throw SystemdError(
                    errno: EINVAL,
                    message: "LISTEN_FDNAMES=\(namesText) names \(names.count) descriptors but LISTEN_FDS=\(count)")
            }
        } else {
            names = Array(repeating: "unknown", count: Int(count))
        }
        return names.enumerated().map { index, name in ActivatedSocket(fd: start + Int32(index), name: name) }
    }

    /// Whether `fd` is a listening `AF_UNIX` stream socket: `SO_TYPE` is `SOCK_STREAM`, `SO_ACCEPTCONN` is set and
    /// `getsockname` reports `AF_UNIX`. False for anything else, including a closed descriptor.
    public static func isUnixStreamListener(fd: Int32) -> Bool {
        guard let type = intSocketOption(fd: fd, SO_TYPE), type == Int32(SOCK_STREAM.rawValue),
            let accepting = intSocketOption(fd: fd, SO_ACCEPTCONN), accepting != 0
        else { return false }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return result == 0 && length >= socklen_t(MemoryLayout<sa_family_t>.size)
            && storage.ss_family == sa_family_t(AF_UNIX)
    }

    /// Removes `LISTEN_PID`, `LISTEN_FDS` and `LISTEN_FDNAMES` from this process's environment, so that children
    /// do not believe the descriptors are theirs. Call it once, early, before threads read the environment.
    public static func unsetEnvironment() {
        for name in environmentVariables {
            unsetenv(name)
        }
    }

    static func setCloseOnExec(_ fd: Int32) throws(SystemdError) {
        let flags = try systemCall("fcntl(\(fd), F_GETFD) on a passed descriptor") { fcntl(fd, F_GETFD) }
        if flags & FD_CLOEXEC == 0 {
            _ = try systemCall("fcntl(\(fd), F_SETFD, FD_CLOEXEC)") { fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    private static func intSocketOption(fd: Int32, _ option: Int32) -> Int32? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, option, &value, &length) == 0 else { return nil }
        return value
    }
}
