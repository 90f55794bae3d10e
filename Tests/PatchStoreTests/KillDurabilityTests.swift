import Foundation
import PatchCore
import PatchTestSupport
import Testing

@testable import PatchStore

#if canImport(Glibc)
    import Glibc
#endif

/// What the `patchstore-stress` writer leaves in a store after its first n transactions. It mirrors the cycle that
/// Sources/patchstore-stress/main.swift documents: the step a transaction stands for is (n - 1) % 9.
struct StressState: Equatable, CustomStringConvertible {
    struct Mark: Equatable, CustomStringConvertible {
        var step: Int
        var operationId: String
        var description: String { "step \(step) of \(operationId)" }
    }

    static let cycle = 9

    /// Each operation, with the step of the last transaction that wrote it.
    var operations: [String: Int] = [:]
    var patchStates: Mark?
    var pendingReboot: Mark?
    var outbox: Mark?
    var summary: Mark?

    mutating func apply(step n: Int, operationId id: String) {
        let mark = Mark(step: n, operationId: id)
        switch (n - 1) % Self.cycle {
        case 0, 1, 3, 5: operations[id] = n
        case 2: patchStates = mark
        case 4: pendingReboot = mark
        case 6: outbox = mark
        case 7: summary = mark
        default: pendingReboot = nil
        }
    }

    var description: String {
        let ops = operations.sorted { $0.value < $1.value }.map { "\($0.key)@\($0.value)" }.joined(separator: " ")
        return "operations [\(ops)], patch states \(patchStates?.description ?? "-"), pending reboot "
            + "\(pendingReboot?.description ?? "-"), outbox \(outbox?.description ?? "-"), summary "
            + "\(summary?.description ?? "-")"
    }

    /// Reads the writer's state back from `store`, checking every record against the step it says it was written
    /// by; `problems` lists what does not match.
    static func observe(_ store: PatchStore) throws -> (state: StressState, problems: [String]) {
        var state = StressState()
        var problems: [String] = []
        for op in try store.operations(limit: 1_000_000, includeReport: true) {
            guard let progress = op.progress, progress.hasPrefix("step "), let n = Int(progress.dropFirst(5)) else {
                problems.append("operation \(op.id) has progress \(op.progress ?? "nil")")
                continue
            }
            state.operations[op.id] = n
            let k = (n - 1) % cycle
            let expected: (OperationStatus, String?, Int, Bool, Bool, String?)
            switch k {
            case 0: expected = (.pending, nil, 0, false, false, nil)
            case 1: expected = (.inProgress, "installing", 0, true, false, nil)
            case 3: expected = (.inProgress, "awaiting-reboot", 1, true, false, nil)
            case 5: expected = (.success, nil, 1, true, true, #"{"step":\#(n)}"#)
            default:
                problems.append("operation \(op.id) says step \(n), a step that does not write operations")
                continue
            }
            let actual = (op.status, op.phase, op.rebootAttempts, op.startedAt != nil, op.endedAt != nil, op.reportJSON)
            if actual != expected || op.bootId != "boot-\(n - k)" || op.kind != "Install" {
                problems.append("operation \(op.id) at step \(n) is \(op)")
            }
        }

        let states = try store.patchStates()
        if !states.isEmpty {
            let ids = Set(states.map(\.operationId))
            let versions = Set(states.map(\.availableVersion))
            if states.count == 200, ids.count == 1, versions.count == 1, let version = versions.first ?? nil,
                version.hasPrefix("2.0-"), let n = Int(version.dropFirst(4)), (n - 1) % cycle == 2
            {
                state.patchStates = Mark(step: n, operationId: ids.first!)
                let missing = try store.patchStates(state: .missing)
                if missing.count != 40 || !missing.allSatisfy({ $0.state == .missing }) {
                    problems.append("\(missing.count) patch states are Missing, not 40")
                }
            } else {
                problems.append("\(states.count) patch states of operations \(ids.sorted()) with versions \(versions)")
            }
        }

        let reboot = try store.pendingReboot()
        if let id = reboot.operationId {
            if reboot.keys.count == 3, let boot = reboot.bootId, boot.hasPrefix("boot-"), let n = Int(boot.dropFirst(5))
            {
                state.pendingReboot = Mark(step: n, operationId: id)
            } else {
                problems.append("pending reboot \(reboot)")
            }
        } else if !reboot.keys.isEmpty || reboot.bootId != nil {
            problems.append("pending reboot without an operation: \(reboot)")
        }

        let outbox = try store.pendingOutbox(limit: 10)
        if outbox.count > 1 { problems.append("\(outbox.count) outbox entries, not at most 1: dedupKey failed") }
        if let item = outbox.first {
            if item.dedupKey == "PatchSummary", item.kind == "PutInventory", let mark = parseMark(item.payload) {
                state.outbox = mark
            } else {
                problems.append("outbox entry \(item)")
            }
        }

        if let summary = try store.lastSummary() {
            if let mark = parseMark(summary.json), mark.operationId == summary.operationId {
                state.summary = mark
            } else {
                problems.append("last summary \(summary)")
            }
        }
        return (state, problems)
    }

    /// `{"operationId":"<id>","step":<n>}`.
    static func parseMark(_ json: String) -> Mark? {
        let prefix = #"{"operationId":""#
        guard json.hasPrefix(prefix), json.hasSuffix("}") else { return nil }
        let rest = json.dropFirst(prefix.count).dropLast()
        guard let quote = rest.firstIndex(of: "\"") else { return nil }
        let tail = rest[quote...]
        guard tail.hasPrefix(#"","step":"#), let n = Int(tail.dropFirst(9)) else { return nil }
        return Mark(step: n, operationId: String(rest[..<quote]))
    }
}

@Suite("Durability under kill -9")
struct KillDurabilityTests {
    /// The complete `committed <n> <id>` lines of the writer's output, in order (a line cut by the kill is dropped).
    static func committedLines(_ output: String) -> [(n: Int, id: String)] {
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()  // after the last newline: empty, or a line cut short
        return lines.compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[0] == "committed", let n = Int(fields[1]) else { return nil }
            return (n, String(fields[2]))
        }
    }

    @Test("kill -9 at a random moment loses nothing the writer reported committed", .timeLimit(.minutes(3)))
    func killNine() throws {
        let binary = try BuiltProduct.path("patchstore-stress")
        let seed =
            ProcessInfo.processInfo.environment["PATCHSTORE_KILL_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 1...UInt64.max)
        var random = SplitMix64(seed: seed)
        let root = try TestDirectory.make(prefix: "patchstore-kill")
        defer { try? FileManager.default.removeItem(atPath: root) }
        print("kill -9 durability: \(binary), seed \(seed) (PATCHSTORE_KILL_SEED repeats it)")

        let runs = 10
        var verified = 0
        var totalCommits = 0
        for run in 1...runs {
            let directory = "\(root)/run\(run)"
            let outPath = "\(root)/run\(run).stdout"
            let errPath = "\(root)/run\(run).stderr"
            for path in [outPath, errPath] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            let out = try #require(FileHandle(forWritingAtPath: outPath))
            let err = try #require(FileHandle(forWritingAtPath: errPath))
            defer {
                try? out.close()
                try? err.close()
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [directory]
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice

            let runFor = 200 + random.below(601)
            let clock = ContinuousClock()
            let started = clock.now
            try process.run()
            usleep(UInt32(runFor) * 1000)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let ran = clock.now - started

            let output = String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self)
            let errors = String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
            guard process.terminationReason == .uncaughtSignal, process.terminationStatus == SIGKILL else {
                let message =
                    "run \(run): patchstore-stress ended by itself (status \(process.terminationStatus)) before the "
                    + "kill:\n\(errors)\n\(output.suffix(2000))"
                Issue.record("\(message)")
                continue
            }

            // What the writer printed: steps 1...last, one operation per cycle.
            let lines = Self.committedLines(output)
            let numbered = lines.enumerated().allSatisfy { $0.offset + 1 == $0.element.n }
            #expect(numbered, "run \(run): committed lines are not numbered 1, 2, 3, …")
            var expected = StressState()
            var printedIds: Set<String> = []
            for (i, line) in lines.enumerated() {
                if (line.n - 1) % StressState.cycle != 0 && i > 0 && lines[i - 1].id != line.id {
                    Issue.record("run \(run): step \(line.n) changed operation without a claim")
                }
                expected.apply(step: line.n, operationId: line.id)
                printedIds.insert(line.id)
            }

            let reopening = clock.now
            let store = try PatchStore(directory: directory)
            let reopened = clock.now - reopening
            let checking = clock.now
            let integrity = try store.integrityCheck()
            let checked = clock.now - checking
            #expect(integrity.isEmpty, "run \(run): integrity_check: \(integrity)")
            let (observed, problems) = try StressState.observe(store)
            #expect(problems.isEmpty, "run \(run): \(problems.joined(separator: "\n"))")

            // The kill may fall between a commit and its line: then the store is one step ahead of the output.
            var ahead = expected
            let nextStep = lines.count + 1
            let nextId =
                (nextStep - 1) % StressState.cycle == 0
                ? observed.operations.keys.first { !printedIds.contains($0) } ?? "an operation never printed"
                : lines.last!.id
            ahead.apply(step: nextStep, operationId: nextId)
            let where_: String
            if observed == expected {
                where_ = "at the last printed step"
            } else if observed == ahead {
                where_ = "one step ahead (step \(nextStep) committed, killed before it was printed)"
            } else {
                where_ = "LOST"
                let message =
                    "run \(run): after \(lines.count) printed commits the store holds\n  \(observed)\nexpected\n  "
                    + "\(expected)\nor, one step ahead,\n  \(ahead)"
                Issue.record("\(message)")
            }

            // What patchd does on restart: fail what was active, then carry on writing.
            let unfinished = try store.unfinished()
            #expect(unfinished.count <= 1, "run \(run): \(unfinished.count) active operations")
            for op in unfinished {
                try store.update(id: op.id) {
                    $0.status = .failed
                    $0.error = "interrupted"
                }
            }
            #expect(try store.claimActive(operationRecord()) == nil)
            #expect(try store.integrityCheck().isEmpty)

            if integrity.isEmpty && problems.isEmpty && where_ != "LOST" { verified += 1 }
            totalCommits += lines.count
            print(
                "kill -9 run \(run): ran \(Self.milliseconds(ran)) ms (asked \(runFor)), \(lines.count) commits, "
                    + "\(printedIds.count) operations; reopen \(Self.milliseconds(reopened)) ms, integrity_check "
                    + "\(Self.milliseconds(checked)) ms: clean=\(integrity.isEmpty); store \(where_)")
        }
        print("kill -9 durability: \(verified) of \(runs) runs verified, \(totalCommits) commits checked, seed \(seed)")
        #expect(verified == runs)
    }

    static func milliseconds(_ d: Duration) -> Int {
        let (s, atto) = d.components
        return Int(s) * 1000 + Int(atto / 1_000_000_000_000_000)
    }

    @Test("the committed-line parser keeps only complete lines")
    func parser() {
        let text = "committed 1 a\ncommitted 2 a\nrecovered b\ncommitted 3 a\ncommit"
        #expect(Self.committedLines(text).map(\.n) == [1, 2, 3])
        #expect(Self.committedLines("").isEmpty)
        #expect(
            StressState.parseMark(#"{"operationId":"abc-1","step":42}"#)
                == StressState.Mark(step: 42, operationId: "abc-1"))
        #expect(StressState.parseMark(#"{"step":42}"#) == nil)
    }
}
