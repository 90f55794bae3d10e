import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Temporary directories and small file helpers for tests that build real package-manager trees.
public enum TestDirectory {
    /// A new empty directory under `$TMPDIR` (or /tmp), mode 0755 so that apt's unprivileged `_apt` user can read
    /// repositories and lists placed in it.
    public static func make(prefix: String) throws -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!) }
        guard made != nil else {
            throw TestSupportError("mkdtemp \(base)/\(prefix).XXXXXX failed: \(String(cString: strerror(errno)))")
        }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard chmod(path, 0o755) == 0 else {
            throw TestSupportError("chmod 0755 \(path) failed: \(String(cString: strerror(errno)))")
        }
        return path
    }

    /// Writes `contents` to `path`, creating parent directories (0755), with the given mode.
    public static func write(_ contents: String, to path: String, mode: Int = 0o644) throws {
        try write(Data(contents.utf8), to: path, mode: mode)
    }

    /// Writes `data` to `path`, creating parent directories (0755), with the given mode.
    static func write(_ data: Data, to path: String, mode: Int = 0o644) throws {
        let parent = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: mode])
        else { throw TestSupportError("cannot write \(path)") }
        // createFile's attributes go through the umask on some platforms; make the mode exact.
        guard chmod(path, mode_t(mode)) == 0 else { throw TestSupportError("chmod \(path) failed") }
    }

    /// Creates `path` and its parents, mode 0755.
    public static func makeDirectories(_ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    }

    /// Mount points at or below `path` in this process's mount namespace (from /proc/self/mountinfo).
    public static func mountPoints(under path: String) -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        let prefix = path.hasSuffix("/") ? path : path + "/"
        return text.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            // mountinfo escapes space, tab, newline and backslash as octal.
            let point = String(fields[4]).replacingOccurrences(of: "\\040", with: " ")
            return point == path || point.hasPrefix(prefix) ? point : nil
        }
    }

    /// Removes a tree this process made, refusing when anything is mounted below it (a leaked bind mount of /dev
    /// would otherwise be emptied) and never crossing into another file system.
    public static func remove(_ path: String) throws {
        guard path.count > 1, path.hasPrefix("/") else { throw TestSupportError("refusing to remove '\(path)'") }
        let mounted = mountPoints(under: path)
        guard mounted.isEmpty else {
            throw TestSupportError(
                "refusing to remove \(path): mount points below it: \(mounted.joined(separator: ", ")); "
                    + "unmount them (umount -R) first")
        }
        guard FileManager.default.fileExists(atPath: path) else { return }
        try TestProcess.runChecked(["rm", "-rf", "--one-file-system", "--", path], timeout: .seconds(300))
    }
}

/// A failure in a test helper, with a message that says what and where.
public struct TestSupportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
