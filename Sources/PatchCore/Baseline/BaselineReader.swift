/// The JSON forms a baseline comes in.
public enum BaselineForm: String, Sendable, Hashable {
    /// CreatePatchBaseline input or GetPatchBaseline output (PascalCase).
    case api
    /// A BaselineOverride document: a JSON array of API-form baselines, one per OS.
    case overrideList
    /// What an agent downloads: `{"patchBaseline": {...camelCase...}, "patchGroup": ..., ...}`.
    case snapshot
}

/// A decoded baseline document.
public struct BaselineDocument: Sendable, Hashable {
    public var form: BaselineForm
    /// One entry for the API and snapshot forms; one per array element for an override list.
    public var baselines: [PatchBaseline]
    /// The instance context, for the snapshot form.
    public var snapshot: BaselineSnapshot?

    /// The baseline that applies to `os`: the only one, or for an override list the entry for that OS.
    public func baseline(for os: OperatingSystem) -> PatchBaseline? {
        switch form {
        case .api, .snapshot: return baselines.first
        case .overrideList: return baselines.first { $0.operatingSystem == os }
        }
    }
}

/// The result of reading a document: what could be understood, and every problem found.
public struct BaselineReadResult: Sendable {
    /// nil when the JSON was malformed or its top level was not a baseline at all.
    public var document: BaselineDocument?
    public var problems: [BaselineProblem]

    public var errors: [BaselineProblem] { problems.filter { $0.severity == .error } }
    public var isValid: Bool { document != nil && errors.isEmpty }
}

/// Reads baseline JSON in any of its forms, reporting problems by JSON path instead of stopping at the first.
public enum BaselineReader {
    /// Reads and validates `bytes`. Every constraint of the SSM API is checked (see `BaselineValidator`).
    public static func read(_ bytes: [UInt8]) -> BaselineReadResult {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes: bytes)
        } catch {
            return BaselineReadResult(
                document: nil,
                problems: [BaselineProblem(path: "line \(error.line), column \(error.column)", message: error.message)])
        }
        return read(json)
    }

    public static func read(_ text: String) -> BaselineReadResult { read(Array(text.utf8)) }

    public static func read(_ json: JSONValue) -> BaselineReadResult {
        var reader = Walker()
        let document: BaselineDocument?
        switch json {
        case .array(let entries):
            var baselines: [PatchBaseline] = []
            // The array index of each decoded entry: entries that are not objects are skipped, not renumbered.
            var indices: [Int] = []
            for (i, entry) in entries.enumerated() {
                if let b = reader.baseline(entry, at: JSONPath.root.index(i), keys: .api, requireName: false) {
                    baselines.append(b)
                    indices.append(i)
                }
            }
            var seen: [OperatingSystem: Int] = [:]
            for (i, b) in zip(indices, baselines) {
                if let first = seen[b.operatingSystem] {
                    reader.problem(
                        JSONPath.root.index(i).key("OperatingSystem"),
                        "\(b.operatingSystem.rawValue) already has an override at [\(first)]; each OS may appear once")
                } else {
                    seen[b.operatingSystem] = i
                }
            }
            document = BaselineDocument(form: .overrideList, baselines: baselines, snapshot: nil)
        case .object(let members):
            if members.contains(where: { $0.key == "patchBaseline" }) {
                document = reader.snapshot(json).map {
                    BaselineDocument(form: .snapshot, baselines: [$0.baseline], snapshot: $0)
                }
            } else {
                let requireName = !members.contains { $0.key == "BaselineId" }
                document = reader.baseline(json, at: .root, keys: .api, requireName: requireName).map {
                    BaselineDocument(form: .api, baselines: [$0], snapshot: nil)
                }
            }
        default:
            reader.problem(
                .root,
                "expected a baseline object, a BaselineOverride array or a snapshot object, found \(json.typeName)")
            document = nil
        }
        return BaselineReadResult(document: document, problems: reader.problems)
    }

    /// Decodes one API-form baseline from an already-parsed value (used for override entries sent by the hub).
    public static func readAPIBaseline(_ json: JSONValue) -> (PatchBaseline?, [BaselineProblem]) {
        var reader = Walker()
        let b = reader.baseline(json, at: .root, keys: .api, requireName: false)
        return (b, reader.problems)
    }
}

/// Walks a JSON tree, building the model and collecting problems.
private struct Walker {
    var problems: [BaselineProblem] = []

    mutating func problem(_ path: JSONPath, _ message: String, _ severity: BaselineProblem.Severity = .error) {
        problems.append(BaselineProblem(path: path.description, message: message, severity: severity))
    }

    /// Members of an object, with tracking of which keys were used so the rest can be reported.
    struct Fields {
        let members: [(key: String, value: JSONValue)]
        let path: JSONPath
        var used: Set<String> = []

        mutating func take(_ key: String) -> JSONValue? {
            used.insert(key)
            guard let v = members.first(where: { $0.key == key })?.value else { return nil }
            if case .null = v { return nil }
            return v
        }

        /// Whether `key` is present with a value other than null (null counts as missing, as for `take`).
        func has(_ key: String) -> Bool {
            guard let v = members.first(where: { $0.key == key })?.value else { return false }
            if case .null = v { return false }
            return true
        }
    }

    mutating func fields(_ value: JSONValue, at path: JSONPath) -> Fields? {
        guard case .object(let members) = value else {
            problem(path, "expected an object, found \(value.typeName)")
            return nil
        }
        var seen: Set<String> = []
        for m in members where !seen.insert(m.key).inserted {
            problem(path.key(m.key), "duplicate key")
        }
        return Fields(members: members, path: path)
    }

    /// Reports the keys nobody took. `tolerated` keys are known but unused (e.g. `Tags` on a baseline).
    mutating func finish(_ f: Fields, severity: BaselineProblem.Severity, tolerated: Set<String> = []) {
        for m in f.members where !f.used.contains(m.key) && !tolerated.contains(m.key) {
            let hint = suggestion(for: m.key, among: f.used)
            // A known field in the wrong case is a mistake that would silently lose the field: always an error.
            problem(
                f.path.key(m.key), "unknown field" + (hint.map { " (did you mean \($0)?)" } ?? ""),
                hint == nil ? severity : .error)
        }
    }

    private func suggestion(for key: String, among known: Set<String>) -> String? {
        let lower = key.lowercased()
        return known.sorted().first { $0.lowercased() == lower }
    }

    mutating func string(_ v: JSONValue?, at path: JSONPath) -> String? {
        guard let v else { return nil }
        guard case .string(let s) = v else {
            problem(path, "expected a string, found \(v.typeName)")
            return nil
        }
        return s
    }

    mutating func bool(_ v: JSONValue?, at path: JSONPath) -> Bool? {
        guard let v else { return nil }
        guard case .bool(let b) = v else {
            problem(path, "expected true or false, found \(v.typeName)")
            return nil
        }
        return b
    }

    mutating func integer(_ v: JSONValue?, at path: JSONPath) -> Int? {
        guard let v else { return nil }
        guard case .number(let text) = v else {
            problem(path, "expected an integer, found \(v.typeName)")
            return nil
        }
        guard let n = Int(text) else {
            problem(path, "expected an integer, found \(text)")
            return nil
        }
        return n
    }

    mutating func strings(_ v: JSONValue?, at path: JSONPath) -> [String]? {
        guard let v else { return nil }
        guard case .array(let elements) = v else {
            problem(path, "expected an array of strings, found \(v.typeName)")
            return nil
        }
        var out: [String] = []
        for (i, e) in elements.enumerated() {
            if let s = string(e, at: path.index(i)) { out.append(s) }
        }
        return out
    }

    mutating func array(_ v: JSONValue?, at path: JSONPath) -> [JSONValue]? {
        guard let v else { return nil }
        guard case .array(let elements) = v else {
            problem(path, "expected an array, found \(v.typeName)")
            return nil
        }
        return elements
    }

    mutating func enumValue<E: RawRepresentable & CaseIterable>(_ v: JSONValue?, at path: JSONPath) -> E?
    where E.RawValue == String {
        guard let s = string(v, at: path) else { return nil }
        if let e = E(rawValue: s) { return e }
        let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
        problem(path, "\"\(s)\" is not one of \(allowed)")
        return nil
    }

    /// A date as the API sends it (epoch seconds, possibly fractional) or as the CLI prints it (ISO 8601).
    mutating func instant(_ v: JSONValue?, at path: JSONPath) -> UTCInstant? {
        guard let v else { return nil }
        switch v {
        case .number(let text):
            // Whole seconds; AWS's JSON services also write them as 1.550244180465E9. Bounded to years 1970...9999
            // so that later date arithmetic cannot overflow.
            if let seconds = Double(text), seconds.isFinite, (0..<253_402_300_800).contains(seconds) {
                return UTCInstant(secondsSinceEpoch: Int64(seconds.rounded(.down)))
            }
            problem(path, "expected seconds since 1970, found \(text)")
        case .string(let s):
            if let t = UTCInstant(iso8601: s) { return t }
            problem(path, "\"\(s)\" is not an ISO 8601 date-time")
        default:
            problem(path, "expected a date, found \(v.typeName)")
        }
        return nil
    }

    mutating func filterGroup(_ v: JSONValue?, at path: JSONPath, keys: BaselineKeys) -> [PatchFilter]? {
        guard let v, var f = fields(v, at: path) else { return nil }
        defer { finish(f, severity: keys.isAPI ? .error : .warning) }
        let listPath = path.key(keys.filters)
        guard let list = array(f.take(keys.filters), at: listPath) else {
            if !f.has(keys.filters) {
                problem(listPath, "required field is missing")
            }
            return []
        }
        var out: [PatchFilter] = []
        for (i, item) in list.enumerated() {
            let p = listPath.index(i)
            guard var ff = fields(item, at: p) else { continue }
            let key: PatchFilterKey? = enumValue(ff.take(keys.filterKey), at: p.key(keys.filterKey))
            if !ff.has(keys.filterKey) {
                problem(p.key(keys.filterKey), "required field is missing")
            }
            let values = strings(ff.take(keys.filterValues), at: p.key(keys.filterValues))
            if values == nil && !ff.has(keys.filterValues) {
                problem(p.key(keys.filterValues), "required field is missing")
            }
            finish(ff, severity: keys.isAPI ? .error : .warning)
            if let key { out.append(PatchFilter(key: key, values: values ?? [])) }
        }
        return out
    }

    mutating func rules(_ v: JSONValue?, at path: JSONPath, keys: BaselineKeys) -> [PatchRule]? {
        guard let v, var f = fields(v, at: path) else { return nil }
        defer { finish(f, severity: keys.isAPI ? .error : .warning) }
        let listPath = path.key(keys.rules)
        guard let list = array(f.take(keys.rules), at: listPath) else {
            if !f.has(keys.rules) {
                problem(listPath, "required field is missing")
            }
            return []
        }
        var out: [PatchRule] = []
        for (i, item) in list.enumerated() {
            let p = listPath.index(i)
            guard var rf = fields(item, at: p) else { continue }
            let groupPath = p.key(keys.ruleFilterGroup)
            let filters = filterGroup(rf.take(keys.ruleFilterGroup), at: groupPath, keys: keys)
            if filters == nil && !rf.has(keys.ruleFilterGroup) {
                problem(groupPath, "required field is missing")
            }
            let level: ComplianceLevel? = enumValue(rf.take(keys.complianceLevel), at: p.key(keys.complianceLevel))
            let afterDays = integer(rf.take(keys.approveAfterDays), at: p.key(keys.approveAfterDays))
            let untilText = string(rf.take(keys.approveUntilDate), at: p.key(keys.approveUntilDate))
            let enable = bool(rf.take(keys.enableNonSecurity), at: p.key(keys.enableNonSecurity))
            finish(rf, severity: keys.isAPI ? .error : .warning)

            var approval: ApprovalDelay?
            var until: CalendarDate?
            if let untilText {
                until = CalendarDate(parsing: untilText)
                if until == nil {
                    problem(p.key(keys.approveUntilDate), "\"\(untilText)\" is not a valid date in the form YYYY-MM-DD")
                }
            }
            // Presence, not successful decoding, decides which was given: a mistyped value is reported once.
            switch (rf.has(keys.approveAfterDays), rf.has(keys.approveUntilDate)) {
            case (true, true):
                problem(
                    p, "\(keys.approveAfterDays) and \(keys.approveUntilDate) are mutually exclusive; give one of them")
            case (false, false):
                problem(p, "one of \(keys.approveAfterDays) or \(keys.approveUntilDate) is required")
            case (true, false):
                approval = afterDays.map { .afterDays($0) }
            case (false, true):
                approval = until.map { .untilDate($0) }
            }
            out.append(
                PatchRule(
                    filters: filters ?? [], complianceLevel: level ?? .unspecified, approval: approval,
                    enableNonSecurity: enable ?? false))
        }
        return out
    }

    mutating func sources(_ v: JSONValue?, at path: JSONPath, keys: BaselineKeys) -> [PatchSource]? {
        guard let list = array(v, at: path) else { return nil }
        var out: [PatchSource] = []
        for (i, item) in list.enumerated() {
            let p = path.index(i)
            guard var f = fields(item, at: p) else { continue }
            let name = string(f.take(keys.sourceName), at: p.key(keys.sourceName))
            let products = strings(f.take(keys.sourceProducts), at: p.key(keys.sourceProducts))
            let configuration = string(f.take(keys.sourceConfiguration), at: p.key(keys.sourceConfiguration))
            for (key, present) in [
                (keys.sourceName, name != nil), (keys.sourceProducts, products != nil),
                (keys.sourceConfiguration, configuration != nil),
            ] where !present && !f.has(key) {
                problem(p.key(key), "required field is missing")
            }
            finish(f, severity: keys.isAPI ? .error : .warning)
            out.append(PatchSource(name: name ?? "", products: products ?? [], configuration: configuration ?? ""))
        }
        return out
    }

    mutating func tags(_ v: JSONValue?, at path: JSONPath) -> [Tag]? {
        guard let list = array(v, at: path) else { return nil }
        var out: [Tag] = []
        for (i, item) in list.enumerated() {
            let p = path.index(i)
            guard var f = fields(item, at: p) else { continue }
            let key = string(f.take("Key"), at: p.key("Key"))
            let value = string(f.take("Value"), at: p.key("Value"))
            if !f.has("Key") { problem(p.key("Key"), "required field is missing") }
            if !f.has("Value") { problem(p.key("Value"), "required field is missing") }
            finish(f, severity: .error)
            out.append(Tag(key: key ?? "", value: value ?? ""))
        }
        return out
    }

    mutating func baseline(_ v: JSONValue, at path: JSONPath, keys: BaselineKeys, requireName: Bool) -> PatchBaseline? {
        guard var f = fields(v, at: path) else { return nil }
        var b = PatchBaseline()
        b.name = string(f.take(keys.name), at: path.key(keys.name))
        if requireName && !f.has(keys.name) { problem(path.key(keys.name), "required field is missing") }
        // A snapshot always names its OS; without it the baseline would silently be read as a WINDOWS one.
        if !keys.isAPI && !f.has(keys.operatingSystem) {
            problem(path.key(keys.operatingSystem), "required field is missing")
        }
        b.description = string(f.take(keys.description), at: path.key(keys.description))
        b.baselineId = string(f.take(keys.baselineId), at: path.key(keys.baselineId))
        if let os: OperatingSystem = enumValue(f.take(keys.operatingSystem), at: path.key(keys.operatingSystem)) {
            b.operatingSystem = os
        }
        b.globalFilters =
            filterGroup(f.take(keys.globalFilters), at: path.key(keys.globalFilters), keys: keys) ?? []
        b.approvalRules = rules(f.take(keys.approvalRules), at: path.key(keys.approvalRules), keys: keys) ?? []
        b.approvedPatches = strings(f.take(keys.approvedPatches), at: path.key(keys.approvedPatches)) ?? []
        if let level: ComplianceLevel = enumValue(
            f.take(keys.approvedPatchesComplianceLevel), at: path.key(keys.approvedPatchesComplianceLevel))
        {
            b.approvedPatchesComplianceLevel = level
        }
        b.approvedPatchesEnableNonSecurity =
            bool(f.take(keys.approvedPatchesEnableNonSecurity), at: path.key(keys.approvedPatchesEnableNonSecurity))
            ?? false
        b.rejectedPatches = strings(f.take(keys.rejectedPatches), at: path.key(keys.rejectedPatches)) ?? []
        if let action: RejectedPatchesAction = enumValue(
            f.take(keys.rejectedPatchesAction), at: path.key(keys.rejectedPatchesAction))
        {
            b.rejectedPatchesAction = action
        }
        b.sources = sources(f.take(keys.sources), at: path.key(keys.sources), keys: keys) ?? []
        b.availableSecurityUpdatesComplianceStatus = enumValue(
            f.take(keys.availableSecurityUpdatesComplianceStatus),
            at: path.key(keys.availableSecurityUpdatesComplianceStatus))
        b.createdDate = instant(f.take(keys.createdDate), at: path.key(keys.createdDate))
        b.modifiedDate = instant(f.take(keys.modifiedDate), at: path.key(keys.modifiedDate))
        if keys.isAPI {
            b.patchGroups = strings(f.take("PatchGroups"), at: path.key("PatchGroups")) ?? []
            b.tags = tags(f.take("Tags"), at: path.key("Tags")) ?? []
            b.clientToken = string(f.take("ClientToken"), at: path.key("ClientToken"))
            finish(f, severity: .error)
        } else {
            // accountId is in every snapshot AWS serves; patchd has no use for it.
            _ = f.take("accountId")
            finish(f, severity: .warning)
        }
        BaselineValidator.validate(b, at: path, keys: keys, into: &problems)
        return b
    }

    mutating func snapshot(_ v: JSONValue) -> BaselineSnapshot? {
        guard var f = fields(v, at: .root) else { return nil }
        let basePath = JSONPath.root.key("patchBaseline")
        guard let bv = f.take("patchBaseline") else {
            problem(basePath, "is null; the snapshot carries no baseline")
            return nil
        }
        guard let baseline = baseline(bv, at: basePath, keys: .snapshot, requireName: false) else { return nil }
        var s = BaselineSnapshot(baseline: baseline)
        func text(_ key: String) -> String? {
            // "" is how the agent writes "none" for these fields.
            let value = string(f.take(key), at: JSONPath.root.key(key))
            return value?.isEmpty == true ? nil : value
        }
        s.patchGroup = text("patchGroup")
        s.product = text("product")
        s.instanceId = text("instanceId")
        s.region = text("region")
        s.operation = text("operation")
        s.snapshotId = text("snapshotId")
        s.installOverrideList = text("installOverrideList")
        s.baselineOverride = text("baselineOverride")
        s.rebootOption = text("rebootOption")
        if let op = s.operation, op != "Scan" && op != "Install" {
            problem(JSONPath.root.key("operation"), "\"\(op)\" is not one of Scan, Install")
        }
        if let r = s.rebootOption, r != "RebootIfNeeded" && r != "NoReboot" {
            problem(JSONPath.root.key("rebootOption"), "\"\(r)\" is not one of RebootIfNeeded, NoReboot")
        }
        // Fields AWS serves that patchd does not act on; known, so not reported.
        for key in ["patches", "enableApplicationPatches", "requiredFeatures", "associationId", "associationSeverity"] {
            _ = f.take(key)
        }
        finish(f, severity: .warning)
        return s
    }
}
