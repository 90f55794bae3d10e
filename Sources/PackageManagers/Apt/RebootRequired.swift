import Foundation

/// Debian's reboot flag: `/var/run/reboot-required` (written by packages' maintainer scripts through
/// update-notifier-common or by hand), with the packages that asked in `reboot-required.pkgs`.
public enum RebootRequired {
    public static func read(root: String) -> (required: Bool, packages: [String]) {
        let fs = RootFS(root: root)
        // /var/run is a symlink to /run on current systems; look at both under a foreign root.
        for dir in ["run", "var/run"] where fs.exists(dir + "/reboot-required") {
            let pkgs = (fs.text(dir + "/reboot-required.pkgs") ?? "").split(separator: "\n").map {
                String($0.trimmingSpaces())
            }.filter { !$0.isEmpty }
            var unique: [String] = []
            for p in pkgs where !unique.contains(p) { unique.append(p) }
            return (true, unique)
        }
        return (false, [])
    }
}
