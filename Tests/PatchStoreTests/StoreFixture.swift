import Foundation
import PatchCore
import PatchTestSupport
import Synchronization

@testable import PatchStore

#if canImport(Glibc)
    import Glibc
#endif

/// A fresh state directory under a temporary root, removed at the end.
func withStateDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let root = try TestDirectory.make(prefix: "patchstore")
    defer { try? FileManager.default.removeItem(atPath: root) }
    return try body(root + "/state")
}

/// A store in a fresh state directory, with a clock the test sets.
func withStore<T>(_ body: (PatchStore, TestClock) throws -> T) throws -> T {
    try withStateDirectory { directory in
        let clock = TestClock()
        let store = try PatchStore(directory: directory, clock: clock.read)
        return try body(store, clock)
    }
}

/// A clock that only moves when told.
final class TestClock: Sendable {
    // The current time in seconds; read from the store's threads, set by the test.
    private let seconds = Mutex<Int64>(1_714_564_800)  // 2024-05-01T12:00:00Z

    var now: UTCInstant { UTCInstant(secondsSinceEpoch: seconds.withLock { $0 }) }

    func advance(by delta: Int64) { seconds.withLock { $0 += delta } }

    var read: @Sendable () -> UTCInstant { { [self] in now } }
}

/// The permission bits of `path`.
func permissions(_ path: String) throws -> Int {
    var info = stat()
    guard stat(path, &info) == 0 else { throw TestSupportError("stat \(path): \(String(cString: strerror(errno)))") }
    return Int(info.st_mode & 0o7777)
}

func operationRecord(
    id: String = OperationRecord.newId(), kind: String = "Scan", status: OperationStatus = .pending,
    createdAt: Int64 = 1_714_564_800
) -> OperationRecord {
    OperationRecord(
        id: id, kind: kind, status: status, requestJSON: #"{"Operation":"\#(kind)"}"#,
        createdAt: UTCInstant(secondsSinceEpoch: createdAt), bootId: "3b1f1c9e-boot")
}
