import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A fresh Debian root file system for tests that really install packages: a copy of a cached
/// `debootstrap --variant=minbase --include=python3-apt` tree, extracted per test, in which commands run through
/// `unshare --mount --pid --fork -- chroot`.
///
/// Every mount (`/proc`, a private tmpfs `/dev` with the usual nodes, bound test repositories) is made inside the
/// command's own mount namespace, so none is visible on the host and all vanish with the command; the host's `/dev`
/// is never bound in, so nothing in the chroot can remove a host device node. The PID namespace ends any process
/// the command leaves behind. Needs root. `destroy()` refuses to delete a tree with anything mounted below it.
///
/// ```swift
/// var chroot = try DebianChroot()
/// defer { try? chroot.destroy() }
/// try chroot.addRepository(repo, suites: ["bookworm"])
/// try chroot.runChecked(["apt-get", "update"])
/// try chroot.runChecked(["apt-get", "install", "-y", "hello"])
/// ```
public struct DebianChroot: Sendable {
    /// A host directory mounted inside the chroot for every command.
    public struct Bind: Sendable, Hashable {
        public var source: String
        /// Absolute path inside the chroot.
        public var target: String
        public var readOnly: Bool
    }

    /// How long getting this chroot took.
    public struct Timings: Sendable {
        /// The debootstrap and packing of the cache, when this call had to build it.
        public var cacheBuild: Duration?
        /// Extracting the cached tarball into the new root.
        public var extract: Duration
    }

    /// The temporary directory holding `root` and the runner script.
    public let directory: String
    /// The chroot's root directory on the host.
    public var root: String { directory + "/root" }
    public private(set) var binds: [Bind] = []
    public let timings: Timings
    public let suite: String

    /// Extracts a fresh copy of the cached `suite` minbase image, building the cache first when it is missing.
    public init(suite: String = "bookworm") throws {
        let cache = try DebianImageCache.ensure(suite: suite)
        let directory = try TestDirectory.make(prefix: "patchd-chroot")
        let clock = ContinuousClock()
        let start = clock.now
        do {
            try TestDirectory.makeDirectories(directory + "/root")
            try TestProcess.runChecked(
                ["tar", "--numeric-owner", "--zstd", "-xpf", cache.path, "-C", directory + "/root"],
                timeout: .seconds(600))
            try TestDirectory.write(Self.runnerScript, to: directory + "/enter-chroot.sh", mode: 0o755)
        } catch {
            try? TestDirectory.remove(directory)
            throw error
        }
        self.suite = suite
        self.directory = directory
        timings = Timings(cacheBuild: cache.built, extract: clock.now - start)
    }

    /// The host path of `path` inside the chroot.
    public func hostPath(_ path: String) -> String {
        root + "/" + path.drop(while: { $0 == "/" })
    }

    /// Mounts `source` at `target` (absolute, inside the chroot) for every later command; read-only by default.
    public mutating func bind(_ source: String, at target: String, readOnly: Bool = true) throws {
        guard target.hasPrefix("/"), !target.split(separator: "/").contains(".."), target != "/" else {
            throw TestSupportError("bind target must be an absolute path inside the chroot: '\(target)'")
        }
        try ensureDirectoryWithoutSymlinks(target)
        binds.append(Bind(source: source, target: target, readOnly: readOnly))
    }

    /// Mounts `repository` read-only at `mountPoint` and writes `/etc/apt/sources.list.d/<name>.list` (or
    /// `.sources`) naming it, with the repository's keyring as `signed-by`. Run `apt-get update` afterwards.
    public mutating func addRepository(
        _ repository: AptRepository, suites: [String], components: [String] = ["main"],
        at mountPoint: String = "/srv/repo",
        format: IsolatedApt.SourceFormat = .oneLine, name: String = "patchd-test"
    ) throws {
        try bind(repository.root, at: mountPoint)
        let keyring = mountPoint + "/" + (repository.keyring as NSString).lastPathComponent
        switch format {
        case .oneLine:
            let lines = suites.map {
                repository.sourcesListLine(suite: $0, components: components, uri: mountPoint, keyring: keyring)
            }
            try TestDirectory.write(
                lines.joined(separator: "\n") + "\n", to: hostPath("/etc/apt/sources.list.d/\(name).list"))
        case .deb822:
            let stanza = repository.deb822Stanza(
                suites: suites, components: components, uri: mountPoint, keyring: keyring)
            try TestDirectory.write(stanza, to: hostPath("/etc/apt/sources.list.d/\(name).sources"))
        }
    }

    /// The environment commands get unless overridden: nothing of the host's, a plain PATH, C locale and a
    /// non-interactive debconf.
    public static let baseEnvironment: [String: String] = [
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LC_ALL": "C",
        "LANG": "C", "DEBIAN_FRONTEND": "noninteractive", "TERM": "dumb",
    ]

    /// Runs `argv` inside the chroot and returns its status and output, whatever the status.
    public func run(
        _ argv: [String], environment: [String: String] = [:], input: String? = nil, timeout: Duration = .seconds(900)
    ) throws -> TestProcess.Output {
        try TestProcess.run(
            wrapped(argv), environment: Self.baseEnvironment.merging(environment) { _, new in new }, input: input,
            timeout: timeout)
    }

    /// Runs `argv` inside the chroot; throws unless it exits 0.
    @discardableResult
    public func runChecked(
        _ argv: [String], environment: [String: String] = [:], input: String? = nil, timeout: Duration = .seconds(900)
    ) throws -> TestProcess.Output {
        try TestProcess.runChecked(
            wrapped(argv), environment: Self.baseEnvironment.merging(environment) { _, new in new }, input: input,
            timeout: timeout)
    }

    /// Deletes the chroot (refusing if anything is mounted below it).
    public func destroy() throws { try TestDirectory.remove(directory) }

    /// The host command that enters the chroot: a fresh mount and PID namespace, the static runner script with the
    /// root, the binds and the command as positional parameters.
    public func wrapped(_ argv: [String]) -> [String] {
        var command = [
            "unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--", "/bin/sh",
            directory + "/enter-chroot.sh", root,
        ]
        for bind in binds { command += [bind.readOnly ? "--bind-ro" : "--bind", bind.source, bind.target] }
        return command + ["--"] + argv
    }

    // Arguments are only ever expanded as quoted positional parameters, never interpolated into commands.
    static let runnerScript = """
        #!/bin/sh
        # patchd test support: enter a chroot inside the current (private) mount namespace.
        # usage: enter-chroot.sh ROOT [--bind|--bind-ro SOURCE TARGET]... -- COMMAND [ARG]...
        set -eu
        root=$1
        shift
        mount -t proc proc "$root/proc"
        # A private /dev: the chroot can neither see nor delete the host's device nodes.
        mount -t tmpfs -o mode=0755,nosuid,size=16m patchd-dev "$root/dev"
        mknod -m 0666 "$root/dev/null" c 1 3
        mknod -m 0666 "$root/dev/zero" c 1 5
        mknod -m 0666 "$root/dev/full" c 1 7
        mknod -m 0666 "$root/dev/random" c 1 8
        mknod -m 0666 "$root/dev/urandom" c 1 9
        mknod -m 0666 "$root/dev/tty" c 5 0
        mkdir -m 0755 "$root/dev/pts"
        mkdir -m 1777 "$root/dev/shm"
        ln -s /proc/self/fd "$root/dev/fd"
        ln -s /proc/self/fd/0 "$root/dev/stdin"
        ln -s /proc/self/fd/1 "$root/dev/stdout"
        ln -s /proc/self/fd/2 "$root/dev/stderr"
        while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
            case "$1" in
                --bind) mount --bind "$2" "$root$3" ;;
                --bind-ro) mount --bind "$2" "$root$3" && mount -o remount,bind,ro "$root$3" ;;
                *) echo "enter-chroot.sh: unknown option $1" >&2; exit 2 ;;
            esac
            shift 3
        done
        shift
        exec chroot "$root" "$@"

        """

    /// Creates `target` inside the root, refusing symlinks on the way: the kernel would resolve an absolute link
    /// such as `/var/run -> /run` against the host's root, and the bind would land outside the chroot.
    private func ensureDirectoryWithoutSymlinks(_ target: String) throws {
        var current = root
        for component in target.split(separator: "/") {
            current += "/" + component
            var info = stat()
            if lstat(current, &info) == 0 {
                guard (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw TestSupportError("bind target \(target): \(current) exists and is not a directory")
                }
            } else {
                guard mkdir(current, 0o755) == 0 else { throw TestSupportError("mkdir \(current) failed") }
            }
        }
    }
}

/// The cache of debootstrapped images: `<directory>/<suite>-minbase.tar.zst`, built once and reused by every test
/// and test process. The directory is `$PATCHD_TEST_CACHE`, else `/var/cache/patchd-test`; the mirror is
/// `$PATCHD_TEST_DEBIAN_MIRROR`, else http://deb.debian.org/debian. A `.recipe` file beside the tarball records
/// how it was made; a different recipe rebuilds it.
public enum DebianImageCache {
    public static var directory: String {
        ProcessInfo.processInfo.environment["PATCHD_TEST_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "/var/cache/patchd-test"
    }

    public static var mirror: String {
        ProcessInfo.processInfo.environment["PATCHD_TEST_DEBIAN_MIRROR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "http://deb.debian.org/debian"
    }

    /// The tarball's path for `suite`.
    public static func tarball(suite: String) -> String { "\(directory)/\(suite)-minbase.tar.zst" }

    /// The packages debootstrap adds to minbase.
    /// python3-apt for the python3-apt-first step; libcurl4, which patchctl links (its .deb depends on it).
    public static let includedPackages = ["python3-apt", "libcurl4"]

    /// Makes sure the image for `suite` is cached; returns its path and, when this call built it, how long that took.
    public static func ensure(suite: String) throws -> (path: String, built: Duration?) {
        guard geteuid() == 0 else {
            throw TestSupportError(
                "DebianChroot needs root (debootstrap, unshare, chroot); running as uid \(geteuid())")
        }
        // One builder per process (the lock) and per machine (flock on a file beside the tarball).
        processLock.lock()
        defer { processLock.unlock() }
        try TestDirectory.makeDirectories(directory)
        let lockPath = "\(directory)/\(suite)-minbase.lock"
        let fd = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TestSupportError("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw TestSupportError("flock \(lockPath) failed") }
        defer { flock(fd, LOCK_UN) }

        let path = tarball(suite: suite)
        let recipePath = "\(directory)/\(suite)-minbase.recipe"
        let recipe = recipe(suite: suite)
        if FileManager.default.fileExists(atPath: path),
            (try? String(contentsOfFile: recipePath, encoding: .utf8)) == recipe
        {
            return (path, nil)
        }
        let clock = ContinuousClock()
        let start = clock.now
        try build(suite: suite, into: path)
        try TestDirectory.write(recipe, to: recipePath)
        let took = clock.now - start
        FileHandle.standardError.write(Data("patchd-test: built \(path) in \(took)\n".utf8))
        return (path, took)
    }

    private static let processLock = NSLock()

    static func recipe(suite: String) -> String {
        """
        debootstrap --variant=minbase --include=\(includedPackages.joined(separator: ",")) \(suite) ROOT \(mirror)
        cleanup: empty apt lists and archives, sources.list without entries, policy-rc.d exit 101 (v1)

        """
    }

    private static func build(suite: String, into path: String) throws {
        let work = try TestDirectory.make(prefix: "patchd-debootstrap")
        defer { try? TestDirectory.remove(work) }
        let root = work + "/root"
        let argv = [
            "unshare", "--mount", "--propagation", "private", "--", "debootstrap", "--variant=minbase",
            "--include=" + includedPackages.joined(separator: ","), suite, root, mirror,
        ]
        do {
            try TestProcess.runChecked(
                argv, environment: TestProcess.environment(["LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"]),
                timeout: .seconds(1800))
        } catch let error as TestProcessError {
            let log = (try? String(contentsOfFile: root + "/debootstrap/debootstrap.log", encoding: .utf8)) ?? ""
            throw TestSupportError(
                """
                could not build the \(suite) test image: debootstrap failed. It needs root and network access to \
                \(mirror) (set PATCHD_TEST_DEBIAN_MIRROR for another mirror, or put a prebuilt image at \(path)).
                \(error)
                --- debootstrap.log (last 30 lines) ---
                \(log.split(separator: "\n").suffix(30).joined(separator: "\n"))
                """)
        }
        // Hermetic: no Debian lists or downloaded debs (a test's own repository is the only source), no service
        // starts from maintainer scripts.
        try TestProcess.runChecked(
            [
                "find", root + "/var/lib/apt/lists", root + "/var/cache/apt/archives", "-maxdepth", "1", "-type", "f",
                "-delete",
            ], timeout: .seconds(60))
        try TestDirectory.write(
            "# patchd test image: debootstrap's deb.debian.org entry removed; tests add their own sources.\n",
            to: root + "/etc/apt/sources.list")
        try TestDirectory.write("#!/bin/sh\nexit 101\n", to: root + "/usr/sbin/policy-rc.d", mode: 0o755)
        let partial = "\(path).partial"
        try TestProcess.runChecked(
            ["tar", "--numeric-owner", "--zstd", "-cf", partial, "-C", root, "."], timeout: .seconds(600))
        guard rename(partial, path) == 0 else {
            throw TestSupportError("rename \(partial) -> \(path): \(String(cString: strerror(errno)))")
        }
    }
}
