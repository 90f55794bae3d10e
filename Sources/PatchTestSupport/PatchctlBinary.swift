import Foundation

/// Finds the built `patchctl` for tests that run it as a real process: `$PATCHCTL`, else next to the test bundle
/// (SwiftPM puts products and test bundles in one directory).
public enum PatchctlBinary {
    public static let search: (path: String?, searched: [String]) = {
        var candidates: [URL] = []
        func addAncestors(of url: URL) {
            var dir = url.deletingLastPathComponent()
            for _ in 0..<4 {
                candidates.append(dir.appendingPathComponent("patchctl"))
                dir = dir.deletingLastPathComponent()
            }
        }
        if let explicit = ProcessInfo.processInfo.environment["PATCHCTL"] {
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
    }()

    /// The path, or an error that says where it looked and how to build it.
    public static func path() throws -> String {
        guard let path = search.path else {
            throw TestSupportError(
                "patchctl was not found next to the test bundle. Build it first (swift build --product patchctl, "
                    + "or swift test, which builds every product) or set PATCHCTL to its path. Looked at: "
                    + search.searched.joined(separator: ", "))
        }
        return path
    }
}
