import Foundation
import PatchAgent
import PatchCore
import Yams

/// `/etc/patchd/patchd.yaml`: every key optional, defaults in code, errors with file:line.
public struct DaemonConfiguration: Sendable, Equatable {
    public var socketPath = "/run/patchd/patchd.sock"
    /// The group that may read status over the socket (the socket is 0660 root:group).
    public var socketGroup = "patchd"
    public var stateDirectory = "/var/lib/patchd"
    /// The root the daemon manages (`/`; another one for tests and images).
    public var root = "/"
    /// argv of the reboot command.
    public var rebootCommand = ["/usr/bin/systemctl", "reboot"]
    /// How many times a RebootIfNeeded operation may ask for a reboot that never happens before it fails.
    public var maximumRebootAttempts = 3
    /// How long the node has to go down after the reboot command before the attempt counts as failed.
    public var rebootWaitSeconds = 600
    public var scanTimeoutSeconds = 900
    public var installTimeoutSeconds = 7200
    public var lockWaitSeconds = 120
    /// Where the current boot's id is read (a file holding a UUID).
    public var bootIdPath = "/proc/sys/kernel/random/boot_id"
    /// Run `apt-get update` before an Install.
    public var updateBeforeInstall = true
    /// A PEM file of CA certificates trusted for https:// override lists (default: the system's).
    public var caFile: String?
    /// Where the install hooks live (`pre-install.d/`, `post-install.d/`, `on-exit.d/`); nil: no hooks.
    public var hooksDirectory: String?
    public var hookTimeoutSeconds = 600
    /// journald's native-protocol socket (used when systemd connected stderr to the journal).
    public var journalSocket = "/run/systemd/journal/socket"
    /// The control plane's endpoint (AWS SSM JSON API: our hub, or AWS); nil: no control plane.
    public var upstreamEndpoint: String?
    /// The region requests are signed for.
    public var upstreamRegion = "us-east-1"
    /// The local schedule: operations started at cron times (UTC), for nodes without a control plane.
    public var schedule: [ScheduleEntry] = []

    public init() {}

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads a YAML file; a missing file gives the defaults.
    public static func load(path: String) throws(Failure) -> DaemonConfiguration {
        guard FileManager.default.fileExists(atPath: path) else { return DaemonConfiguration() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "\(path): cannot be read")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(_ text: String, file: String) throws(Failure) -> DaemonConfiguration {
        var config = DaemonConfiguration()
        let node: Node?
        do {
            // The basic resolver: every scalar stays text and this reader converts it. The default resolver would
            // compile a dozen regular expressions (ICU) at every start to guess types no key here needs.
            node = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            throw Failure(description: "\(file): \(error)")
        } catch {
            throw Failure(description: "\(file): \(error)")
        }
        guard let node else { return config }
        guard let mapping = node.mapping else {
            throw Failure(description: "\(file):\(node.mark?.line ?? 1): expected key: value pairs")
        }
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            let line = keyNode.mark?.line ?? 0
            func where_() -> String { "\(file):\(line): \(key)" }
            func string() throws(Failure) -> String {
                guard let s = value.scalar?.string, !s.isEmpty else {
                    throw Failure(description: "\(where_()): expected a text value")
                }
                return s
            }
            func int(_ range: ClosedRange<Int>) throws(Failure) -> Int {
                guard let s = value.scalar?.string, let n = Int(s) else {
                    throw Failure(description: "\(where_()): expected a whole number")
                }
                guard range.contains(n) else {
                    throw Failure(description: "\(where_()): \(n) is outside \(range.lowerBound)...\(range.upperBound)")
                }
                return n
            }
            switch key {
            case "socket": config.socketPath = try string()
            case "socket_group": config.socketGroup = try string()
            case "state_directory": config.stateDirectory = try string()
            case "root": config.root = try string()
            case "reboot_command":
                if let list = value.sequence {
                    config.rebootCommand = list.compactMap { $0.scalar?.string }
                } else {
                    config.rebootCommand = try string().split(separator: " ").map(String.init)
                }
                guard config.rebootCommand.first?.hasPrefix("/") == true else {
                    throw Failure(description: "\(where_()): the command must start with an absolute path")
                }
            case "maximum_reboot_attempts": config.maximumRebootAttempts = try int(1...10)
            case "reboot_wait_seconds": config.rebootWaitSeconds = try int(1...86_400)
            case "journal_socket": config.journalSocket = try string()
            case "upstream_endpoint":
                let url = try string()
                guard url.lowercased().hasPrefix("https://") else {
                    throw Failure(description: "\(where_()): the control plane is reached over https:// only")
                }
                config.upstreamEndpoint = url
            case "upstream_region": config.upstreamRegion = try string()
            case "scan_timeout_seconds": config.scanTimeoutSeconds = try int(1...86_400)
            case "install_timeout_seconds": config.installTimeoutSeconds = try int(1...86_400)
            case "lock_wait_seconds": config.lockWaitSeconds = try int(0...3600)
            case "boot_id_path": config.bootIdPath = try string()
            case "ca_file": config.caFile = try string()
            case "hooks_directory": config.hooksDirectory = try string()
            case "hook_timeout_seconds": config.hookTimeoutSeconds = try int(1...86_400)
            case "schedule":
                guard let list = value.sequence else {
                    throw Failure(description: "\(where_()): expected a list of {cron, operation, reboot_option}")
                }
                config.schedule = []
                for item in list {
                    let itemLine = item.mark?.line ?? line
                    guard let entry = item.mapping else {
                        throw Failure(description: "\(file):\(itemLine): schedule: each entry needs cron and operation")
                    }
                    for key in entry.keys.compactMap(\.string)
                    where !["cron", "operation", "reboot_option"].contains(key) {
                        throw Failure(description: "\(file):\(itemLine): schedule: unknown key '\(key)'")
                    }
                    guard let cronText = entry["cron"]?.string else {
                        throw Failure(description: "\(file):\(itemLine): schedule: cron is missing")
                    }
                    let cron: CronExpression
                    do {
                        cron = try CronExpression(cronText)
                    } catch {
                        throw Failure(description: "\(file):\(itemLine): schedule: cron \(error)")
                    }
                    guard let opText = entry["operation"]?.string, let op = PatchReport.Operation(rawValue: opText)
                    else {
                        throw Failure(description: "\(file):\(itemLine): schedule: operation must be Scan or Install")
                    }
                    var reboot = PatchReport.RebootOption.rebootIfNeeded
                    if let r = entry["reboot_option"]?.string {
                        guard let option = PatchReport.RebootOption(rawValue: r) else {
                            throw Failure(
                                description:
                                    "\(file):\(itemLine): schedule: reboot_option must be RebootIfNeeded or NoReboot")
                        }
                        reboot = option
                    }
                    config.schedule.append(ScheduleEntry(cron: cron, operation: op, rebootOption: reboot))
                }
            case "update_before_install":
                switch value.scalar?.string.lowercased() {
                case "true", "yes", "on": config.updateBeforeInstall = true
                case "false", "no", "off": config.updateBeforeInstall = false
                default: throw Failure(description: "\(where_()): expected true or false")
                }
            default:
                throw Failure(description: "\(file):\(line): unknown key '\(key)'")
            }
        }
        return config
    }
}
