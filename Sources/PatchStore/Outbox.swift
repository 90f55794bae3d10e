import GRDB
public import PatchCore

/// A report waiting to go upstream. It stays until it is sent: across restarts, reboots and failed attempts.
public struct OutboxItem: Sendable, Hashable {
    public var id: Int64
    /// What it is, e.g. "PutInventory".
    public var kind: String
    public var payload: String
    /// Entries with the same key supersede each other while unsent (a newer summary replaces an older one).
    public var dedupKey: String?
    public var createdAt: UTCInstant
    /// Failed attempts so far.
    public var attempts: Int
    public var lastError: String?
    public var lastAttemptAt: UTCInstant?
    /// Not to be tried before this time.
    public var nextAttemptAt: UTCInstant

    public init(
        id: Int64, kind: String, payload: String, dedupKey: String?, createdAt: UTCInstant, attempts: Int,
        lastError: String?, lastAttemptAt: UTCInstant?, nextAttemptAt: UTCInstant
    ) {
        self.id = id
        self.kind = kind
        self.payload = payload
        self.dedupKey = dedupKey
        self.createdAt = createdAt
        self.attempts = attempts
        self.lastError = lastError
        self.lastAttemptAt = lastAttemptAt
        self.nextAttemptAt = nextAttemptAt
    }

    /// How long to wait after the `attempts`-th failed attempt: 30 s, doubling, at most 6 hours.
    public static func retryDelaySeconds(afterAttempts attempts: Int) -> Int64 {
        let maximum: Int64 = 6 * 3600
        guard attempts > 0 else { return 0 }
        guard attempts < 20 else { return maximum }
        return min(maximum, 30 << Int64(attempts - 1))
    }
}

extension PatchStore {
    static let outboxColumns =
        "id, kind, payload, dedupKey, createdAt, attempts, lastError, lastAttemptAt, nextAttemptAt"

    /// The reads, named so that a test can check that they use an index.
    enum OutboxQuery {
        static let all = "SELECT \(outboxColumns) FROM outbox ORDER BY id LIMIT ?"
        static let due = "SELECT \(outboxColumns) FROM outbox WHERE nextAttemptAt <= ? ORDER BY id LIMIT ?"
        static let nextDue = "SELECT MIN(nextAttemptAt) FROM outbox"
    }

    /// Queues `payload` to be sent upstream, due now, and returns its id.
    ///
    /// With a `dedupKey`, an unsent entry with the same key is deleted and the new one queued at the end, with a new
    /// id: a sender still holding the old id marks nothing when it finishes, and the new content is still sent.
    @discardableResult
    public func enqueue(kind: String, payload: String, dedupKey: String? = nil) throws(StoreError) -> Int64 {
        let now = clock().databaseValue
        return try write("queueing a \(kind) report") { db -> Int64 in
            if let dedupKey { try db.execute(sql: "DELETE FROM outbox WHERE dedupKey = ?", arguments: [dedupKey]) }
            try db.execute(
                sql: """
                    INSERT INTO outbox (kind, payload, dedupKey, createdAt, attempts, nextAttemptAt)
                    VALUES (?, ?, ?, ?, 0, ?)
                    """,
                arguments: [kind, payload, dedupKey, now, now])
            return db.lastInsertedRowID
        }
    }

    /// Unsent entries, oldest first, at most `limit`; only those due by `dueBy` when given.
    public func pendingOutbox(limit: Int, dueBy: UTCInstant? = nil) throws(StoreError) -> [OutboxItem] {
        guard limit > 0 else { return [] }
        return try read("reading the outbox") { db -> [OutboxItem] in
            let rows: RowCursor
            if let dueBy {
                rows = try Row.fetchCursor(db, sql: OutboxQuery.due, arguments: [dueBy.databaseValue, limit])
            } else {
                rows = try Row.fetchCursor(db, sql: OutboxQuery.all, arguments: [limit])
            }
            var result: [OutboxItem] = []
            while let row = try rows.next() { result.append(try Self.decodeOutboxItem(row)) }
            return result
        }
    }

    /// When the next unsent entry is due, or nil when the outbox is empty: how long the sender may sleep.
    public func nextOutboxAttempt() throws(StoreError) -> UTCInstant? {
        try read("reading the outbox") { db in
            instant(try Int64.fetchOne(db, sql: OutboxQuery.nextDue))
        }
    }

    /// The entry went upstream: it leaves the outbox. An id that is gone (superseded by its dedupKey) is ignored.
    public func markSent(id: Int64) throws(StoreError) {
        try write("removing sent report \(id) from the outbox") { db in
            try db.execute(sql: "DELETE FROM outbox WHERE id = ?", arguments: [id])
        }
    }

    /// Records a failed attempt: one more attempt, the error, and the next attempt after the retry delay.
    ///
    /// - Returns: the entry as updated, or nil when it is gone (superseded by its dedupKey).
    @discardableResult
    public func recordAttempt(id: Int64, error: String) throws(StoreError) -> OutboxItem? {
        let now = clock()
        return try write("recording a failed attempt to send report \(id)") { db -> OutboxItem? in
            guard let attempts = try Int.fetchOne(db, sql: "SELECT attempts FROM outbox WHERE id = ?", arguments: [id])
            else { return nil }
            let next = now.secondsSinceEpoch + OutboxItem.retryDelaySeconds(afterAttempts: attempts + 1)
            try db.execute(
                sql: "UPDATE outbox SET attempts = ?, lastError = ?, lastAttemptAt = ?, nextAttemptAt = ? WHERE id = ?",
                arguments: [attempts + 1, error, now.databaseValue, next, id])
            let row = try Row.fetchOne(
                db, sql: "SELECT \(Self.outboxColumns) FROM outbox WHERE id = ?", arguments: [id])
            return try row.map(Self.decodeOutboxItem)
        }
    }

    private static func decodeOutboxItem(_ row: Row) throws -> OutboxItem {
        OutboxItem(
            id: try row.decode(atIndex: 0), kind: try row.decode(atIndex: 1), payload: try row.decode(atIndex: 2),
            dedupKey: try row.decode(atIndex: 3), createdAt: UTCInstant(secondsSinceEpoch: try row.decode(atIndex: 4)),
            attempts: try row.decode(atIndex: 5), lastError: try row.decode(atIndex: 6),
            lastAttemptAt: instant(try row.decode(atIndex: 7)),
            nextAttemptAt: UTCInstant(secondsSinceEpoch: try row.decode(atIndex: 8)))
    }
}
