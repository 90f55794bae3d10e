import PatchTestSupport
import Testing

@testable import PatchDaemon

@Suite("NodeRegistration: registration.json in the state directory")
struct NodeRegistrationTests {
    @Test("absent: not registered; present: read; its description never shows the secret")
    func reads() throws {
        let dir = try TestDirectory.make(prefix: "patchd-registration")
        defer { try? TestDirectory.remove(dir) }
        #expect(try NodeRegistration.load(stateDirectory: dir) == nil)
        try TestDirectory.write(
            #"{"InstanceId": "mi-0123456789abcdef0", "AccessKeyId": "AKIDNODE", "SecretAccessKey": "s3cr3t"}"#,
            to: dir + "/registration.json", mode: 0o600)
        let registration = try #require(try NodeRegistration.load(stateDirectory: dir))
        #expect(registration.instanceId == "mi-0123456789abcdef0")
        #expect(registration.sessionToken == nil)
        #expect(!"\(registration)".contains("s3cr3t"))
    }

    @Test(
        "a broken file is an error naming the file and the problem",
        arguments: [
            (#"{"InstanceId": "mi-1", "AccessKeyId": "A"}"#, "SecretAccessKey is missing"),
            (#"{"InstanceId": "node-1", "AccessKeyId": "A", "SecretAccessKey": "S"}"#, "is not a node id"),
            (#"{"InstanceId": "mi-1", "#, "line 1, column"),
        ])
    func errors(text: String, message: String) throws {
        let dir = try TestDirectory.make(prefix: "patchd-registration")
        defer { try? TestDirectory.remove(dir) }
        try TestDirectory.write(text, to: dir + "/registration.json", mode: 0o600)
        #expect {
            _ = try NodeRegistration.load(stateDirectory: dir)
        } throws: { "\($0)".hasPrefix(dir + "/registration.json: ") && "\($0)".contains(message) }
    }
}
