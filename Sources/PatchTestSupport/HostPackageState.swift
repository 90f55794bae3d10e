import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A fingerprint of the host's own package-manager state, taken before and after a test to prove the test left it
/// alone: for every entry below the given paths its type, mode, owner, size, inode, mtime and ctime (a write of any
/// kind changes ctime), and for regular files up to 1 MiB a hash of the contents. Symlinks are not followed.
public struct HostPackageState: Sendable, Equatable {
    /// The host's dpkg database, apt state, configuration and cache.
    public static let defaultPaths = [
        "/var/lib/dpkg", "/var/lib/apt", "/etc/apt", "/var/cache/apt", "/var/log/dpkg.log",
    ]

    /// Path → fingerprint.
    public let entries: [String: String]

    public static func capture(_ paths: [String] = defaultPaths) -> HostPackageState {
        var entries: [String: String] = [:]
        for top in paths {
            var pending = [top]
            while let path = pending.popLast() {
                var info = stat()
                guard lstat(path, &info) == 0 else {
                    entries[path] = "missing"
                    continue
                }
                let type = info.st_mode & S_IFMT
                var print =
                    "mode=\(String(info.st_mode, radix: 8)) uid=\(info.st_uid) size=\(info.st_size) "
                    + "ino=\(info.st_ino) mtime=\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) "
                    + "ctime=\(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec)"
                if type == S_IFREG, info.st_size <= 1 << 20, let data = FileManager.default.contents(atPath: path) {
                    print += " fnv=\(String(fnv1a(data), radix: 16))"
                } else if type == S_IFDIR, let children = try? FileManager.default.contentsOfDirectory(atPath: path) {
                    pending += children.map { path + "/" + $0 }
                }
                entries[path] = print
            }
        }
        return HostPackageState(entries: entries)
    }

    /// One line per path added, removed or changed since `earlier`, sorted; empty when nothing changed.
    public func differences(from earlier: HostPackageState) -> [String] {
        var lines: [String] = []
        for (path, now) in entries {
            if let before = earlier.entries[path] {
                if before != now { lines.append("changed \(path): \(before) -> \(now)") }
            } else {
                lines.append("added \(path)")
            }
        }
        for path in earlier.entries.keys where entries[path] == nil { lines.append("removed \(path)") }
        return lines.sorted()
    }

    private static func fnv1a(_ data: Data) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash
    }
}
