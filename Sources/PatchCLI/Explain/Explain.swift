import ArgumentParser
import PackageManagers
import PatchAgent
import PatchCore

/// `patchctl explain PACKAGE`: why a package got its state, stage by stage.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the decision trace for one package: which stage kept, approved or rejected which version."
    )

    @Argument(help: "A package name, or name.arch / name:arch.")
    var package: String

    @OptionGroup var node: NodeOptions

    func run() throws {
        let inventory = try node.inventory()
        let baseline = try node.loadBaseline(for: inventory.operatingSystem)
        var name = package
        var arch: String?
        if let sep = package.lastIndex(where: { $0 == ":" || $0 == "." }),
            inventory.architectures.contains(String(package[package.index(after: sep)...]))
                || package[package.index(after: sep)...] == "all"
        {
            name = String(package[..<sep])
            arch = String(package[package.index(after: sep)...])
        }
        // Evaluate only this package's versions: the trace is the same, and it costs nothing.
        var narrowed = inventory
        narrowed.status.installed = inventory.installed.filter { $0.name == name }
        narrowed.available = inventory.available.filter { $0.name == name }
        let report: PatchReport
        do {
            report = try AptScan.run(
                AptScan.Options(
                    root: node.rootPath, baseline: baseline, operationTime: currentInstant(), explain: true),
                inventory: narrowed, finished: currentInstant)
        } catch {
            printError("patchctl explain: \(error)")
            throw ExitStatus.usage
        }
        let decisions = report.evaluation.decisions.filter { arch == nil || $0.key.arch == arch }
        guard !decisions.isEmpty else {
            let known =
                narrowed.available.isEmpty ? "no repository offers it" : "the baseline approves none of its versions"
            print("\(package): not installed, and \(known)")
            print("baseline: \(report.baseline.name ?? "-") (\(report.baseline.operatingSystem.rawValue))")
            return
        }
        for d in decisions {
            print("\(d.id): \(d.state.displayName)")
            print("  installed: \(d.installedVersion ?? "-")   to install: \(d.targetVersion ?? "-")")
            print("  baseline:  \(report.baseline.name ?? "-")   compliance level: \(d.complianceLevel.rawValue)")
            for step in d.trace { print("  \(step)") }
        }
    }
}
