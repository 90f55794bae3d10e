// patchstore-stress DIRECTORY
//
// Writes to a PatchStore in DIRECTORY until killed; the kill -9 durability test drives it. After each committed
// transaction it prints `committed <n> <operation id>` and flushes it (one write(2) per line), n counting from 1.
// Every operation goes through the same cycle of nine transactions, so the step a line stands for is (n - 1) % 9:
//
//   0  claimActive    a Pending Install, progress "step n"
//   1  update         InProgress, startedAt, phase "installing", progress "step n"
//   2  replace states 200 patch states of the operation, each availableVersion "2.0-n"
//   3  update         phase "awaiting-reboot", rebootAttempts 1, progress "step n"
//   4  pending reboot 3 packages, the operation, bootId "boot-n"
//   5  update         Success, endedAt, phase nil, reportJSON {"step":n}, progress "step n"
//   6  enqueue        PutInventory {"operationId":"…","step":n}, dedupKey "PatchSummary"
//   7  last summary   {"operationId":"…","step":n}
//   8  clear          the pending reboot
//
// Started on a store left with an active operation, it first marks it Failed and prints `recovered <id>`.
import PatchCore
import PatchStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes `line` and a newline to `fd` with write(2): nothing stays buffered in this process.
func emit(_ line: String, to fd: Int32) {
    var bytes = Array((line + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n < 0 {
            if errno == EINTR { continue }
            exit(3)
        }
        offset += n
    }
    bytes.removeAll()
}

func fail(_ message: String) -> Never {
    emit("patchstore-stress: \(message)", to: 2)
    exit(1)
}

let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    emit("usage: patchstore-stress DIRECTORY", to: 2)
    exit(2)
}

let store: PatchStore
do {
    store = try PatchStore(directory: arguments[1])
} catch {
    fail(error.description)
}

func now() -> UTCInstant { PatchStore.systemClock() }

do {
    for active in try store.unfinished() {
        try store.update(id: active.id) {
            $0.status = .failed
            $0.endedAt = now()
            $0.error = "interrupted: patchstore-stress was killed"
        }
        emit("recovered \(active.id)", to: 1)
    }
} catch {
    fail(error.description)
}

let states: [PatchState] = [.installed, .installedOther, .missing, .installedPendingReboot, .notApplicable]
let levels: [ComplianceLevel] = [.critical, .high, .medium, .low, .unspecified]

func patchStates(operationId: String, step n: Int) -> [PatchStateRecord] {
    (0..<200).map { i in
        PatchStateRecord(
            name: "package-\(i)", arch: i % 7 == 0 ? "all" : "amd64", state: states[i % states.count],
            installedVersion: "1.0-\(i)", availableVersion: "2.0-\(n)", classification: i % 3 == 0 ? "Security" : nil,
            severity: i % 4 == 0 ? "Important" : nil, complianceLevel: levels[i % levels.count],
            cves: i % 5 == 0 ? ["CVE-2024-\(1000 + i)", "CVE-2025-\(2000 + i)"] : [], installedTime: now(),
            operationId: operationId)
    }
}

var n = 0
var operationId = ""
while true {
    n += 1
    do {
        switch (n - 1) % 9 {
        case 0:
            let record = OperationRecord(
                kind: "Install", requestJSON: #"{"Operation":"Install","RebootOption":"NoReboot"}"#,
                snapshotId: "stress", rebootOption: "NoReboot", createdAt: now(), bootId: "boot-\(n)",
                progress: "step \(n)")
            if let active = try store.claimActive(record) { fail("operation \(active.id) is unexpectedly active") }
            operationId = record.id
        case 1:
            try store.update(id: operationId) {
                $0.status = .inProgress
                $0.startedAt = now()
                $0.phase = "installing"
                $0.progress = "step \(n)"
            }
        case 2:
            try store.replacePatchStates(operationId: operationId, patchStates(operationId: operationId, step: n))
        case 3:
            try store.update(id: operationId) {
                $0.phase = "awaiting-reboot"
                $0.rebootAttempts += 1
                $0.progress = "step \(n)"
            }
        case 4:
            let keys: Set<PackageKey> = [
                PackageKey(name: "package-3", arch: "amd64"), PackageKey(name: "package-8", arch: "amd64"),
                PackageKey(name: "package-14", arch: "all"),
            ]
            try store.setPendingReboot(keys, operationId: operationId, bootId: "boot-\(n)")
        case 5:
            try store.update(id: operationId) {
                $0.status = .success
                $0.endedAt = now()
                $0.phase = nil
                $0.reportJSON = #"{"step":\#(n)}"#
                $0.progress = "step \(n)"
            }
        case 6:
            try store.enqueue(
                kind: "PutInventory", payload: #"{"operationId":"\#(operationId)","step":\#(n)}"#,
                dedupKey: "PatchSummary")
        case 7:
            try store.setLastSummary(operationId: operationId, json: #"{"operationId":"\#(operationId)","step":\#(n)}"#)
        default:
            try store.clearPendingReboot()
        }
    } catch {
        fail("step \(n): \(error.description)")
    }
    emit("committed \(n) \(operationId)", to: 1)
}
