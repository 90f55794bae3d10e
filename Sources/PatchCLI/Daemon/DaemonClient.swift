import ArgumentParser
import Foundation
import PatchCore
import Transport

/// `--socket`: where patchd listens.
struct SocketOption: ParsableArguments {
    @Option(help: "patchd's API socket.")
    var socket: String = "/run/patchd/patchd.sock"
}

/// patchctl's side of the local API: requests over the Unix socket, errors said plainly.
struct DaemonClient {
    let socket: String

    /// The JSON body of a successful answer; otherwise the API's message, and an exit status.
    func call(_ method: String, _ path: String, body: JSONValue? = nil, timeout: Duration = .seconds(60)) throws
        -> JSONValue
    {
        let client = UnixSocketClient(socketPath: socket, timeout: timeout)
        let response: HTTPSResponse
        do {
            response = try client.request(
                method, path, body: body.map { Array(JSONWriter.write($0, pretty: false).utf8) })
        } catch {
            if !FileManager.default.fileExists(atPath: socket) {
                printError(
                    "patchd is not running (no socket at \(socket)). Start it (systemctl start patchd) or use --local.")
            } else if error.message.lowercased().contains("permission") {
                printError("access to \(socket) denied: join the patchd group, or run as root")
            } else {
                printError("cannot reach patchd at \(socket): \(error.message)")
            }
            throw ExitStatus.usage
        }
        let json = (try? JSONParser.parse(bytes: response.body)) ?? .null
        guard (200...299).contains(response.status) else {
            let message = json["message"]?.stringValue ?? "HTTP \(response.status)"
            switch response.status {
            case 403: printError("denied: \(message)")
            case 409: printError("busy: \(message)")
            default: printError("patchd: \(message)")
            }
            throw ExitStatus.usage
        }
        return json
    }

    /// Starts an operation and follows its progress until it ends; returns the finished operation.
    func run(_ request: JSONValue, quiet: Bool) throws -> JSONValue {
        let started = try call("POST", "/v1/operations", body: request)
        guard let id = started["id"]?.stringValue else {
            printError("patchd answered without an operation id")
            throw ExitStatus.usage
        }
        if !quiet { printError("operation \(id) started") }
        let terminal = isatty(2) == 1
        var pending: [UInt8] = []
        _ = try? UnixSocketClient(socketPath: socket).stream("/v1/operations/\(id)/events", timeout: .seconds(86_400)) {
            pending.append(contentsOf: $0)
            while let nl = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<nl])
                pending.removeSubrange(...nl)
                guard !quiet, let event = try? JSONParser.parse(bytes: line), let text = event["progress"]?.stringValue
                else { continue }
                // On a terminal, one line that updates; otherwise, a line per message.
                if terminal {
                    FileHandle.standardError.write(Data(("\r\u{1B}[K… " + String(text.prefix(100))).utf8))
                } else {
                    printError("… \(text)")
                }
            }
        }
        if terminal && !quiet { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        return try call("GET", "/v1/operations/\(id)")
    }
}

/// The report of a finished operation, for people: counts first, then what is missing or failed.
enum ReportText {
    static func table(_ operation: JSONValue) -> String {
        guard let report = operation["report"] else {
            return "operation \(operation["id"]?.stringValue ?? "?"): \(operation["status"]?.stringValue ?? "?")"
                + (operation["error"]?.stringValue.map { ": \($0)" } ?? "") + "\n"
        }
        let s = report["summary"] ?? .null
        func n(_ key: String) -> String { s[key]?.integerValue.map(String.init) ?? "0" }
        var out = "\(s["operation"]?.stringValue ?? "") of \(s["product"]?.stringValue ?? "") with "
        out += "\(s["baselineName"]?.stringValue ?? "baseline"): "
        out += (s["compliant"] == .bool(true) ? "COMPLIANT" : "NON-COMPLIANT") + "\n\n"
        for (label, key) in [
            ("Installed", "installedCount"), ("InstalledOther", "installedOtherCount"),
            ("InstalledPendingReboot", "installedPendingRebootCount"), ("InstalledRejected", "installedRejectedCount"),
            ("Missing", "missingCount"), ("Failed", "failedCount"), ("NotApplicable", "notApplicableCount"),
        ] {
            out += label.padding(toLength: 24, withPad: " ", startingAt: 0) + n(key) + "\n"
        }
        if case .array(let patches)? = report["patches"] {
            let listed = patches.filter {
                ["Missing", "Failed", "InstalledRejected", "InstalledPendingReboot"].contains(
                    $0["state"]?.stringValue ?? "")
            }
            if !listed.isEmpty { out += "\n" }
            for p in listed {
                out += "\(p["id"]?.stringValue ?? "")  \(p["state"]?.stringValue ?? "")  "
                out += "\(p["installedVersion"]?.stringValue ?? "-") -> \(p["availableVersion"]?.stringValue ?? "-")\n"
            }
        }
        if let error = operation["error"]?.stringValue { out += "\nerror: \(error)\n" }
        return out
    }
}
