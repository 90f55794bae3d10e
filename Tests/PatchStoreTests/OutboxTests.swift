import PatchCore
import Testing

@testable import PatchStore

@Suite("Outbox")
struct OutboxTests {
    @Test("entries come out oldest first and leave when sent")
    func fifo() throws {
        try withStore { store, clock in
            let a = try store.enqueue(kind: "PutInventory", payload: "a", dedupKey: nil)
            clock.advance(by: 5)
            let b = try store.enqueue(kind: "PutComplianceItems", payload: "b", dedupKey: nil)
            #expect(b > a)
            let pending = try store.pendingOutbox(limit: 10)
            #expect(pending.map(\.payload) == ["a", "b"])
            #expect(pending[0].kind == "PutInventory" && pending[0].dedupKey == nil && pending[0].attempts == 0)
            #expect(pending[0].createdAt == UTCInstant(secondsSinceEpoch: 1_714_564_800))
            #expect(pending[1].createdAt == UTCInstant(secondsSinceEpoch: 1_714_564_805))
            #expect(pending[1].nextAttemptAt == pending[1].createdAt)
            #expect(try store.pendingOutbox(limit: 1).map(\.id) == [a])
            try store.markSent(id: a)
            #expect(try store.pendingOutbox(limit: 10).map(\.id) == [b])
            try store.markSent(id: b)
            #expect(try store.pendingOutbox(limit: 10).isEmpty)
            #expect(try store.nextOutboxAttempt() == nil)
            // An id never comes back.
            #expect(try store.enqueue(kind: "PutInventory", payload: "c", dedupKey: nil) > b)
        }
    }

    @Test("a dedupKey replaces the unsent entry with the same key; marking the old id sent changes nothing")
    func dedup() throws {
        try withStore { store, _ in
            let first = try store.enqueue(kind: "PutInventory", payload: "summary v1", dedupKey: "AWS:PatchSummary")
            let other = try store.enqueue(kind: "PutInventory", payload: "items", dedupKey: "AWS:ComplianceItem")
            let second = try store.enqueue(kind: "PutInventory", payload: "summary v2", dedupKey: "AWS:PatchSummary")
            #expect(second != first)
            #expect(try store.pendingOutbox(limit: 10).map(\.payload) == ["items", "summary v2"])
            // A sender that was sending v1 finishes after v2 was queued: v2 must still go.
            try store.markSent(id: first)
            #expect(try store.pendingOutbox(limit: 10).map(\.id) == [other, second])
            #expect(try store.recordAttempt(id: first, error: "late") == nil)
        }
    }

    @Test("failed attempts count up and push the next attempt back")
    func attempts() throws {
        try withStore { store, clock in
            let id = try store.enqueue(kind: "PutInventory", payload: "p", dedupKey: nil)
            let start = clock.now
            let once = try #require(try store.recordAttempt(id: id, error: "HTTP 503"))
            #expect(once.attempts == 1 && once.lastError == "HTTP 503" && once.lastAttemptAt == start)
            #expect(once.nextAttemptAt.secondsSinceEpoch == start.secondsSinceEpoch + 30)
            #expect(try store.pendingOutbox(limit: 10, dueBy: start).isEmpty)
            #expect(try store.pendingOutbox(limit: 10).map(\.id) == [id])
            #expect(try store.nextOutboxAttempt() == once.nextAttemptAt)

            clock.advance(by: 30)
            #expect(try store.pendingOutbox(limit: 10, dueBy: clock.now).map(\.id) == [id])
            let twice = try #require(try store.recordAttempt(id: id, error: "timed out"))
            #expect(twice.attempts == 2 && twice.lastError == "timed out")
            #expect(twice.nextAttemptAt.secondsSinceEpoch == clock.now.secondsSinceEpoch + 60)
            #expect(try store.pendingOutbox(limit: 10) == [twice])
        }
    }

    @Test(
        "retry delays double from 30 s up to 6 hours",
        arguments: [(0, 0), (1, 30), (2, 60), (5, 480), (10, 15_360), (11, 21_600), (64, 21_600)])
    func retryDelay(attempts: Int, seconds: Int64) {
        #expect(OutboxItem.retryDelaySeconds(afterAttempts: attempts) == seconds)
    }
}
