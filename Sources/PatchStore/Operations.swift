import GRDB
import PatchCore

extension PatchStore {
    static let operationColumns =
        "id, kind, status, requestJSON, snapshotId, rebootOption, createdAt, startedAt, endedAt, bootId, phase, "
        + "rebootAttempts, progress, error, reportJSON"

    /// The common reads, named so that a test can check that they use an index.
    enum OperationQuery {
        static func firstPage(_ columns: String) -> String {
            "SELECT \(columns) FROM operation ORDER BY createdAt DESC, seq DESC LIMIT ?"
        }
        static func pageBefore(_ columns: String) -> String {
            "SELECT \(columns) FROM operation WHERE (createdAt, seq) < (?, ?) ORDER BY createdAt DESC, seq DESC LIMIT ?"
        }
        static let active =
            "SELECT \(operationColumns) FROM operation WHERE status IN ('Pending', 'InProgress') "
            + "ORDER BY createdAt, seq LIMIT ?"
    }

    /// Records a new operation.
    ///
    /// - Throws: `.invalidArgument` when an operation with this id exists.
    public func create(_ record: OperationRecord) throws(StoreError) {
        try write("creating operation \(record.id)") { db in try insertOperation(record, db) }
    }

    /// Records `record` only when no operation is Pending or InProgress, in one transaction: of two concurrent
    /// requests exactly one starts.
    ///
    /// - Returns: nil when `record` was inserted; otherwise the active operation, which is left as it is.
    /// - Throws: `.invalidArgument` when `record` itself is not Pending or InProgress, or its id exists.
    public func claimActive(_ record: OperationRecord) throws(StoreError) -> OperationRecord? {
        guard record.status.isActive else {
            throw StoreError(
                .invalidArgument, path: path,
                message: "\(path): operation \(record.id) is \(record.status.rawValue); only a Pending or InProgress "
                    + "operation can claim the node")
        }
        return try write("claiming the node for operation \(record.id)") { db -> OperationRecord? in
            if let active = try activeOperations(db, limit: 1).first { return active }
            try insertOperation(record, db)
            return nil
        }
    }

    /// Reads, changes and writes back one operation in one transaction, and returns it as written.
    ///
    /// `mutate` must not change the id, and must not call the store.
    /// - Throws: `.notFound` when there is no such operation; `.invalidArgument` when `mutate` changed the id.
    @discardableResult
    public func update(id: String, _ mutate: (inout OperationRecord) -> Void) throws(StoreError) -> OperationRecord {
        try write("updating operation \(id)") { db -> OperationRecord in
            guard var record = try fetchOperation(db, id: id, includeReport: true) else {
                throw StoreError(.notFound, path: path, message: "\(path): no operation \(id)")
            }
            mutate(&record)
            guard record.id == id else {
                throw StoreError(
                    .invalidArgument, path: path,
                    message: "\(path): updating operation \(id) changed its id to \(record.id); ids never change")
            }
            try db.execute(
                sql: """
                    UPDATE operation SET kind = ?, status = ?, requestJSON = ?, snapshotId = ?, rebootOption = ?,
                        createdAt = ?, startedAt = ?, endedAt = ?, bootId = ?, phase = ?, rebootAttempts = ?,
                        progress = ?, error = ?, reportJSON = ?
                    WHERE id = ?
                    """,
                arguments: [
                    record.kind, record.status.rawValue, record.requestJSON, record.snapshotId, record.rebootOption,
                    record.createdAt.databaseValue, record.startedAt.databaseValue, record.endedAt.databaseValue,
                    record.bootId, record.phase, record.rebootAttempts, record.progress, record.error,
                    record.reportJSON, id,
                ])
            return record
        }
    }

    /// The operation with this id, with its report, or nil.
    public func operation(id: String) throws(StoreError) -> OperationRecord? {
        try read("reading operation \(id)") { db in try fetchOperation(db, id: id, includeReport: true) }
    }

    /// Operations newest first (by `createdAt`, then by order of creation), at most `limit` of them.
    ///
    /// - Parameters:
    ///   - before: the id of the last operation of the previous page: this page starts after it.
    ///   - includeReport: whether to read `reportJSON`, which can be large; nil in the records when false.
    /// - Throws: `.notFound` when `before` names no operation.
    public func operations(limit: Int, before: String? = nil, includeReport: Bool = false) throws(StoreError)
        -> [OperationRecord]
    {
        guard limit > 0 else { return [] }
        return try read("listing operations") { db -> [OperationRecord] in
            let columns = Self.operationColumns(includeReport: includeReport)
            let rows: RowCursor
            if let before {
                guard
                    let cursor = try Row.fetchOne(
                        db, sql: "SELECT createdAt, seq FROM operation WHERE id = ?", arguments: [before])
                else {
                    throw StoreError(
                        .notFound, path: path, message: "\(path): no operation \(before) to list operations before")
                }
                let createdAt: Int64 = try cursor.decode(atIndex: 0)
                let seq: Int64 = try cursor.decode(atIndex: 1)
                rows = try Row.fetchCursor(
                    db, sql: OperationQuery.pageBefore(columns), arguments: [createdAt, seq, limit])
            } else {
                rows = try Row.fetchCursor(db, sql: OperationQuery.firstPage(columns), arguments: [limit])
            }
            var result: [OperationRecord] = []
            while let row = try rows.next() { result.append(try decodeOperation(row)) }
            return result
        }
    }

    /// The Pending and InProgress operations, oldest first: what a restart must resume or fail.
    public func unfinished() throws(StoreError) -> [OperationRecord] {
        try read("listing unfinished operations") { db in try activeOperations(db, limit: nil) }
    }

    /// Deletes finished operations beyond the newest `keepingNewest`; active ones are always kept.
    ///
    /// - Returns: how many were deleted.
    @discardableResult
    public func pruneOperations(keepingNewest: Int) throws(StoreError) -> Int {
        try write("pruning operations") { db -> Int in
            try db.execute(
                sql: """
                    DELETE FROM operation WHERE status NOT IN ('Pending', 'InProgress') AND seq NOT IN (
                        SELECT seq FROM operation ORDER BY createdAt DESC, seq DESC LIMIT ?)
                    """,
                arguments: [max(0, keepingNewest)])
            return db.changesCount
        }
    }

    // MARK: - Rows

    static func operationColumns(includeReport: Bool) -> String {
        includeReport ? operationColumns : operationColumns.replacingReportColumn()
    }

    private func insertOperation(_ record: OperationRecord, _ db: Database) throws {
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM operation WHERE id = ?", arguments: [record.id]) != nil {
            throw StoreError(.invalidArgument, path: path, message: "\(path): operation \(record.id) already exists")
        }
        try db.execute(
            sql: """
                INSERT INTO operation (id, kind, status, requestJSON, snapshotId, rebootOption, createdAt, startedAt,
                    endedAt, bootId, phase, rebootAttempts, progress, error, reportJSON)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.id, record.kind, record.status.rawValue, record.requestJSON, record.snapshotId,
                record.rebootOption, record.createdAt.databaseValue, record.startedAt.databaseValue,
                record.endedAt.databaseValue, record.bootId, record.phase, record.rebootAttempts, record.progress,
                record.error, record.reportJSON,
            ])
    }

    private func fetchOperation(_ db: Database, id: String, includeReport: Bool) throws -> OperationRecord? {
        let columns = Self.operationColumns(includeReport: includeReport)
        guard let row = try Row.fetchOne(db, sql: "SELECT \(columns) FROM operation WHERE id = ?", arguments: [id])
        else { return nil }
        return try decodeOperation(row)
    }

    private func activeOperations(_ db: Database, limit: Int?) throws -> [OperationRecord] {
        let rows = try Row.fetchCursor(db, sql: OperationQuery.active, arguments: [limit ?? -1])
        var result: [OperationRecord] = []
        while let row = try rows.next() { result.append(try decodeOperation(row)) }
        return result
    }

    private func decodeOperation(_ row: Row) throws -> OperationRecord {
        let id: String = try row.decode(atIndex: 0)
        let statusText: String = try row.decode(atIndex: 2)
        guard let status = OperationStatus(rawValue: statusText) else {
            throw StoreError(
                .corrupt, path: path, message: "\(path): operation \(id) has an unknown status '\(statusText)'")
        }
        return OperationRecord(
            id: id, kind: try row.decode(atIndex: 1), status: status, requestJSON: try row.decode(atIndex: 3),
            snapshotId: try row.decode(atIndex: 4), rebootOption: try row.decode(atIndex: 5),
            createdAt: UTCInstant(secondsSinceEpoch: try row.decode(atIndex: 6)),
            startedAt: instant(try row.decode(atIndex: 7)), endedAt: instant(try row.decode(atIndex: 8)),
            bootId: try row.decode(atIndex: 9), phase: try row.decode(atIndex: 10),
            rebootAttempts: try row.decode(atIndex: 11), progress: try row.decode(atIndex: 12),
            error: try row.decode(atIndex: 13), reportJSON: try row.decode(atIndex: 14))
    }
}

extension String {
    /// The operation column list with `reportJSON` read as NULL.
    fileprivate func replacingReportColumn() -> String {
        precondition(hasSuffix(", reportJSON"))
        return String(dropLast(", reportJSON".count)) + ", NULL AS reportJSON"
    }
}
