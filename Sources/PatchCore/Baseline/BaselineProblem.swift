/// One thing wrong with a baseline document, located by its JSON path.
public struct BaselineProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        /// The document would be refused (by the SSM API, or by patchd when it runs it).
        case error
        /// Accepted, but worth knowing (e.g. a field of a newer snapshot format that patchd does not use).
        case warning
    }

    /// A JSON path like `ApprovalRules.PatchRules[1].ApproveAfterDays`, or `line 3, column 7` for syntax errors.
    public var path: String
    public var message: String
    public var severity: Severity

    public init(path: String, message: String, severity: Severity = .error) {
        self.path = path
        self.message = message
        self.severity = severity
    }

    public var description: String {
        severity == .warning ? "\(path): warning: \(message)" : "\(path): \(message)"
    }
}

/// Builds JSON paths: `Root.Key[2].Other`.
struct JSONPath: Sendable, CustomStringConvertible {
    private var text: String

    static let root = JSONPath(text: "")

    private init(text: String) { self.text = text }

    func key(_ k: String) -> JSONPath { JSONPath(text: text.isEmpty ? k : "\(text).\(k)") }
    func index(_ i: Int) -> JSONPath { JSONPath(text: "\(text)[\(i)]") }

    var description: String { text.isEmpty ? "(top level)" : text }
}
