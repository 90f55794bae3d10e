import GRDB
public import PatchCore

/// The keys of the `setting` table, each one value.
enum SettingKey: String {
    case pendingRebootOperationId = "pendingReboot.operationId"
    case pendingRebootBootId = "pendingReboot.bootId"
    case lastSummaryOperationId = "lastSummary.operationId"
    case lastSummaryJSON = "lastSummary.json"
    case lastNoRebootInstallTime = "lastNoRebootInstallTime"
}

extension PatchStore {
    // MARK: - Pending reboot

    /// Records that the packages `keys`, installed by `operationId` in boot `bootId`, wait for a reboot; replaces
    /// whatever was pending.
    public func setPendingReboot(_ keys: Set<PackageKey>, operationId: String, bootId: String) throws(StoreError) {
        try write("recording the pending reboot of operation \(operationId)") { db in
            try db.execute(sql: "DELETE FROM pendingReboot")
            let insert = try db.cachedStatement(sql: "INSERT INTO pendingReboot (name, arch) VALUES (?, ?)")
            for key in keys { try insert.execute(arguments: [key.name, key.arch]) }
            try Self.setSetting(.pendingRebootOperationId, operationId, db)
            try Self.setSetting(.pendingRebootBootId, bootId, db)
        }
    }

    /// The packages waiting for a reboot, and the operation and boot that installed them (nils when nothing is
    /// pending).
    public func pendingReboot() throws(StoreError) -> (keys: Set<PackageKey>, operationId: String?, bootId: String?) {
        try read("reading the pending reboot") { db in
            var keys = Set<PackageKey>()
            let rows = try Row.fetchCursor(db, sql: "SELECT name, arch FROM pendingReboot")
            while let row = try rows.next() {
                keys.insert(PackageKey(name: try row.decode(atIndex: 0), arch: try row.decode(atIndex: 1)))
            }
            return (
                keys, try Self.setting(.pendingRebootOperationId, db), try Self.setting(.pendingRebootBootId, db)
            )
        }
    }

    /// Forgets the pending reboot (after the reboot, or when a Scan finds nothing waiting).
    public func clearPendingReboot() throws(StoreError) {
        try write("clearing the pending reboot") { db in
            try db.execute(sql: "DELETE FROM pendingReboot")
            try Self.setSetting(.pendingRebootOperationId, nil, db)
            try Self.setSetting(.pendingRebootBootId, nil, db)
        }
    }

    // MARK: - Last summary

    /// Records the summary (AWS:PatchSummary, as JSON) of the last operation.
    public func setLastSummary(operationId: String, json: String) throws(StoreError) {
        try write("recording the summary of operation \(operationId)") { db in
            try Self.setSetting(.lastSummaryOperationId, operationId, db)
            try Self.setSetting(.lastSummaryJSON, json, db)
        }
    }

    /// The summary of the last operation, or nil before the first.
    public func lastSummary() throws(StoreError) -> (operationId: String, json: String)? {
        try read("reading the last summary") { db -> (operationId: String, json: String)? in
            guard let id = try Self.setting(.lastSummaryOperationId, db),
                let json = try Self.setting(.lastSummaryJSON, db)
            else { return nil }
            return (id, json)
        }
    }

    // MARK: - LastNoRebootInstallOperationTime

    /// When the last Install with RebootOption NoReboot ended (the summary's LastNoRebootInstallOperationTime).
    public func lastNoRebootInstallTime() throws(StoreError) -> UTCInstant? {
        try read("reading the last NoReboot install time") { db -> UTCInstant? in
            guard let text = try Self.setting(.lastNoRebootInstallTime, db) else { return nil }
            guard let seconds = Int64(text) else {
                throw StoreError(
                    .corrupt, path: path, message: "\(path): lastNoRebootInstallTime is '\(text)', not a number")
            }
            return UTCInstant(secondsSinceEpoch: seconds)
        }
    }

    /// Sets (or, with nil, forgets) the last NoReboot install time.
    public func setLastNoRebootInstallTime(_ time: UTCInstant?) throws(StoreError) {
        try write("recording the last NoReboot install time") { db in
            try Self.setSetting(.lastNoRebootInstallTime, time.map { String($0.secondsSinceEpoch) }, db)
        }
    }

    // MARK: - Upstream values

    /// A value the upstream client keeps (last contact, the ContentHash last accepted per inventory type); keys start
    /// with `upstream.`.
    public func upstreamValue(_ key: String) throws(StoreError) -> String? {
        precondition(key.hasPrefix("upstream."), "upstream values are named upstream.*")
        return try read("reading \(key)") { db in try Self.setting(key, db) }
    }

    public func setUpstreamValue(_ key: String, _ value: String?) throws(StoreError) {
        precondition(key.hasPrefix("upstream."), "upstream values are named upstream.*")
        try write("recording \(key)") { db in try Self.setSetting(key, value, db) }
    }

    /// How many reports wait in the outbox.
    public func outboxDepth() throws(StoreError) -> Int {
        try read("counting the outbox") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0 }
    }

    // MARK: - Settings

    static func setting(_ key: SettingKey, _ db: Database) throws -> String? {
        try setting(key.rawValue, db)
    }

    static func setting(_ key: String, _ db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [key])
    }

    static func setSetting(_ key: SettingKey, _ value: String?, _ db: Database) throws {
        try setSetting(key.rawValue, value, db)
    }

    static func setSetting(_ key: String, _ value: String?, _ db: Database) throws {
        if let value {
            try db.execute(
                sql:
                    "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        } else {
            try db.execute(sql: "DELETE FROM setting WHERE key = ?", arguments: [key])
        }
    }
}
