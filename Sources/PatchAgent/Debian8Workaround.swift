import Foundation
import PatchCore

/// Debian 8 (jessie): Patch Manager comments out jessie-backports (whose archive is gone), trusts the stretch
/// security key, and updates; afterwards everything is put back. A journal written *before* anything changes lets
/// the next start put it back even when this run dies half-way.
struct Debian8Workaround {
    struct ChangedFile {
        var path: String
        /// nil: the file did not exist before (patchd created it; restoring removes it).
        var original: String?
    }

    let root: String
    let changes: [ChangedFile]

    static func journalPath(root: String) -> String { path(root, "var/lib/patchd/debian8-workaround.journal") }

    static func path(_ root: String, _ relative: String) -> String {
        root == "/" ? "/" + relative : root + "/" + relative
    }

    /// The stretch security key as debian-archive-keyring ships it on jessie.
    static let stretchSecurityKey = "usr/share/keyrings/debian-archive-stretch-security-automatic.gpg"
    static let importedKey = "etc/apt/trusted.gpg.d/patchd-stretch-security.gpg"

    static func apply(root: String) throws(AptScan.Failure) -> Debian8Workaround {
        let fm = FileManager.default
        var candidates = [path(root, "etc/apt/sources.list")]
        let dir = path(root, "etc/apt/sources.list.d")
        for name in ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted() where name.hasSuffix(".list") {
            candidates.append(dir + "/" + name)
        }
        var changes: [ChangedFile] = []
        var rewritten: [(String, String)] = []
        for file in candidates {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            var touched = false
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                guard !trimmed.hasPrefix("#"), trimmed.contains("jessie-backports") else { return String(line) }
                touched = true
                return "#patchd-disabled# " + line
            }
            if touched {
                changes.append(ChangedFile(path: file, original: text))
                rewritten.append((file, lines.joined(separator: "\n")))
            }
        }
        let keySource = path(root, stretchSecurityKey)
        let keyTarget = path(root, importedKey)
        let importKey = fm.fileExists(atPath: keySource) && !fm.fileExists(atPath: keyTarget)
        if importKey { changes.append(ChangedFile(path: keyTarget, original: nil)) }

        let workaround = Debian8Workaround(root: root, changes: changes)
        // The journal first: from here on, a crash is recoverable.
        try workaround.writeJournal()
        do {
            for (file, text) in rewritten { try write(text, to: file) }
            if importKey { try fm.copyItem(atPath: keySource, toPath: keyTarget) }
        } catch {
            try? workaround.restore()
            throw AptScan.Failure(description: "Debian 8 workaround could not be applied: \(error)")
        }
        return workaround
    }

    /// Puts every file back as it was and removes the journal.
    func restore() throws(AptScan.Failure) {
        let fm = FileManager.default
        do {
            for change in changes {
                if let original = change.original {
                    try Debian8Workaround.write(original, to: change.path)
                } else if fm.fileExists(atPath: change.path) {
                    try fm.removeItem(atPath: change.path)
                }
            }
            let journal = Debian8Workaround.journalPath(root: root)
            if fm.fileExists(atPath: journal) { try fm.removeItem(atPath: journal) }
        } catch {
            throw AptScan.Failure(description: "Debian 8 workaround could not be undone: \(error)")
        }
    }

    /// If an earlier run left a journal, restores from it; returns what was done, for the report.
    static func recover(root: String) throws(AptScan.Failure) -> String? {
        let journal = journalPath(root: root)
        guard let data = FileManager.default.contents(atPath: journal) else { return nil }
        guard let json = try? JSONParser.parse(bytes: [UInt8](data)), case .array(let entries)? = json["changes"]
        else {
            throw AptScan.Failure(
                description: "\(journal) is damaged; restore the APT sources by hand (jessie-backports lines are "
                    + "prefixed '#patchd-disabled# ') and remove it")
        }
        let changes = entries.compactMap { e -> ChangedFile? in
            guard let p = e["path"]?.stringValue else { return nil }
            return ChangedFile(path: p, original: e["original"]?.stringValue)
        }
        try Debian8Workaround(root: root, changes: changes).restore()
        return "restored the APT sources an interrupted Debian 8 run had changed (\(changes.count) file(s))"
    }

    func writeJournal() throws(AptScan.Failure) {
        let json = JSONValue.object([
            (
                "changes",
                .array(
                    changes.map {
                        .object([("path", .string($0.path)), ("original", $0.original.map(JSONValue.string) ?? .null)])
                    })
            )
        ])
        let journal = Debian8Workaround.journalPath(root: root)
        do {
            try FileManager.default.createDirectory(
                atPath: (journal as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            try Debian8Workaround.write(JSONWriter.write(json), to: journal)
        } catch {
            throw AptScan.Failure(description: "\(journal): cannot write the journal: \(error)")
        }
    }

    /// Writes through a temporary file and a rename (Foundation's atomic write), so a crash leaves the old or the
    /// new file, never half of one.
    static func write(_ text: String, to file: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: file), options: [.atomic])
    }
}
