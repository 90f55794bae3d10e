import ArgumentParser
import PatchCore

/// `patchctl baseline …`: patch baselines in their JSON forms.
struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Check, convert and print patch baselines.",
        subcommands: [BaselineValidate.self, BaselineDefault.self, BaselineShow.self]
    )
}

/// Parses an OperatingSystem argument (`DEBIAN`, `debian`, `amazon-linux-2023`).
func parseOperatingSystem(_ argument: String) throws -> OperatingSystem {
    let normalized = argument.uppercased().replacingOccurrences(of: "-", with: "_")
    guard let os = OperatingSystem(rawValue: normalized) else {
        throw ValidationError(
            "'\(argument)' is not an OperatingSystem; use one of "
                + OperatingSystem.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return os
}

enum OutputForm: String, ExpressibleByArgument, CaseIterable {
    case api, snapshot
}
