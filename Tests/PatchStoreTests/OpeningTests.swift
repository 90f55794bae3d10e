import Foundation
import PatchCore
import PatchTestSupport
import Testing

@testable import PatchStore

@Suite("Opening: files, permissions, settings, migrations, damage")
struct OpeningTests {
    @Test("a missing state directory is made 0700 with its parents, the database 0600, the WAL too")
    func permissionsOfNewFiles() throws {
        try withStateDirectory { directory in
            let nested = directory + "/var/lib/patchd"
            let store = try PatchStore(directory: nested)
            try store.create(operationRecord())
            #expect(store.path == nested + "/patchd.sqlite")
            #expect(try permissions(nested) == 0o700)
            #expect(try permissions(directory + "/var/lib") == 0o755)
            #expect(try permissions(store.path) == 0o600)
            #expect(try permissions(store.path + "-wal") == 0o600)
            #expect(try permissions(store.path + "-shm") == 0o600)
        }
    }

    @Test("an existing directory is left alone; an existing database loses group and other permissions")
    func permissionsOfExistingFiles() throws {
        try withStateDirectory { directory in
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
            _ = try PatchStore(directory: directory)
            #expect(try permissions(directory) == 0o750)
            let file = directory + "/patchd.sqlite"
            #expect(chmod(file, 0o644) == 0)
            _ = try PatchStore(directory: directory)
            #expect(try permissions(file) == 0o600)
        }
    }

    @Test("a state directory that is a file gives a clear error")
    func directoryIsAFile() throws {
        try withStateDirectory { directory in
            try TestDirectory.write("not a directory", to: directory)
            let error = #expect(throws: StoreError.self) { try PatchStore(directory: directory) }
            #expect(error?.code == .cannotCreateDirectory)
            #expect(error?.message.contains(directory) == true)
        }
    }

    @Test("WAL, synchronous=FULL, a busy timeout")
    func settings() throws {
        try withStore { store, _ in
            let journalMode = try store.pragma("journal_mode")
            let synchronous = try store.pragma("synchronous")
            let busyTimeout = try store.pragma("busy_timeout")
            #expect(journalMode == "wal")
            #expect(synchronous == "2")  // FULL
            #expect(busyTimeout == String(PatchStore.busyTimeoutSeconds * 1000))
        }
    }

    @Test("the common reads search an index, and none sorts")
    func indexes() throws {
        try withStore { store, _ in
            let columns = PatchStore.operationColumns(includeReport: false)
            let searches = [
                PatchStore.OperationQuery.firstPage(columns), PatchStore.OperationQuery.pageBefore(columns),
                PatchStore.OperationQuery.active, PatchStore.PatchStateQuery.inState,
                "SELECT createdAt, seq FROM operation WHERE id = ?", PatchStore.OutboxQuery.nextDue,
            ]
            // Whole-table reads walk the table in its key order; the outbox holds a handful of entries by design
            // (superseded and sent ones are deleted), so reading it in id order beats sorting by due time.
            let orderedScans = [
                PatchStore.PatchStateQuery.all, PatchStore.OutboxQuery.all, PatchStore.OutboxQuery.due,
            ]
            for sql in searches + orderedScans {
                let plan = try store.queryPlan(sql)
                #expect(!plan.isEmpty)
                #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(sql): \(plan)")
                if searches.contains(sql) {
                    // "SCAN t" reads the whole table; "SCAN t USING INDEX" walks an index in order.
                    #expect(!plan.contains { $0.hasPrefix("SCAN ") && !$0.contains("INDEX") }, "\(sql): \(plan)")
                }
            }
        }
    }

    @Test("a database an older patchd left is migrated, and its contents kept")
    func migratesExisting() throws {
        try withStateDirectory { directory in
            let record = operationRecord(kind: "Install", status: .success)
            do {
                let old = try PatchStore(
                    directory: directory, clock: PatchStore.systemClock, migratingUpTo: "v1-operations")
                #expect(try old.appliedMigrations() == ["v1-operations"])
                try old.create(record)
            }
            let store = try PatchStore(directory: directory)
            #expect(try store.appliedMigrations() == Schema.migrations)
            #expect(try store.operation(id: record.id) == record)
            try store.replacePatchStates(
                operationId: record.id,
                [PatchStateRecord(name: "a", arch: "all", state: .installed, operationId: record.id)])
            try store.enqueue(kind: "PutInventory", payload: "{}", dedupKey: nil)
            try store.setPendingReboot([], operationId: record.id, bootId: "b")
            // Opening again applies nothing twice.
            let again = try PatchStore(directory: directory)
            #expect(try again.appliedMigrations() == Schema.migrations)
            #expect(try again.patchStates().count == 1)
        }
    }

    @Test("a database from a newer patchd is refused, not damaged")
    func newerSchema() throws {
        try withStateDirectory { directory in
            do {
                let store = try PatchStore(directory: directory)
                try store.execute("INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
            }
            let error = #expect(throws: StoreError.self) { try PatchStore(directory: directory) }
            #expect(error?.code == .newerSchema)
            #expect(error?.message.contains(directory + "/patchd.sqlite") == true)
        }
    }

    /// Files that are not databases.
    enum Garbage: String, CaseIterable, Sendable {
        case text, noise, headerOnly

        var bytes: [UInt8] {
            switch self {
            case .text: return Array("this is not a database\n".utf8)
            case .noise: return (0..<16_384).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }
            case .headerOnly: return Array("SQLite format 3\0".utf8) + [UInt8](repeating: 0xFF, count: 4080)
            }
        }
    }

    @Test("a file that is not a database gives a clear error naming it", arguments: Garbage.allCases)
    func garbage(kind: Garbage) throws {
        try withStateDirectory { directory in
            let file = directory + "/patchd.sqlite"
            try TestDirectory.makeDirectories(directory)
            #expect(FileManager.default.createFile(atPath: file, contents: Data(kind.bytes)))
            let error = #expect(throws: StoreError.self) { try PatchStore(directory: directory) }
            #expect(error?.code == .corrupt)
            #expect(error?.message.contains(file) == true)
            #expect(error?.path == file)
            #expect(error?.underlying != nil)
        }
    }

    @Test("damage inside a database is reported by integrityCheck or as a corrupt error, never a crash")
    func damagedPages() throws {
        try withStateDirectory { directory in
            do {
                let store = try PatchStore(directory: directory)
                for i in 0..<20 {
                    try store.replacePatchStates(
                        operationId: "op-\(i)", StateTests.states(operationId: "op-\(i)", count: 400))
                }
                try store.enqueue(kind: "PutInventory", payload: String(repeating: "x", count: 20_000), dedupKey: nil)
            }
            // Closed: the WAL is checkpointed into the file. Scribble over pages in the middle.
            let file = directory + "/patchd.sqlite"
            let handle = try #require(FileHandle(forUpdatingAtPath: file))
            let size = try handle.seekToEnd()
            #expect(size > 8 * 4096)
            for page in stride(from: 2, to: Int(size / 4096), by: 3) {
                try handle.seek(toOffset: UInt64(page * 4096 + 100))
                try handle.write(contentsOf: Data((0..<600).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ page) }))
            }
            try handle.close()

            var problems: [String] = []
            do {
                let store = try PatchStore(directory: directory)
                problems = try store.integrityCheck()
                if problems.isEmpty { _ = try store.patchStates() }
            } catch let error as StoreError {
                #expect(error.code == .corrupt, "\(error)")
                #expect(error.message.contains(file))
                problems = [error.message]
            }
            #expect(!problems.isEmpty)
        }
    }
}
