/// Checks every constraint the SSM API puts on a baseline, and the ones patchd adds for the baseline's OS
/// (filter keys and values valid for it, patch identifiers in its formats).
public enum BaselineValidator {
    /// Validates a baseline built in code (e.g. a predefined one), with API-form paths.
    public static func validate(_ b: PatchBaseline) -> [BaselineProblem] {
        var problems: [BaselineProblem] = []
        validate(b, at: .root, keys: .api, into: &problems)
        return problems
    }

    static func validate(
        _ b: PatchBaseline, at path: JSONPath, keys: BaselineKeys, into problems: inout [BaselineProblem]
    ) {
        func problem(_ p: JSONPath, _ message: String) {
            problems.append(BaselineProblem(path: p.description, message: message))
        }
        let os = b.operatingSystem
        if let name = b.name {
            checkPattern(name, allowed: isNameCharacter, min: 3, max: 128, at: path.key(keys.name), problem)
        }
        if let d = b.description { checkLength(d, min: 1, max: 1024, at: path.key(keys.description), problem) }
        if let id = b.baselineId, keys.isAPI {
            checkPattern(id, allowed: isBaselineIdCharacter, min: 20, max: 128, at: path.key(keys.baselineId), problem)
        }

        let globalPath = path.key(keys.globalFilters).key(keys.filters)
        validateFilters(b.globalFilters, os: os, at: globalPath, keys: keys, problem)

        let rulesPath = path.key(keys.approvalRules).key(keys.rules)
        if b.approvalRules.count > 10 {
            problem(rulesPath, "has \(b.approvalRules.count) rules; at most 10 are allowed")
        }
        for (i, rule) in b.approvalRules.enumerated() {
            let p = rulesPath.index(i)
            validateFilters(
                rule.filters, os: os, at: p.key(keys.ruleFilterGroup).key(keys.filters), keys: keys, problem)
            if case .afterDays(let days) = rule.approval, !(0...360).contains(days) {
                problem(p.key(keys.approveAfterDays), "\(days) is outside 0...360")
            }
        }

        validatePatchList(b.approvedPatches, os: os, list: .approved, at: path.key(keys.approvedPatches), problem)
        validatePatchList(b.rejectedPatches, os: os, list: .rejected, at: path.key(keys.rejectedPatches), problem)

        let sourcesPath = path.key(keys.sources)
        if !b.sources.isEmpty && !os.isLinux {
            problem(sourcesPath, "alternative patch sources apply to Linux only, not \(os.rawValue)")
        }
        if b.sources.count > 20 { problem(sourcesPath, "has \(b.sources.count) sources; at most 20 are allowed") }
        var sourceNames: [String: Int] = [:]
        for (i, s) in b.sources.enumerated() {
            let p = sourcesPath.index(i)
            checkPattern(s.name, allowed: isNameCharacter, min: 3, max: 50, at: p.key(keys.sourceName), problem)
            if let first = sourceNames[s.name] {
                problem(p.key(keys.sourceName), "\"\(s.name)\" is already the name of source [\(first)]")
            } else {
                sourceNames[s.name] = i
            }
            let productsPath = p.key(keys.sourceProducts)
            if s.products.isEmpty || s.products.count > 20 {
                problem(productsPath, "has \(s.products.count) products; 1 to 20 are required")
            }
            for (j, product) in s.products.enumerated() {
                checkLength(product, min: 1, max: 128, at: productsPath.index(j), problem)
            }
            // The configuration may hold credentials: say what is wrong without echoing it.
            let configurationCount = s.configuration.count
            if configurationCount < 1 || configurationCount > 1024 {
                problem(
                    p.key(keys.sourceConfiguration), "is \(configurationCount) characters long; 1 to 1024 are allowed")
            }
        }

        if keys.isAPI {
            for (i, group) in b.patchGroups.enumerated() {
                checkPattern(
                    group, allowed: isTagCharacter, min: 1, max: 256, at: path.key("PatchGroups").index(i), problem)
            }
            if b.tags.count > 1000 { problem(path.key("Tags"), "has \(b.tags.count) tags; at most 1000 are allowed") }
            for (i, tag) in b.tags.enumerated() {
                let p = path.key("Tags").index(i)
                checkPattern(tag.key, allowed: isTagCharacter, min: 1, max: 128, at: p.key("Key"), problem)
                checkPattern(tag.value, allowed: isTagCharacter, min: 0, max: 256, at: p.key("Value"), problem)
            }
            if let token = b.clientToken { checkLength(token, min: 1, max: 64, at: path.key("ClientToken"), problem) }
        }
    }

    private static func validateFilters(
        _ filters: [PatchFilter], os: OperatingSystem, at path: JSONPath, keys: BaselineKeys,
        _ problem: (JSONPath, String) -> Void
    ) {
        if filters.count > 4 { problem(path, "has \(filters.count) filters; at most 4 are allowed") }
        var seen: [PatchFilterKey: Int] = [:]
        let supported = os.supportedFilterKeys
        for (i, filter) in filters.enumerated() {
            let p = path.index(i)
            if !supported.contains(filter.key) {
                let list = supported.map(\.rawValue).joined(separator: ", ")
                problem(
                    p.key(keys.filterKey),
                    "\(filter.key.rawValue) is not a filter key for \(os.rawValue) baselines (use \(list))")
            }
            if let first = seen[filter.key] {
                problem(p.key(keys.filterKey), "\(filter.key.rawValue) is already used by filter [\(first)]")
            } else {
                seen[filter.key] = i
            }
            let valuesPath = p.key(keys.filterValues)
            if filter.values.isEmpty || filter.values.count > 20 {
                problem(valuesPath, "has \(filter.values.count) values; 1 to 20 are required")
            }
            let allowed = os.allowedValues(for: filter.key)
            for (j, value) in filter.values.enumerated() {
                checkLength(value, min: 1, max: 64, at: valuesPath.index(j), problem)
                if let allowed, value != "*", !allowed.contains(value) {
                    let hint = allowed.first { $0.lowercased() == value.lowercased() }
                    let message =
                        hint.map { "\"\(value)\" is not a \(filter.key.rawValue) value; did you mean \"\($0)\"?" }
                        ?? "\"\(value)\" is not a \(filter.key.rawValue) value for \(os.rawValue) (use "
                        + allowed.joined(separator: ", ") + " or *)"
                    problem(valuesPath.index(j), message)
                }
            }
        }
    }

    private static func validatePatchList(
        _ entries: [String], os: OperatingSystem, list: PatchListKind, at path: JSONPath,
        _ problem: (JSONPath, String) -> Void
    ) {
        if entries.count > 50 { problem(path, "has \(entries.count) entries; at most 50 are allowed") }
        var seen: [String: Int] = [:]
        for (i, entry) in entries.enumerated() {
            let p = path.index(i)
            checkLength(entry, min: 1, max: 100, at: p, problem)
            if let first = seen[entry] {
                problem(p, "\"\(entry)\" is already listed at [\(first)]")
            } else {
                seen[entry] = i
            }
            if !entry.isEmpty, let message = PatchIdentifier.problem(with: entry, os: os, list: list) {
                problem(p, message)
            }
        }
    }

    private static func checkLength(
        _ s: String, min: Int, max: Int, at path: JSONPath, _ problem: (JSONPath, String) -> Void
    ) {
        let n = s.count
        if n < min || n > max {
            problem(path, n == 0 ? "must not be empty" : "is \(n) characters long; \(min) to \(max) are allowed")
        }
    }

    private static func checkPattern(
        _ s: String, allowed: (Unicode.Scalar) -> Bool, min: Int, max: Int, at path: JSONPath,
        _ problem: (JSONPath, String) -> Void
    ) {
        let n = s.count
        if n < min || n > max {
            problem(
                path, n == 0 ? "must not be empty" : "\"\(s)\" is \(n) characters long; \(min) to \(max) are allowed")
            return
        }
        if let bad = s.unicodeScalars.first(where: { !allowed($0) }) {
            let shown = bad.properties.generalCategory == .control ? "U+" + String(bad.value, radix: 16) : String(bad)
            problem(path, "\"\(s)\" contains '\(shown)', which is not allowed here")
        }
    }

    /// `[a-zA-Z0-9_\-.]`: baseline and source names.
    private static func isNameCharacter(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-" || c == ".")
    }

    /// `[a-zA-Z0-9_\-:/]`: baseline ids (ARNs included).
    private static func isBaselineIdCharacter(_ c: Unicode.Scalar) -> Bool {
        c.isASCII
            && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-" || c == ":" || c == "/")
    }

    /// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`: tag keys and values, patch group names.
    private static func isTagCharacter(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .spaceSeparator, .lineSeparator, .paragraphSeparator, .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return "_.:/=+-@".unicodeScalars.contains(c)
        }
    }
}
