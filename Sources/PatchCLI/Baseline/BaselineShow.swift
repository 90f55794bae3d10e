import ArgumentParser
import PatchCore

/// `patchctl baseline show FILE [--os OS] [--form api|snapshot]`
struct BaselineShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Read a baseline in any form and print it in the API or snapshot form.",
        discussion: "For a BaselineOverride array, --os picks the entry (as the agent does for its host)."
    )

    @Argument(help: "A baseline JSON file, or - for standard input.")
    var file: String

    @Option(
        help: "The OperatingSystem whose entry to take from a BaselineOverride array.", transform: parseOperatingSystem)
    var os: OperatingSystem?

    @Option(help: "api or snapshot.")
    var form: OutputForm = .api

    @Flag(help: "Print source configurations in full (they may hold credentials).")
    var showSecrets = false

    func run() throws {
        let document = try readBaselineDocument(file)
        var baseline: PatchBaseline
        if document.form == .overrideList {
            guard let os else {
                printError("\(file): a BaselineOverride array; give --os to pick an entry")
                throw ExitStatus.usage
            }
            guard let entry = document.baseline(for: os) else {
                printError("\(file): no entry for \(os.rawValue)")
                throw ExitStatus.invalid
            }
            baseline = entry
        } else {
            baseline = document.baselines[0]
            if let os, os != baseline.operatingSystem {
                printError("\(file): the baseline is for \(baseline.operatingSystem.rawValue), not \(os.rawValue)")
                throw ExitStatus.invalid
            }
        }
        if !showSecrets {
            for i in baseline.sources.indices { baseline.sources[i].configuration = "<redacted>" }
        }
        switch form {
        case .api: print(JSONWriter.write(BaselineWriter.apiJSON(baseline)))
        case .snapshot:
            var snapshot = document.snapshot ?? BaselineSnapshot(baseline: baseline)
            snapshot.baseline = baseline
            print(JSONWriter.write(BaselineWriter.snapshotJSON(snapshot)))
        }
    }
}
