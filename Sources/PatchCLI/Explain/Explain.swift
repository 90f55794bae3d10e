import ArgumentParser
import Foundation
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
        if node.useDaemon {
            let encoded = package.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? package
            let json = try DaemonClient(socket: node.socket).call("GET", "/v1/explain/\(encoded)")
            guard case .array(let decisions)? = json["decisions"], !decisions.isEmpty else {
                print("\(package): not installed, and the baseline approves no version of it")
                return
            }
            for d in decisions {
                print("\(d["id"]?.stringValue ?? ""): \(d["state"]?.stringValue ?? "")")
                print(
                    "  installed: \(d["installedVersion"]?.stringValue ?? "-")   to install: "
                        + "\(d["availableVersion"]?.stringValue ?? "-")")
                if case .array(let steps)? = d["trace"] { for step in steps { print("  \(step.stringValue ?? "")") } }
            }
            return
        }
        var name = package
        var arch: String?
        if let sep = package.lastIndex(where: { $0 == ":" || $0 == "." }) {
            let suffix = String(package[package.index(after: sep)...])
            if Self.architectures.contains(suffix) {
                name = String(package[..<sep])
                arch = suffix
            }
        }
        // Only this package's versions are judged: the trace is the same, and it costs nothing.
        let outcome = try node.scan(explain: true, onlyNames: [name])
        let report = outcome.report
        let decisions = report.evaluation.decisions.filter { arch == nil || $0.key.arch == arch }
        guard !decisions.isEmpty else {
            let offered = outcome.inventory.available.contains { $0.name == name }
            print("\(package): not installed" + (offered ? "" : ", and no repository offers it"))
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

    /// Debian architecture names, to tell `name.arch` from a dotted package name (`libgtk2.0-0`).
    static let architectures: Set<String> = [
        "amd64", "arm64", "armhf", "armel", "i386", "mips64el", "mipsel", "ppc64el", "s390x", "riscv64", "all",
    ]
}
