import Foundation
import Testing

@testable import PatchDaemon

@Suite("Daemon configuration")
struct ConfigurationTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../etc/patchd/patchd.yaml").standardized.path

    @Test("the shipped file parses and says exactly the defaults")
    func shippedFile() throws {
        let config = try DaemonConfiguration.load(path: Self.shipped)
        #expect(config == DaemonConfiguration())
    }

    @Test("a missing file gives the defaults; an empty one too")
    func defaults() throws {
        #expect(try DaemonConfiguration.load(path: "/nonexistent/patchd.yaml") == DaemonConfiguration())
        #expect(try DaemonConfiguration.parse("", file: "x.yaml") == DaemonConfiguration())
    }

    @Test(
        "errors name the file and line",
        arguments: [
            ("socket: /a\nbogus: 1\n", "x.yaml:2: unknown key 'bogus'"),
            ("lock_wait_seconds: 99999\n", "x.yaml:1: lock_wait_seconds: 99999 is outside 0...3600"),
            ("lock_wait_seconds: soon\n", "x.yaml:1: lock_wait_seconds: expected a whole number"),
            ("reboot_command: reboot now\n", "x.yaml:1: reboot_command: the command must start with an absolute path"),
            ("update_before_install: maybe\n", "x.yaml:1: update_before_install: expected true or false"),
            ("- a\n- b\n", "x.yaml:1: expected key: value pairs"),
        ])
    func errors(text: String, message: String) {
        #expect {
            _ = try DaemonConfiguration.parse(text, file: "x.yaml")
        } throws: { "\($0)" == message }
    }

    @Test("values are read")
    func values() throws {
        let config = try DaemonConfiguration.parse(
            "socket: /tmp/s.sock\nreboot_command: [/bin/true, --now]\nmaximum_reboot_attempts: 5\nca_file: /etc/ca.pem\n",
            file: "x.yaml")
        #expect(config.socketPath == "/tmp/s.sock")
        #expect(config.rebootCommand == ["/bin/true", "--now"])
        #expect(config.maximumRebootAttempts == 5)
        #expect(config.caFile == "/etc/ca.pem")
        for (text, value) in [("false", false), ("no", false), ("True", true), ("on", true)] {
            let c = try DaemonConfiguration.parse("update_before_install: \(text)\n", file: "x.yaml")
            #expect(c.updateBeforeInstall == value, "\(text)")
        }
        // Numbers and versions stay text until a key converts them: "1.10" is not the float 1.1.
        #expect(try DaemonConfiguration.parse("socket_group: 1.10\n", file: "x.yaml").socketGroup == "1.10")
    }
}
