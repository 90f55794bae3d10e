import Foundation
import PackageManagers

/// The hooks of AWS-RunPatchBaselineWithHooks, as local executables: `pre-install.d/*` before an Install (a failure
/// stops it), `post-install.d/*` after the packages are in and before any reboot, `on-exit.d/*` last (after the
/// reboot, when there is one). Each directory's executables run in name order, with the operation in their
/// environment, a timeout, and their output in the operation's progress.
struct Hooks: Sendable {
    enum Stage: String, Sendable {
        case preInstall = "pre-install"
        case postInstall = "post-install"
        case onExit = "on-exit"
    }

    let directory: String?
    let timeout: Duration
    let runner: any CommandRunning

    /// The executables of a stage, in order (none when hooks are not configured).
    func executables(_ stage: Stage) -> [String] {
        guard let directory else { return [] }
        let dir = directory + "/" + stage.rawValue + ".d"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        return names.filter { !$0.hasPrefix(".") && !$0.hasSuffix("~") }.map { dir + "/" + $0 }
            .filter { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a stage; the first failure ends it and is returned (nil: every hook succeeded).
    func run(
        _ stage: Stage, operationId: String, operation: String, rebootOption: String,
        note: @escaping @Sendable (String) -> Void
    )
        async -> String?
    {
        for path in executables(stage) {
            var environment = CommandSpec.baseEnvironment
            environment["PATCHD_HOOK"] = stage.rawValue
            environment["PATCHD_OPERATION_ID"] = operationId
            environment["PATCHD_OPERATION"] = operation
            environment["PATCHD_REBOOT_OPTION"] = rebootOption
            note("\(stage.rawValue) hook \(path)")
            let outcome: CommandOutcome
            do {
                outcome = try await runner.run(CommandSpec(path, [], environment: environment, timeout: timeout)) {
                    _, line in note("  \(line)")
                }
            } catch {
                return "\(stage.rawValue) hook \(path) could not run: \(error)"
            }
            if !outcome.succeeded {
                return "\(stage.rawValue) hook \(path) failed (\(outcome.summary)): \(outcome.tail(3))"
            }
        }
        return nil
    }
}
