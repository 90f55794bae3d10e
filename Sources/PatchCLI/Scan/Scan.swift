import ArgumentParser
import PackageManagers
import PatchAgent
import PatchCore

/// `patchctl scan`: a Scan in-process, without the daemon.
struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a patch baseline against this machine (or another root) and report. Changes nothing.",
        discussion: """
            Reads the OS, dpkg's database, the APT sources and the package lists apt last downloaded, natively \
            (no apt process runs). Run 'apt-get update' first for current lists. Without --local or --root, \
            patchd runs the Scan and this command follows it. Exits 0 when the node is compliant, 3 when it is \
            not, 2 when it cannot be scanned.
            """
    )

    @OptionGroup var node: NodeOptions

    @Option(help: "json or table.")
    var format: ReportFormat = .table

    @Flag(help: "List NotApplicable patches too (JSON).")
    var includeNotApplicable = false

    func run() throws {
        if node.useDaemon {
            if node.baseline != nil {
                throw ValidationError(
                    "--baseline needs --local or --root; patchd takes a BaselineOverride in its request")
            }
            let op = try DaemonClient(socket: node.socket).run(
                .object([("operation", .string("Scan"))]), quiet: format == .json)
            switch format {
            case .json: print(JSONWriter.write(op))
            case .table: print(ReportText.table(op), terminator: "")
            }
            if op["report"]?["summary"]?["compliant"] != .bool(true) { throw ExitStatus.nonCompliant }
            return
        }
        let report = try node.scan(includeNotApplicable: includeNotApplicable).report
        switch format {
        case .json: print(JSONWriter.write(report.json(includeNotApplicable: includeNotApplicable)))
        case .table: print(report.table(), terminator: "")
        }
        if !report.summary.isCompliant { throw ExitStatus.nonCompliant }
    }
}
