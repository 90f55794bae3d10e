import PatchCore
import Testing

@testable import PatchStore

@Suite("Patch states, pending reboots, the last summary")
struct StateTests {
    static func states(operationId: String, count: Int = 5) -> [PatchStateRecord] {
        let states: [PatchState] = [.missing, .installed, .installedPendingReboot, .failed, .installedOther]
        return (0..<count).map { i in
            PatchStateRecord(
                name: "pkg\(count - i)", arch: i % 2 == 0 ? "amd64" : "all", state: states[i % states.count],
                installedVersion: i == 0 ? nil : "1.\(i)", availableVersion: i % 2 == 0 ? "2.\(i)" : nil,
                classification: i % 3 == 0 ? "Security" : nil, severity: i == 1 ? "Important" : nil,
                complianceLevel: i == 0 ? .critical : .unspecified,
                cves: i == 0 ? ["CVE-2024-0001", "CVE-2024-0002"] : i == 1 ? [#"odd "quoted" \ value"#] : [],
                installedTime: i == 1 ? UTCInstant(secondsSinceEpoch: 1_700_000_000) : nil, operationId: operationId)
        }
    }

    @Test("patch states round-trip, sorted by name and architecture, filtered by state")
    func patchStates() throws {
        try withStore { store, _ in
            #expect(try store.patchStates().isEmpty)
            let records = Self.states(operationId: "op-1")
            try store.replacePatchStates(operationId: "op-1", records)
            let sorted = records.sorted { ($0.name, $0.arch) < ($1.name, $1.arch) }
            #expect(try store.patchStates() == sorted)
            #expect(try store.patchStates(state: .missing) == sorted.filter { $0.state == .missing })
            #expect(try store.patchStates(state: .notApplicable).isEmpty)
            #expect(records[0].id == "pkg5.amd64")
        }
    }

    @Test("replacing patch states replaces all of them, and stamps the operation")
    func replace() throws {
        try withStore { store, _ in
            try store.replacePatchStates(operationId: "op-1", Self.states(operationId: "op-1", count: 50))
            let newer = Self.states(operationId: "ignored", count: 3)
            try store.replacePatchStates(operationId: "op-2", newer)
            let read = try store.patchStates()
            #expect(read.count == 3)
            #expect(read.allSatisfy { $0.operationId == "op-2" })
            try store.replacePatchStates(operationId: "op-3", [])
            #expect(try store.patchStates().isEmpty)
        }
    }

    @Test("a duplicate name.arch is refused and nothing is replaced")
    func duplicate() throws {
        try withStore { store, _ in
            let records = Self.states(operationId: "op-1")
            try store.replacePatchStates(operationId: "op-1", records)
            let error = #expect(throws: StoreError.self) {
                try store.replacePatchStates(operationId: "op-2", [records[0], records[1], records[0]])
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("pkg5.amd64") == true)
            #expect(try store.patchStates().count == records.count)
        }
    }

    @Test("pending reboot: set, replace, clear")
    func pendingReboot() throws {
        try withStore { store, _ in
            let empty = try store.pendingReboot()
            #expect(empty.keys.isEmpty && empty.operationId == nil && empty.bootId == nil)
            let keys: Set<PackageKey> = [
                PackageKey(name: "linux-image-amd64", arch: "amd64"), PackageKey(name: "libc6", arch: "amd64"),
            ]
            try store.setPendingReboot(keys, operationId: "op-1", bootId: "boot-a")
            var read = try store.pendingReboot()
            #expect(read.keys == keys && read.operationId == "op-1" && read.bootId == "boot-a")

            let other: Set<PackageKey> = [PackageKey(name: "systemd", arch: "amd64")]
            try store.setPendingReboot(other, operationId: "op-2", bootId: "boot-b")
            read = try store.pendingReboot()
            #expect(read.keys == other && read.operationId == "op-2" && read.bootId == "boot-b")

            // A reboot flag without a package list is still a pending reboot.
            try store.setPendingReboot([], operationId: "op-3", bootId: "boot-c")
            read = try store.pendingReboot()
            #expect(read.keys.isEmpty && read.operationId == "op-3")

            try store.clearPendingReboot()
            read = try store.pendingReboot()
            #expect(read.keys.isEmpty && read.operationId == nil && read.bootId == nil)
        }
    }

    @Test("last summary and last NoReboot install time")
    func summary() throws {
        try withStore { store, _ in
            #expect(try store.lastSummary() == nil)
            try store.setLastSummary(operationId: "op-1", json: #"{"missingCount":"3"}"#)
            try store.setLastSummary(operationId: "op-2", json: #"{"missingCount":"0"}"#)
            let summary = try #require(try store.lastSummary())
            #expect(summary.operationId == "op-2" && summary.json == #"{"missingCount":"0"}"#)

            #expect(try store.lastNoRebootInstallTime() == nil)
            let t = UTCInstant(secondsSinceEpoch: 1_714_564_800)
            try store.setLastNoRebootInstallTime(t)
            #expect(try store.lastNoRebootInstallTime() == t)
            try store.setLastNoRebootInstallTime(nil)
            #expect(try store.lastNoRebootInstallTime() == nil)
        }
    }

    @Test("everything survives closing and reopening the store")
    func reopen() throws {
        try withStateDirectory { directory in
            let record = operationRecord(kind: "Install", status: .inProgress)
            let states = Self.states(operationId: record.id, count: 20)
            let keys: Set<PackageKey> = [PackageKey(name: "libc6", arch: "amd64")]
            var outboxId: Int64 = 0
            do {
                let store = try PatchStore(directory: directory)
                try store.create(record)
                try store.replacePatchStates(operationId: record.id, states)
                try store.setPendingReboot(keys, operationId: record.id, bootId: "boot-a")
                try store.setLastSummary(operationId: record.id, json: "{}")
                try store.setLastNoRebootInstallTime(UTCInstant(secondsSinceEpoch: 42))
                outboxId = try store.enqueue(kind: "PutInventory", payload: "{}", dedupKey: "summary")
            }
            let store = try PatchStore(directory: directory)
            #expect(try store.operation(id: record.id) == record)
            #expect(try store.unfinished() == [record])
            #expect(try store.patchStates().count == 20)
            #expect(try store.pendingReboot().keys == keys)
            #expect(try store.lastSummary()?.operationId == record.id)
            #expect(try store.lastNoRebootInstallTime() == UTCInstant(secondsSinceEpoch: 42))
            #expect(try store.pendingOutbox(limit: 10).map(\.id) == [outboxId])
            #expect(try store.integrityCheck().isEmpty)
        }
    }
}
