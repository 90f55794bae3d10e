import Foundation

/// Finds the built `patchctl` for tests that run it as a real process: `$PATCHCTL`, else next to the test bundle
/// (SwiftPM puts products and test bundles in one directory).
public enum PatchctlBinary {
    public static let search: (path: String?, searched: [String]) = BuiltProduct.search("patchctl")

    /// The path, or an error that says where it looked and how to build it.
    public static func path() throws -> String { try BuiltProduct.path("patchctl") }
}

/// Finds a built executable product: `$<NAME in upper case>`, else next to the test bundle.
public enum BuiltProduct {
    public static func search(_ name: String) -> (path: String?, searched: [String]) {
        var candidates: [URL] = []
        func addAncestors(of url: URL) {
            var dir = url.deletingLastPathComponent()
            for _ in 0..<4 {
                candidates.append(dir.appendingPathComponent(name))
                dir = dir.deletingLastPathComponent()
            }
        }
        let variable = name.uppercased().replacingOccurrences(of: "-", with: "_")
        if let explicit = ProcessInfo.processInfo.environment[variable] {
            candidates.append(URL(fileURLWithPath: explicit))
        }
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        if let first = CommandLine.arguments.first {
            addAncestors(of: URL(fileURLWithPath: first, relativeTo: cwd).standardizedFileURL.resolvingSymlinksInPath())
        }
        if let executable = Bundle.main.executableURL { addAncestors(of: executable.resolvingSymlinksInPath()) }
        addAncestors(of: Bundle.main.bundleURL.resolvingSymlinksInPath())
        var seen: Set<String> = []
        let searched = candidates.map(\.path).filter { seen.insert($0).inserted }
        let found = searched.first { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
                && FileManager.default.isExecutableFile(atPath: path)
        }
        return (found, searched)
    }

    /// The path, or an error that says where it looked and how to build it.
    public static func path(_ name: String) throws -> String {
        let result = search(name)
        guard let path = result.path else {
            throw TestSupportError(
                "\(name) was not found next to the test bundle. Build it first (swift build --product \(name), "
                    + "or swift test, which builds every product) or set \(name.uppercased()) to its path. Looked at: "
                    + result.searched.joined(separator: ", "))
        }
        return path
    }
}
