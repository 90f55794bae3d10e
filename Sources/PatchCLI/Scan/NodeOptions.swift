import ArgumentParser
import Foundation
import PackageManagers
import PatchAgent
import PatchCore

/// The options every command that looks at a node shares: which root, which baseline.
struct NodeOptions: ParsableArguments {
    @Option(help: "Look at the system under DIR (a chroot, a mounted disk, an image tree); nothing is run there.")
    var root: String?

    @Flag(help: "Work in this process on this machine, without patchd.")
    var local = false

    @Option(help: "patchd's API socket (used unless --local or --root is given).")
    var socket: String = "/run/patchd/patchd.sock"

    /// Through the daemon, unless the user asked for in-process work.
    var useDaemon: Bool { root == nil && !local }

    @Option(
        help: "Baseline JSON (API form, BaselineOverride array or snapshot). Default: the OS's predefined baseline.")
    var baseline: String?

    func validate() throws {
        if root != nil && local { throw ValidationError("give --root DIR or --local, not both") }
    }

    var rootPath: String { root ?? "/" }

    /// Which OS the root runs; errors say which file and exit 2.
    func operatingSystem() throws -> OperatingSystem {
        do {
            return try AptInventoryReader.detect(root: rootPath).0
        } catch {
            printError("patchctl: \(error)")
            throw ExitStatus.usage
        }
    }

    /// Runs a Scan with the chosen baseline; errors say what and exit 2.
    func scan(explain: Bool = false, onlyNames: Set<String>? = nil, includeNotApplicable: Bool = false) throws
        -> AptScan.Outcome
    {
        let os = try operatingSystem()
        let baseline = try loadBaseline(for: os)
        do {
            var options = AptScan.Options(
                root: rootPath, baseline: baseline, operationTime: currentInstant(), explain: explain,
                onlyNames: onlyNames)
            options.includeNotApplicable = includeNotApplicable
            return try AptScan.run(options, clock: currentInstant)
        } catch {
            printError("patchctl: \(error)")
            throw ExitStatus.usage
        }
    }

    /// The baseline from --baseline for this OS, or nil for the OS default.
    func loadBaseline(for os: OperatingSystem) throws -> PatchBaseline? {
        guard let file = baseline else { return nil }
        let document = try readBaselineDocument(file)
        guard let chosen = document.baseline(for: os) else {
            printError("\(file): no baseline for \(os.rawValue) in this BaselineOverride array")
            throw ExitStatus.invalid
        }
        guard chosen.operatingSystem == os else {
            printError("\(file): the baseline is for \(chosen.operatingSystem.rawValue); this system is \(os.rawValue)")
            throw ExitStatus.invalid
        }
        return chosen
    }
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case json, table
}

/// The current time as PatchCore counts it.
func currentInstant() -> UTCInstant {
    UTCInstant(secondsSinceEpoch: Int64(Date().timeIntervalSince1970.rounded(.down)))
}
