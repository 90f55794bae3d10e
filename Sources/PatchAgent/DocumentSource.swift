import Foundation
import Transport

/// Where an InstallOverrideList or a BaselineOverride comes from: a local file or an https URL (as Patch Manager
/// accepts them). `s3://` locations need the upstream client's credentials and are refused here with a clear word.
public enum DocumentSource {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static let maximumBytes = 1 << 20

    public static func load(_ location: String, caFile: String? = nil) async throws(Failure) -> [UInt8] {
        let lower = location.lowercased()
        if lower.hasPrefix("s3://") {
            throw Failure(
                description: "\(location): s3:// locations need the control plane's credentials; give an https URL "
                    + "(a pre-signed one works) or a local file")
        }
        if lower.hasPrefix("http://") {
            throw Failure(description: "\(location): only https:// URLs are fetched")
        }
        if lower.hasPrefix("https://") {
            var options = HTTPSClient.Options(caFile: caFile)
            options.maximumBytes = maximumBytes
            do {
                return try await HTTPSClient(options: options).get(location).body
            } catch {
                throw Failure(description: error.description)
            }
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: location, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw Failure(description: "\(location): no such file")
        }
        guard let handle = FileHandle(forReadingAtPath: location) else {
            throw Failure(description: "\(location): cannot be opened")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maximumBytes + 1)) ?? Data()
        guard data.count <= maximumBytes else {
            throw Failure(description: "\(location): larger than \(maximumBytes >> 20) MiB")
        }
        return [UInt8](data)
    }
}
