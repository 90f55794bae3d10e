#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failure of the state store: what went wrong, on which file, and the error underneath.
///
/// The message always names the file (`/var/lib/patchd/patchd.sqlite: …`) and, where there is one, what to do.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. Opaque so that kinds can be added without breaking `switch`es: compare with
    /// `==` against the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case cannotCreateDirectory = "cannot-create-directory"
            case cannotOpen = "cannot-open"
            case corrupt = "corrupt"
            case newerSchema = "newer-schema"
            case migrationFailed = "migration-failed"
            case busy = "busy"
            case diskFull = "disk-full"
            case ioError = "io-error"
            case notFound = "not-found"
            case invalidArgument = "invalid-argument"
            case databaseError = "database-error"
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// The state directory is missing and could not be made, or is not a directory.
        public static let cannotCreateDirectory = Code(.cannotCreateDirectory)
        /// The database file could not be created, opened or given its permissions.
        public static let cannotOpen = Code(.cannotOpen)
        /// The file is not an SQLite database, or is damaged.
        public static let corrupt = Code(.corrupt)
        /// The database was written by a newer patchd, whose schema this one does not know.
        public static let newerSchema = Code(.newerSchema)
        /// A schema migration failed (the database is left as it was before the migration).
        public static let migrationFailed = Code(.migrationFailed)
        /// Another process held the database lock for longer than the busy timeout.
        public static let busy = Code(.busy)
        /// The file system is full.
        public static let diskFull = Code(.diskFull)
        /// The operating system reported an I/O error.
        public static let ioError = Code(.ioError)
        /// No record with the given id.
        public static let notFound = Code(.notFound)
        /// The caller passed something the store refuses (a duplicate patch id, a changed operation id, …).
        public static let invalidArgument = Code(.invalidArgument)
        /// Any other SQLite error.
        public static let databaseError = Code(.databaseError)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// What went wrong, starting with the file it concerns.
    public var message: String
    /// The database file (or directory) concerned.
    public var path: String
    /// The error underneath: a GRDB `DatabaseError`, an errno, or nil.
    public var underlying: (any Error)?

    public init(_ code: Code, path: String, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }
}

/// An errno value from a failed system call, with the call's name.
struct SystemCallError: Error, CustomStringConvertible, Sendable {
    var call: String
    var errno: Int32

    init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    var description: String { "\(call): \(String(cString: strerror(errno))) (errno \(errno))" }
}
