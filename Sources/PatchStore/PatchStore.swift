import GRDB
public import PatchCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The daemon's durable state: operations, the per-patch states of the last operation, pending reboots, the last
/// summary, and the outbox of reports that must reach the upstream.
///
/// One SQLite file, `patchd.sqlite` (mode 0600), in a state directory (mode 0700), in WAL mode with
/// `synchronous=FULL`: a call that returned has committed, and what it committed survives kill -9 and power loss.
/// Every write is one transaction. Readers run concurrently with the writer (a GRDB `DatabasePool`), so the store is
/// shared freely between tasks and threads. Nothing is cached in memory: every call reads what it returns.
///
/// Calls block the calling thread for the length of one small transaction (an fsync on commit).
public final class PatchStore: Sendable {
    /// The state directory.
    public let directory: String
    /// The database file: `<directory>/patchd.sqlite`.
    public let path: String

    /// The database's file name in the state directory.
    public static let fileName = "patchd.sqlite"
    /// How long a call waits for another process's lock before failing with `StoreError.Code.busy`.
    public static let busyTimeoutSeconds = 10

    /// The wall clock: whole seconds since the epoch.
    public static let systemClock: @Sendable () -> UTCInstant = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UTCInstant(secondsSinceEpoch: Int64(now.tv_sec))
    }

    let pool: DatabasePool
    /// Stamps outbox entries and their retry times.
    let clock: @Sendable () -> UTCInstant

    /// Opens the store in `directory`, creating the directory (0700) and the database (0600) when missing, and
    /// bringing the schema up to date.
    ///
    /// - Throws: `StoreError` naming the file: `.cannotCreateDirectory`, `.cannotOpen`, `.corrupt` (not an SQLite
    ///   database, or damaged), `.newerSchema` (written by a newer patchd), `.migrationFailed`, `.busy`.
    public convenience init(
        directory: String, clock: @escaping @Sendable () -> UTCInstant = PatchStore.systemClock
    ) throws(StoreError) {
        try self.init(directory: directory, clock: clock, migratingUpTo: nil)
    }

    /// Opens the store, migrating up to and including `lastMigration` (nil: all of them). Tests use it to make a
    /// database as an older patchd left it.
    init(directory: String, clock: @escaping @Sendable () -> UTCInstant, migratingUpTo lastMigration: String?)
        throws(StoreError)
    {
        self.directory = directory
        self.clock = clock
        let path = (directory.hasSuffix("/") ? directory : directory + "/") + PatchStore.fileName
        self.path = path
        try FileSystem.makeDirectory(directory)
        try FileSystem.preparePrivateFile(path)

        var configuration = Configuration()
        configuration.label = "patchd"
        configuration.busyMode = .timeout(Double(PatchStore.busyTimeoutSeconds))
        // The daemon reads little at a time: two readers besides the writer are plenty.
        configuration.maximumReaderCount = 2
        configuration.prepareDatabase { db in
            // At most 1 MiB of page cache per connection.
            try db.execute(sql: "PRAGMA cache_size = -1024")
            // Truncate the WAL back to 4 MiB after a checkpoint instead of keeping its largest size.
            try db.execute(sql: "PRAGMA journal_size_limit = 4194304")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw PatchStore.storeError(error, path: path, doing: "opening the database")
        }
        self.pool = pool
        do {
            // Every commit is fsynced to the WAL before it returns, so that the state survives power loss. GRDB sets
            // NORMAL when it turns WAL on, after prepareDatabase: set FULL on the writer afterwards, and check it.
            let synchronous = try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                return try Int.fetchOne(db, sql: "PRAGMA synchronous")
            }
            guard synchronous == 2 else {
                throw StoreError(
                    .cannotOpen, path: path,
                    message: "\(path): SQLite kept synchronous=\(synchronous.map(String.init) ?? "?") instead of FULL")
            }
        } catch {
            throw PatchStore.storeError(error, path: path, doing: "setting synchronous=FULL")
        }

        let migrator = Schema.migrator
        let superseded: Bool
        do {
            superseded = try pool.read { db in try migrator.hasBeenSuperseded(db) }
        } catch {
            throw PatchStore.storeError(error, path: path, doing: "reading the schema version")
        }
        if superseded {
            throw StoreError(
                .newerSchema, path: path,
                message:
                    "\(path) was written by a newer patchd (its schema has migrations this patchd does not know); "
                    + "upgrade patchd, or move the file aside to start with an empty state")
        }
        do {
            if let lastMigration {
                try migrator.migrate(pool, upTo: lastMigration)
            } else {
                try migrator.migrate(pool)
            }
        } catch {
            let mapped = PatchStore.storeError(error, path: path, doing: "migrating the schema")
            if mapped.code == .corrupt || mapped.code == .busy || mapped.code == .diskFull { throw mapped }
            throw StoreError(
                .migrationFailed, path: path,
                message: "\(path): a schema migration failed and was rolled back: \(mapped.message)",
                underlying: error)
        }
    }

    /// The migrations applied to the database, oldest first.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try read("reading the schema version") { db in try Schema.migrator.appliedMigrations(db) }
    }

    /// Runs `PRAGMA integrity_check` and returns the problems it finds: empty when the database is sound.
    public func integrityCheck() throws(StoreError) -> [String] {
        let lines = try read("checking integrity") { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check")
        }
        return lines == ["ok"] ? [] : lines
    }

    // MARK: - Diagnostics for tests

    /// The value of a pragma, as the writer connection sees it.
    func pragma(_ name: String) throws(StoreError) -> String? {
        try write("reading PRAGMA \(name)") { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    /// What SQLite plans for `sql`: one detail line per step (`SEARCH operation USING INDEX …`).
    func queryPlan(_ sql: String) throws(StoreError) -> [String] {
        try read("explaining a query") { db in
            let placeholders = sql.filter { $0 == "?" }.count
            let arguments = StatementArguments([(any DatabaseValueConvertible)?](repeating: nil, count: placeholders))
            return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { row in
                try row.decode(atIndex: 3)
            }
        }
    }

    /// Runs raw SQL in a write transaction.
    func execute(_ sql: String) throws(StoreError) {
        try write("running SQL") { db in try db.execute(sql: sql) }
    }

    // MARK: - Transactions

    /// Runs `body` in one immediate write transaction; the transaction commits when `body` returns and rolls back
    /// when it throws. `body` must not call the store.
    func write<T>(_ what: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.write(body)
        } catch {
            throw PatchStore.storeError(error, path: path, doing: what)
        }
    }

    /// Runs `body` on a reader, in a snapshot of the last committed state. `body` must not call the store.
    func read<T>(_ what: String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw PatchStore.storeError(error, path: path, doing: what)
        }
    }

    /// Turns whatever GRDB or SQLite threw into a `StoreError` that names the file and says what to do.
    static func storeError(_ error: any Error, path: String, doing what: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? DatabaseError else {
            return StoreError(.databaseError, path: path, message: "\(path): \(what): \(error)", underlying: error)
        }
        let detail = "\(error.message ?? "SQLite error") (SQLite code \(error.extendedResultCode.rawValue))"
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return StoreError(
                .corrupt, path: path,
                message:
                    "\(path) is not a patchd database or is damaged (\(detail), while \(what)); stop patchd and move "
                    + "the file aside with its -wal and -shm files: patchd then starts with an empty state",
                underlying: error)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError(
                .busy, path: path,
                message:
                    "\(path) stayed locked by another process for more than \(busyTimeoutSeconds) s while \(what) "
                    + "(\(detail)); is a second patchd running on the same state directory?",
                underlying: error)
        case .SQLITE_FULL:
            return StoreError(
                .diskFull, path: path, message: "\(path): the file system is full while \(what) (\(detail))",
                underlying: error)
        case .SQLITE_IOERR:
            return StoreError(
                .ioError, path: path, message: "\(path): I/O error while \(what) (\(detail))", underlying: error)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH:
            return StoreError(
                .cannotOpen, path: path,
                message: "\(path): cannot open or write the database while \(what) (\(detail)); check its owner "
                    + "and permissions and those of its directory",
                underlying: error)
        default:
            return StoreError(
                .databaseError, path: path, message: "\(path): \(what): \(detail)", underlying: error)
        }
    }
}

// MARK: - Column conversions

extension UTCInstant {
    var databaseValue: Int64 { secondsSinceEpoch }
}

extension Optional where Wrapped == UTCInstant {
    var databaseValue: Int64? { self?.secondsSinceEpoch }
}

func instant(_ seconds: Int64?) -> UTCInstant? { seconds.map(UTCInstant.init(secondsSinceEpoch:)) }
