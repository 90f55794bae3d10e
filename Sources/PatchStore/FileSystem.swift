#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The few system calls the store makes itself (the rest is SQLite's): each retried on EINTR, `-1` turned into a
/// `SystemCallError` that carries errno.
enum FileSystem {
    static func call(_ name: String, _ body: () -> Int32) throws(SystemCallError) -> Int32 {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw SystemCallError(call: name, errno: code)
        }
    }

    /// The mode bits (permissions only) of `path`, or nil when it does not exist.
    static func mode(of path: String) throws(SystemCallError) -> (mode: mode_t, isDirectory: Bool)? {
        var info = stat()
        do {
            _ = try call("stat") { stat(path, &info) }
        } catch {
            if error.errno == ENOENT { return nil }
            throw error
        }
        return (info.st_mode & 0o7777, (info.st_mode & S_IFMT) == S_IFDIR)
    }

    /// Makes `path` (mode 0700) if it is missing, and its missing parents (0755). An existing directory is left as
    /// it is. Returns whether it made `path`.
    @discardableResult
    static func makeDirectory(_ path: String) throws(StoreError) -> Bool {
        let existing: (mode: mode_t, isDirectory: Bool)?
        do {
            existing = try mode(of: path)
        } catch {
            throw StoreError(
                .cannotCreateDirectory, path: path, message: "\(path): cannot inspect the state directory: \(error)",
                underlying: error)
        }
        if let existing {
            guard existing.isDirectory else {
                throw StoreError(
                    .cannotCreateDirectory, path: path,
                    message: "\(path) exists and is not a directory; move it aside or choose another state directory")
            }
            return false
        }
        let parent = parentDirectory(of: path)
        if parent != path, parent != "/", parent != "." { try makeParents(parent) }
        do {
            _ = try call("mkdir") { mkdir(path, 0o700) }
        } catch {
            // Someone else made it between our stat and our mkdir: fine if it is a directory.
            if error.errno == EEXIST, (try? mode(of: path))?.isDirectory == true { return false }
            throw StoreError(
                .cannotCreateDirectory, path: path, message: "\(path): cannot create the state directory: \(error)",
                underlying: error)
        }
        do {
            // mkdir's mode goes through the umask; make it exact.
            _ = try call("chmod") { chmod(path, 0o700) }
            try syncDirectory(parent)
        } catch {
            throw StoreError(
                .cannotCreateDirectory, path: path, message: "\(path): cannot set up the state directory: \(error)",
                underlying: error)
        }
        return true
    }

    private static func makeParents(_ path: String) throws(StoreError) {
        if (try? mode(of: path))?.isDirectory == true { return }
        let parent = parentDirectory(of: path)
        if parent != path, parent != "/", parent != "." { try makeParents(parent) }
        do {
            _ = try call("mkdir") { mkdir(path, 0o755) }
        } catch {
            if error.errno == EEXIST { return }
            throw StoreError(
                .cannotCreateDirectory, path: path, message: "\(path): cannot create the directory: \(error)",
                underlying: error)
        }
    }

    /// Creates `path` empty with mode 0600 when it is missing (SQLite would create it 0644 less the umask, and
    /// creates its -wal and -shm files with the database file's mode), and takes group and other permissions away
    /// from an existing one.
    static func preparePrivateFile(_ path: String) throws(StoreError) {
        do {
            if let existing = try mode(of: path) {
                if existing.mode & 0o077 != 0 { _ = try call("chmod") { chmod(path, 0o600) } }
                return
            }
            let fd = try call("open") { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
            defer { _ = close(fd) }
            _ = try call("fchmod") { fchmod(fd, 0o600) }
            _ = try call("fsync") { fsync(fd) }
            try syncDirectory(parentDirectory(of: path))
        } catch {
            if error.errno == EEXIST { return try preparePrivateFile(path) }
            throw StoreError(
                .cannotOpen, path: path, message: "\(path): cannot create the database file: \(error)",
                underlying: error)
        }
    }

    /// fsync on a directory, so that a file just created or renamed in it survives a power loss.
    static func syncDirectory(_ path: String) throws(SystemCallError) {
        let fd = try call("open") { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { _ = close(fd) }
        _ = try call("fsync") { fsync(fd) }
    }

    static func parentDirectory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }
}
