public import ArgumentParser
import PatchCore

/// `patchctl`: the command line of patchd.
public struct Patchctl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "patchctl",
        abstract: "Inspect and drive patchd, the patch agent.",
        version: PatchdVersion.current,
        subcommands: [
            Status.self, Scan.self, Install.self, Cancel.self, Patches.self, History.self, Explain.self,
            BaselineCommand.self,
            VersionCompare.self,
        ]
    )

    public init() {}
}

/// Exit codes shared by the subcommands.
enum ExitStatus {
    /// The input was understood and found wanting (an invalid baseline).
    static let invalid = ExitCode(1)
    /// The command could not do its job with what it was given (bad argument, unreadable file).
    static let usage = ExitCode(2)
    /// A scan or install finished, and the node is not compliant.
    static let nonCompliant = ExitCode(3)
}

extension Patchctl {
    /// The entry point: parses, then runs the chosen subcommand on the async path when it has one.
    public static func runAsMain() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
