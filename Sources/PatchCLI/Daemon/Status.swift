import ArgumentParser
import PatchCore

/// `patchctl status`: what patchd is doing and what it last found.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show patchd's state, current and last operation.")

    @OptionGroup var socket: SocketOption

    @Option(help: "json or table.")
    var format: ReportFormat = .table

    func run() throws {
        let json = try DaemonClient(socket: socket.socket).call("GET", "/v1/status")
        if printedAsJSON(json, format) { return }
        print("patchd \(json["version"]?.stringValue ?? "?"): \(json["state"]?.stringValue ?? "?")")
        if let node = json["node"], case .object = node {
            print("node: \(node["product"]?.stringValue ?? "?") (\(node["operatingSystem"]?.stringValue ?? "?"))")
        }
        if let current = json["currentOperation"], case .object = current {
            print("running: \(current["id"]?.stringValue ?? "") (\(current["phase"]?.stringValue ?? ""))")
        }
        if let last = json["lastOperation"], case .object = last {
            print(
                "last: \(last["operation"]?.stringValue ?? "") \(last["status"]?.stringValue ?? "") "
                    + "at \(last["endedAt"]?.stringValue ?? last["createdAt"]?.stringValue ?? "")")
        }
        if let summary = json["summary"], case .object = summary {
            let compliant = summary["compliant"] == .bool(true)
            print(
                "compliance: \(compliant ? "COMPLIANT" : "NON-COMPLIANT") (missing \(summary["missingCount"]?.integerValue ?? 0), "
                    + "failed \(summary["failedCount"]?.integerValue ?? 0), pending reboot "
                    + "\(summary["installedPendingRebootCount"]?.integerValue ?? 0))")
        }
    }
}

/// `patchctl patches`: per-patch states of the last operation.
struct Patches: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the patches of the last operation, by state.")

    @OptionGroup var socket: SocketOption

    @Option(help: "Only this state (Missing, Failed, InstalledPendingReboot, …).")
    var state: String?

    @Option(help: "json or table.")
    var format: ReportFormat = .table

    func run() throws {
        let query =
            state.map { "?state=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? ""
        let json = try DaemonClient(socket: socket.socket).call("GET", "/v1/patches" + query)
        if printedAsJSON(json, format) { return }
        guard case .array(let patches)? = json["patches"] else { return }
        for p in patches {
            print(
                "\(p["id"]?.stringValue ?? "")  \(p["state"]?.stringValue ?? "")  "
                    + "\(p["installedVersion"]?.stringValue ?? "-") -> \(p["availableVersion"]?.stringValue ?? "-")")
        }
    }
}

/// `patchctl history`: the operations patchd ran.
struct History: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List patchd's operations, newest first.")

    @OptionGroup var socket: SocketOption

    @Option(help: "How many.")
    var limit: Int = 20

    @Option(help: "json or table.")
    var format: ReportFormat = .table

    func run() throws {
        let json = try DaemonClient(socket: socket.socket).call("GET", "/v1/operations?limit=\(limit)")
        if printedAsJSON(json, format) { return }
        guard case .array(let ops)? = json["operations"] else { return }
        for op in ops {
            print(
                "\(op["createdAt"]?.stringValue ?? "")  \(op["operation"]?.stringValue ?? "")  "
                    + "\(op["status"]?.stringValue ?? "")  \(op["id"]?.stringValue ?? "")"
                    + (op["error"]?.stringValue.map { "  \($0)" } ?? ""))
        }
    }
}

/// `--format json`: prints the API's answer as it is and says so; the table forms print their own.
func printedAsJSON(_ json: JSONValue, _ format: ReportFormat) -> Bool {
    guard format == .json else { return false }
    print(JSONWriter.write(json))
    return true
}

/// `patchctl cancel`: stops patchd's running operation at its next safe point.
struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel patchd's running operation (root only).",
        discussion: """
            The operation stops at its next safe point and ends Cancelled: a Scan at once; an Install before its next \
            step that changes nothing yet (the dpkg lock wait, apt-get update, the simulation). A package transaction \
            that has started always runs to its end. An Install waiting for its reboot is cancelled at once and the \
            node is not rebooted.
            """)

    @OptionGroup var socket: SocketOption

    @Argument(help: "The operation's id (default: the running one).")
    var id: String?

    @Option(help: "json or table.")
    var format: ReportFormat = .table

    func run() throws {
        let client = DaemonClient(socket: socket.socket)
        var target = id
        if target == nil {
            let status = try client.call("GET", "/v1/status")
            target = status["currentOperation"]?["id"]?.stringValue
        }
        guard let target else {
            printError("no operation is running")
            throw ExitStatus.usage
        }
        let encoded = target.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-"])) ?? target
        let json = try client.call("POST", "/v1/operations/\(encoded)/cancel")
        if printedAsJSON(json, format) { return }
        let state = json["status"]?.stringValue ?? "?"
        print(
            state == "Cancelling"
                ? "\(target): cancelling; it stops at its next safe point" : "\(target): \(state)")
    }
}
