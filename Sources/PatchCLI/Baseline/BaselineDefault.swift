import ArgumentParser
import PatchCore

/// `patchctl baseline default OS`
struct BaselineDefault: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "default",
        abstract: "Print the predefined default baseline of an operating system as API-form JSON.",
        discussion: "OS is an OperatingSystem value: "
            + OperatingSystem.allCases.map(\.rawValue).joined(separator: ", ")
    )

    @Argument(help: "The OperatingSystem value (e.g. DEBIAN, AMAZON_LINUX_2023).", transform: parseOperatingSystem)
    var os: OperatingSystem

    @Option(help: "api (GetPatchBaseline shape) or snapshot (what an agent downloads).")
    var form: OutputForm = .api

    func run() {
        let baseline = PredefinedBaselines.baseline(for: os)
        switch form {
        case .api: print(JSONWriter.write(BaselineWriter.apiJSON(baseline)))
        case .snapshot: print(JSONWriter.write(BaselineWriter.snapshotJSON(BaselineSnapshot(baseline: baseline))))
        }
    }
}
