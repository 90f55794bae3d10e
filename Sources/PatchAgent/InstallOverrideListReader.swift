public import PatchCore
import Yams

/// Reads an InstallOverrideList: YAML with a top-level `patches:` list of `{id, title}` (other fields ignored, as
/// Patch Manager does).
public enum InstallOverrideListReader {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static func parse(_ text: String, source: String) throws(Failure) -> [InstallOverride] {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw Failure(description: "\(source): not valid YAML: \(error)")
        }
        guard let root = node?.mapping else {
            throw Failure(description: "\(source): expected a mapping with a 'patches' list at the top")
        }
        guard let patches = root["patches"] else {
            throw Failure(description: "\(source): no 'patches' list")
        }
        guard let list = patches.sequence else {
            throw Failure(description: "\(source): line \(patches.mark?.line ?? 0): 'patches' must be a list")
        }
        var out: [InstallOverride] = []
        for (i, item) in list.enumerated() {
            let line = item.mark?.line ?? 0
            guard let entry = item.mapping else {
                throw Failure(description: "\(source): line \(line): patches[\(i)] must be a mapping with an id")
            }
            guard let id = entry["id"]?.scalar?.string, !id.isEmpty else {
                throw Failure(description: "\(source): line \(line): patches[\(i)] must provide an id")
            }
            let title = entry["title"]?.scalar?.string
            for (field, value) in [("id", id), ("title", title ?? "")] where value.utf8.count > 1024 {
                throw Failure(description: "\(source): line \(line): patches[\(i)].\(field) is longer than 1024")
            }
            out.append(InstallOverride(id: id, title: title?.isEmpty == true ? nil : title))
        }
        return out
    }
}
