#if canImport(Glibc)
    import Glibc
#endif

/// dpkg's locks (`lock-frontend`, `lock`), tested without taking them.
public enum DpkgLock {
    /// The pid holding one of the locks under `root`, or nil when both are free (or absent). -1: held, pid unknown
    /// (an open-file-description lock).
    public static func holder(root: String) -> Int32? {
        let base = root == "/" ? "/var/lib/dpkg/" : root + "/var/lib/dpkg/"
        for name in ["lock-frontend", "lock"] {
            let fd = open(base + name, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var lock = flock()
            lock.l_type = Int16(F_WRLCK)
            lock.l_whence = Int16(SEEK_SET)
            lock.l_start = 0
            lock.l_len = 0
            var result: Int32
            repeat { result = fcntl(fd, F_GETLK, &lock) } while result == -1 && errno == EINTR
            if result == 0 && lock.l_type != Int16(F_UNLCK) { return lock.l_pid == 0 ? -1 : lock.l_pid }
        }
        return nil
    }

    /// The command line of a process, for messages (`apt-get install foo`).
    public static func commandLine(of pid: Int32) -> String? {
        guard pid > 0 else { return nil }
        let fd = open("/proc/\(pid)/cmdline", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            .trimmingCharacters(in: " ")
    }
}
