import Foundation
import PatchCore
import PatchTestSupport
import Testing

@testable import PatchStore

@Suite("Operations")
struct OperationTests {
    @Test("create and read back every field")
    func roundTrip() throws {
        try withStore { store, _ in
            let full = OperationRecord(
                kind: "Install", status: .inProgress,
                requestJSON: #"{"Operation":"Install","RebootOption":"NoReboot"}"#,
                snapshotId: "0c9b3a5e-6a62-4d4a-9e4f-5a0e2c7d1b11", rebootOption: "NoReboot",
                createdAt: UTCInstant(secondsSinceEpoch: 1_714_564_800),
                startedAt: UTCInstant(secondsSinceEpoch: 1_714_564_801),
                endedAt: UTCInstant(secondsSinceEpoch: 1_714_564_900), bootId: "boot-1", phase: "installing",
                rebootAttempts: 2, progress: "Unpacking openssl (3.0.11-1~deb12u2) …", error: "dpkg: error",
                reportJSON: #"{"summary":{}}"#)
            let sparse = operationRecord()
            try store.create(full)
            try store.create(sparse)
            #expect(try store.operation(id: full.id) == full)
            #expect(try store.operation(id: sparse.id) == sparse)
            #expect(try store.operation(id: "no-such-operation") == nil)
            #expect(full.id.count == 36 && full.id == full.id.lowercased())
        }
    }

    @Test("a second create with the same id is refused")
    func duplicateId() throws {
        try withStore { store, _ in
            let record = operationRecord()
            try store.create(record)
            let error = #expect(throws: StoreError.self) { try store.create(record) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains(record.id) == true)
        }
    }

    @Test("update is a read-modify-write that returns what it wrote")
    func update() throws {
        try withStore { store, _ in
            let record = operationRecord(kind: "Install")
            try store.create(record)
            let updated = try store.update(id: record.id) {
                $0.status = .inProgress
                $0.startedAt = UTCInstant(secondsSinceEpoch: 1_714_564_860)
                $0.phase = "awaiting-reboot"
                $0.rebootAttempts += 1
                $0.progress = "Setting up openssl"
            }
            #expect(updated.status == .inProgress && updated.rebootAttempts == 1)
            #expect(try store.operation(id: record.id) == updated)
            let again = try store.update(id: record.id) { $0.rebootAttempts += 1 }
            #expect(again.rebootAttempts == 2)
            #expect(again.phase == "awaiting-reboot")
        }
    }

    @Test("update of a missing operation, or one that changes the id, fails and writes nothing")
    func updateFailures() throws {
        try withStore { store, _ in
            let missing = #expect(throws: StoreError.self) { try store.update(id: "nope") { $0.error = "x" } }
            #expect(missing?.code == .notFound)
            #expect(missing?.message.contains("nope") == true)
            #expect(missing?.message.contains(store.path) == true)

            let record = operationRecord()
            try store.create(record)
            let changed = #expect(throws: StoreError.self) {
                try store.update(id: record.id) {
                    $0.id = "other"
                    $0.error = "must not be written"
                }
            }
            #expect(changed?.code == .invalidArgument)
            #expect(try store.operation(id: record.id) == record)
            #expect(try store.operation(id: "other") == nil)
        }
    }

    @Test("operations are listed newest first, a page at a time, without reports unless asked")
    func listing() throws {
        try withStore { store, _ in
            // Three in the same second: the order of creation breaks the tie.
            let times: [Int64] = [100, 200, 200, 200, 300, 50]
            var records: [OperationRecord] = []
            for t in times {
                var r = operationRecord(createdAt: t)
                r.status = .success
                r.reportJSON = #"{"t":\#(t)}"#
                try store.create(r)
                records.append(r)
            }
            let newestFirst = [records[4], records[3], records[2], records[1], records[0], records[5]]
            let all = try store.operations(limit: 100, includeReport: true)
            #expect(all == newestFirst)

            let first = try store.operations(limit: 2)
            #expect(first.map(\.id) == newestFirst[0..<2].map(\.id))
            #expect(first.allSatisfy { $0.reportJSON == nil })
            let second = try store.operations(limit: 2, before: first.last!.id)
            #expect(second.map(\.id) == newestFirst[2..<4].map(\.id))
            let third = try store.operations(limit: 2, before: second.last!.id)
            #expect(third.map(\.id) == newestFirst[4..<6].map(\.id))
            #expect(try store.operations(limit: 2, before: third.last!.id).isEmpty)
            #expect(try store.operations(limit: 0).isEmpty)

            let unknown = #expect(throws: StoreError.self) { try store.operations(limit: 2, before: "gone") }
            #expect(unknown?.code == .notFound)
        }
    }

    @Test("unfinished lists Pending and InProgress operations, oldest first")
    func unfinished() throws {
        try withStore { store, _ in
            let statuses: [OperationStatus] = [.success, .inProgress, .failed, .pending, .timedOut, .cancelled]
            var records: [OperationRecord] = []
            for (i, status) in statuses.enumerated() {
                let r = operationRecord(status: status, createdAt: 1000 + Int64(i))
                try store.create(r)
                records.append(r)
            }
            #expect(try store.unfinished() == [records[1], records[3]])
            try store.update(id: records[1].id) { $0.status = .failed }
            try store.update(id: records[3].id) { $0.status = .cancelled }
            #expect(try store.unfinished().isEmpty)
        }
    }

    @Test("claimActive inserts only when nothing is active, and otherwise returns the active operation")
    func claimActive() throws {
        try withStore { store, _ in
            try store.create(operationRecord(status: .success))
            let first = operationRecord(kind: "Install")
            #expect(try store.claimActive(first) == nil)
            let second = operationRecord(kind: "Scan")
            #expect(try store.claimActive(second) == first)
            #expect(try store.operation(id: second.id) == nil)

            try store.update(id: first.id) { $0.status = .inProgress }
            #expect(try store.claimActive(second)?.id == first.id)
            try store.update(id: first.id) { $0.status = .success }
            #expect(try store.claimActive(second) == nil)
            #expect(try store.unfinished() == [second])

            let finished = operationRecord(status: .success)
            let refused = #expect(throws: StoreError.self) { try store.claimActive(finished) }
            #expect(refused?.code == .invalidArgument)
        }
    }

    @Test("of many concurrent claims, through two stores on one file, exactly one wins")
    func claimRace() async throws {
        let root = try TestDirectory.make(prefix: "patchstore")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = try PatchStore(directory: root + "/state")
        let b = try PatchStore(directory: root + "/state")
        let contenders = 48
        let results = await withTaskGroup(of: (String, Result<String?, StoreError>).self) { group in
            for i in 0..<contenders {
                let store = i % 2 == 0 ? a : b
                let record = operationRecord(kind: i % 3 == 0 ? "Scan" : "Install")
                group.addTask {
                    (record.id, Result { () throws(StoreError) -> String? in try store.claimActive(record)?.id })
                }
            }
            var results: [(String, Result<String?, StoreError>)] = []
            for await result in group { results.append(result) }
            return results
        }
        let winners = results.filter { if case .success(nil) = $0.1 { return true } else { return false } }
        #expect(winners.count == 1)
        let winner = try #require(winners.first?.0)
        for (id, result) in results where id != winner {
            #expect(try result.get() == winner)
        }
        #expect(try a.unfinished().map(\.id) == [winner])
        #expect(try b.operations(limit: 100).map(\.id) == [winner])
    }

    @Test("pruning keeps the newest and every active operation")
    func prune() throws {
        try withStore { store, _ in
            var ids: [String] = []
            for i in 0..<10 {
                let r = operationRecord(status: i == 1 ? .inProgress : .success, createdAt: Int64(i))
                try store.create(r)
                ids.append(r.id)
            }
            #expect(try store.pruneOperations(keepingNewest: 3) == 6)
            #expect(try store.operations(limit: 100).map(\.id) == [ids[9], ids[8], ids[7], ids[1]])
        }
    }

    @Test("JSON encoding uses ISO 8601 times and round-trips")
    func codable() throws {
        var record = operationRecord(kind: "Install", status: .timedOut)
        record.startedAt = UTCInstant(secondsSinceEpoch: 1_714_564_801)
        record.error = "timed out after 3600 s"
        let data = try JSONEncoder().encode(record)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""createdAt":"2024-05-01T12:00:00Z""#))
        #expect(text.contains(#""status":"TimedOut""#))
        #expect(!text.contains("endedAt"))
        #expect(try JSONDecoder().decode(OperationRecord.self, from: data) == record)
    }
}
