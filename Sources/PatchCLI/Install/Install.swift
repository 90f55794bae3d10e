import ArgumentParser
import Foundation
import PackageManagers
import PatchAgent
import PatchCore

/// `patchctl install`: an Install in-process, without the daemon.
struct Install: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Install what the baseline approves (or exactly an InstallOverrideList) with the native manager.",
        discussion: """
            Repairs an interrupted dpkg, refreshes the package lists, upgrades python3-apt first, simulates the \
            transaction (nothing removed, nothing rejected under BLOCK, nothing from a non-security origin in a \
            security-only run), installs the chosen versions and reports each patch's state. With \
            RebootIfNeeded and a reboot required, this machine is rebooted after the report (never a --root). \
            Exits 0 when compliant afterwards, 3 when not, 2 when the install could not run.
            """
    )

    @OptionGroup var node: NodeOptions

    @Option(
        name: .customLong("install-override-list"), help: "YAML list of patches to install instead of the baseline.")
    var installOverrideList: String?

    @Option(
        name: .customLong("reboot-option"), help: "RebootIfNeeded or NoReboot.",
        transform: { value in
            guard let option = PatchReport.RebootOption(rawValue: value) else {
                throw ValidationError("use --reboot-option RebootIfNeeded or NoReboot")
            }
            return option
        })
    var rebootOption: PatchReport.RebootOption = .rebootIfNeeded

    @Option(help: "json or table.")
    var format: ReportFormat = .table

    @Flag(help: "Do not run apt-get update first.")
    var noUpdate = false

    @Option(help: "A PEM file of CA certificates to trust for https:// override lists (default: the system's).")
    var caFile: String?

    @Option(help: "Seconds to wait for the dpkg lock.")
    var lockWait: Int = 120

    @Option(help: "The command that reboots this machine (argv, space-separated).")
    var rebootCommand: String = "/usr/bin/systemctl reboot"

    func validate() throws {
        if installOverrideList != nil && node.baseline != nil {
            throw ValidationError("--install-override-list and --baseline cannot be combined (as in Patch Manager)")
        }
    }

    func run() async throws {
        if node.useDaemon {
            if node.baseline != nil {
                throw ValidationError(
                    "--baseline needs --local or --root; patchd takes a BaselineOverride in its request")
            }
            var request: [(key: String, value: JSONValue)] = [
                ("operation", .string("Install")), ("rebootOption", .string(rebootOption.rawValue)),
            ]
            if var list = installOverrideList {
                // patchd reads local files itself, from its own working directory: send an absolute path.
                if !list.contains("://") && !list.hasPrefix("/") {
                    list = FileManager.default.currentDirectoryPath + "/" + list
                }
                request.append(("installOverrideList", .string(list)))
            }
            let op = try DaemonClient(socket: node.socket).run(.object(request), quiet: format == .json)
            switch format {
            case .json: print(JSONWriter.write(op))
            case .table: print(ReportText.table(op), terminator: "")
            }
            if op["report"]?["summary"]?["compliant"] != .bool(true) { throw ExitStatus.nonCompliant }
            return
        }
        let os = try node.operatingSystem()
        let baseline = try node.loadBaseline(for: os)
        var overrides: [InstallOverride]?
        if let source = installOverrideList {
            let bytes: [UInt8]
            do {
                bytes = try await DocumentSource.load(source, caFile: caFile)
            } catch {
                printError("\(error)")
                throw ExitStatus.usage
            }
            do {
                overrides = try InstallOverrideListReader.parse(String(decoding: bytes, as: UTF8.self), source: source)
            } catch {
                printError("\(error)")
                throw ExitStatus.invalid
            }
        }
        var environment: [String: String] = [:]
        for key in ["APT_CONFIG", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"] {
            if let value = ProcessInfo.processInfo.environment[key] { environment[key] = value }
        }
        let options = AptInstall.Options(
            root: node.rootPath, baseline: baseline, installOverrideList: overrides,
            installOverrideListSource: installOverrideList, rebootOption: rebootOption,
            operationTime: currentInstant(), update: !noUpdate, lockWait: .seconds(lockWait),
            extraEnvironment: environment)
        let quiet = format == .json
        let report: PatchReport
        do {
            report = try await AptInstall.run(options, runner: SystemCommandRunner(), clock: currentInstant) { line in
                if !quiet { print("… \(line)") } else { printError("… \(line)") }
            }
        } catch {
            printError("patchctl install: \(error)")
            throw ExitStatus.usage
        }
        switch format {
        case .json: print(JSONWriter.write(report.json()))
        case .table: print(report.table(), terminator: "")
        }
        if rebootOption == .rebootIfNeeded && report.rebootRequired && node.rootPath == "/" {
            let argv = rebootCommand.split(separator: " ").map(String.init)
            printError("rebooting: \(rebootCommand)")
            let outcome = try? await SystemCommandRunner().run(
                CommandSpec(argv[0], Array(argv.dropFirst()), timeout: .seconds(60)))
            if outcome?.succeeded != true {
                printError("reboot command failed: \(outcome?.summary ?? "could not run")")
                throw ExitStatus.usage
            }
        }
        if !report.summary.isCompliant { throw ExitStatus.nonCompliant }
    }
}
