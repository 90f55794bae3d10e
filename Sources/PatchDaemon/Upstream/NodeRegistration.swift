import Foundation
import PatchCore

/// This node's identity with its control plane, as `patchctl register` stores it in the state directory
/// (`registration.json`, mode 0600, root's): the managed-instance id and its credentials. Never logged or shown with
/// the secret.
public struct NodeRegistration: Sendable, Equatable, CustomStringConvertible {
    public static let fileName = "registration.json"

    public var instanceId: String
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(instanceId: String, accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.instanceId = instanceId
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "\(instanceId) (key \(accessKeyId))" }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads the registration in `stateDirectory`; nil when the node was never registered.
    public static func load(stateDirectory: String) throws(Failure) -> NodeRegistration? {
        let path = stateDirectory + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "\(path): cannot be read")
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes: Array(data))
        } catch {
            throw Failure(description: "\(path): line \(error.line), column \(error.column): \(error.message)")
        }
        func field(_ key: String) throws(Failure) -> String {
            guard let v = json[key]?.stringValue, !v.isEmpty else {
                throw Failure(description: "\(path): \(key) is missing")
            }
            return v
        }
        let registration = NodeRegistration(
            instanceId: try field("InstanceId"), accessKeyId: try field("AccessKeyId"),
            secretAccessKey: try field("SecretAccessKey"), sessionToken: json["SessionToken"]?.stringValue)
        guard registration.instanceId.hasPrefix("mi-") || registration.instanceId.hasPrefix("i-") else {
            throw Failure(description: "\(path): InstanceId \"\(registration.instanceId)\" is not a node id")
        }
        return registration
    }
}
