import ArgumentParser
import PatchCore

/// `patchctl baseline validate FILE...`
struct BaselineValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check baseline files against every constraint of the SSM API.",
        discussion: """
            Accepts the API form (CreatePatchBaseline input, GetPatchBaseline output), a BaselineOverride array and \
            the agent snapshot form. Prints one line per problem, FILE: PATH: message, and exits 1 when any file has \
            an error (warnings alone exit 0). Use - for standard input.
            """
    )

    @Argument(help: "Baseline JSON files.")
    var files: [String]

    @Flag(name: .shortAndLong, help: "Say so for every valid file too.")
    var verbose = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one file") }
    }

    func run() throws {
        var failed = false
        for file in files {
            let bytes: [UInt8]
            do {
                bytes = try readInput(file)
            } catch {
                print("\(file): \(error)")
                failed = true
                continue
            }
            let result = BaselineReader.read(bytes)
            for problem in result.problems { print("\(file): \(problem)") }
            if !result.isValid {
                failed = true
            } else if verbose, let doc = result.document {
                let what = doc.baselines.map { $0.name ?? $0.operatingSystem.rawValue }.joined(separator: ", ")
                print("\(file): valid \(doc.form.rawValue) form (\(what))")
            }
        }
        if failed { throw ExitStatus.invalid }
    }
}
