import GRDB

/// The schema, as versioned migrations. A migration, once released, never changes: add a new one.
enum Schema {
    /// The migrations' identifiers, oldest first.
    static let migrations = ["v1-operations", "v2-patch-states", "v3-reboot-and-summary", "v4-outbox"]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-operations") { db in
            // `seq` orders operations created in the same second; `id` is the UUID the API speaks.
            try db.execute(
                sql: """
                    CREATE TABLE operation (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        kind TEXT NOT NULL,
                        status TEXT NOT NULL,
                        requestJSON TEXT NOT NULL,
                        snapshotId TEXT,
                        rebootOption TEXT,
                        createdAt INTEGER NOT NULL,
                        startedAt INTEGER,
                        endedAt INTEGER,
                        bootId TEXT NOT NULL,
                        phase TEXT,
                        rebootAttempts INTEGER NOT NULL DEFAULT 0,
                        progress TEXT,
                        error TEXT,
                        reportJSON TEXT
                    );
                    -- Newest first, a page at a time.
                    CREATE INDEX operation_created ON operation(createdAt, seq);
                    -- The active operation (Pending, InProgress): an index of the few active rows, in order.
                    CREATE INDEX operation_active ON operation(createdAt, seq)
                        WHERE status IN ('Pending', 'InProgress');
                    """)
        }
        migrator.registerMigration("v2-patch-states") { db in
            try db.execute(
                sql: """
                    CREATE TABLE patchState (
                        name TEXT NOT NULL,
                        arch TEXT NOT NULL,
                        state TEXT NOT NULL,
                        installedVersion TEXT,
                        availableVersion TEXT,
                        classification TEXT,
                        severity TEXT,
                        complianceLevel TEXT NOT NULL,
                        cves TEXT NOT NULL,
                        installedTime INTEGER,
                        operationId TEXT NOT NULL,
                        PRIMARY KEY (name, arch)
                    ) WITHOUT ROWID;
                    -- "What is missing?", sorted like the full list.
                    CREATE INDEX patchState_state ON patchState(state, name, arch);
                    """)
        }
        migrator.registerMigration("v3-reboot-and-summary") { db in
            try db.execute(
                sql: """
                    CREATE TABLE pendingReboot (
                        name TEXT NOT NULL,
                        arch TEXT NOT NULL,
                        PRIMARY KEY (name, arch)
                    ) WITHOUT ROWID;
                    -- Single values: the pending reboot's operation and boot, the last summary, ….
                    CREATE TABLE setting (
                        key TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v4-outbox") { db in
            // AUTOINCREMENT: an id is never reused, so a late markSent cannot hit a newer entry.
            try db.execute(
                sql: """
                    CREATE TABLE outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        kind TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        dedupKey TEXT UNIQUE,
                        createdAt INTEGER NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        lastError TEXT,
                        lastAttemptAt INTEGER,
                        nextAttemptAt INTEGER NOT NULL
                    );
                    CREATE INDEX outbox_due ON outbox(nextAttemptAt, id);
                    """)
        }
        return migrator
    }
}
