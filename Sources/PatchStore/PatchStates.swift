import GRDB
public import PatchCore

/// The state of one patch as the last operation left it.
public struct PatchStateRecord: Sendable, Hashable {
    public var name: String
    public var arch: String
    public var state: PatchState
    public var installedVersion: String?
    public var availableVersion: String?
    public var classification: String?
    public var severity: String?
    public var complianceLevel: ComplianceLevel
    public var cves: [String]
    public var installedTime: UTCInstant?
    /// The operation that decided this state.
    public var operationId: String

    public init(
        name: String, arch: String, state: PatchState, installedVersion: String? = nil,
        availableVersion: String? = nil, classification: String? = nil, severity: String? = nil,
        complianceLevel: ComplianceLevel = .unspecified, cves: [String] = [], installedTime: UTCInstant? = nil,
        operationId: String
    ) {
        self.name = name
        self.arch = arch
        self.state = state
        self.installedVersion = installedVersion
        self.availableVersion = availableVersion
        self.classification = classification
        self.severity = severity
        self.complianceLevel = complianceLevel
        self.cves = cves
        self.installedTime = installedTime
        self.operationId = operationId
    }

    /// The record of an engine decision.
    public init(_ decision: PatchDecision, operationId: String) {
        self.init(
            name: decision.key.name, arch: decision.key.arch, state: decision.state,
            installedVersion: decision.installedVersion, availableVersion: decision.targetVersion,
            classification: decision.classification, severity: decision.severity,
            complianceLevel: decision.complianceLevel, cves: decision.cveIds, installedTime: decision.installedTime,
            operationId: operationId)
    }

    /// `name.arch`, the compliance item Id.
    public var id: String { key.description }

    public var key: PackageKey { PackageKey(name: name, arch: arch) }
}

extension PatchStore {
    /// The reads, named so that a test can check that they use an index.
    enum PatchStateQuery {
        static let columns =
            "name, arch, state, installedVersion, availableVersion, classification, severity, complianceLevel, cves, "
            + "installedTime, operationId"
        static let all = "SELECT \(columns) FROM patchState ORDER BY name, arch"
        static let inState = "SELECT \(columns) FROM patchState WHERE state = ? ORDER BY name, arch"
    }

    /// Replaces all per-patch states by `records`, the states `operationId` decided, in one transaction.
    ///
    /// - Throws: `.invalidArgument` when two records have the same `name.arch` (nothing is written).
    public func replacePatchStates(operationId: String, _ records: [PatchStateRecord]) throws(StoreError) {
        var seen = Set<PackageKey>()
        seen.reserveCapacity(records.count)
        for r in records where !seen.insert(r.key).inserted {
            throw StoreError(
                .invalidArgument, path: path,
                message: "\(path): the patch states of operation \(operationId) list \(r.id) twice")
        }
        try write("replacing the patch states of operation \(operationId)") { db in
            try db.execute(sql: "DELETE FROM patchState")
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO patchState (name, arch, state, installedVersion, availableVersion, classification,
                        severity, complianceLevel, cves, installedTime, operationId)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for r in records {
                try insert.execute(arguments: [
                    r.name, r.arch, r.state.rawValue, r.installedVersion, r.availableVersion, r.classification,
                    r.severity, r.complianceLevel.rawValue, Self.encodeList(r.cves), r.installedTime.databaseValue,
                    operationId,
                ])
            }
        }
    }

    /// The per-patch states, sorted by name and architecture; only those in `state` when given.
    public func patchStates(state: PatchState? = nil) throws(StoreError) -> [PatchStateRecord] {
        try read("reading the patch states") { db -> [PatchStateRecord] in
            let rows: RowCursor
            if let state {
                rows = try Row.fetchCursor(db, sql: PatchStateQuery.inState, arguments: [state.rawValue])
            } else {
                rows = try Row.fetchCursor(db, sql: PatchStateQuery.all)
            }
            var result: [PatchStateRecord] = []
            while let row = try rows.next() { result.append(try decodePatchState(row)) }
            return result
        }
    }

    private func decodePatchState(_ row: Row) throws -> PatchStateRecord {
        let name: String = try row.decode(atIndex: 0)
        let arch: String = try row.decode(atIndex: 1)
        let stateText: String = try row.decode(atIndex: 2)
        let levelText: String = try row.decode(atIndex: 7)
        let cvesText: String = try row.decode(atIndex: 8)
        guard let state = PatchState(rawValue: stateText), let level = ComplianceLevel(rawValue: levelText),
            let cves = Self.decodeList(cvesText)
        else {
            throw StoreError(
                .corrupt, path: path,
                message: "\(path): the patch state of \(name).\(arch) has an unknown state '\(stateText)', "
                    + "compliance level '\(levelText)' or CVE list '\(cvesText)'")
        }
        return PatchStateRecord(
            name: name, arch: arch, state: state, installedVersion: try row.decode(atIndex: 3),
            availableVersion: try row.decode(atIndex: 4), classification: try row.decode(atIndex: 5),
            severity: try row.decode(atIndex: 6), complianceLevel: level, cves: cves,
            installedTime: instant(try row.decode(atIndex: 9)), operationId: try row.decode(atIndex: 10))
    }

    /// A list of strings as a JSON array.
    static func encodeList(_ list: [String]) -> String {
        list.isEmpty ? "[]" : JSONWriter.write(.array(list.map(JSONValue.string)), pretty: false)
    }

    static func decodeList(_ text: String) -> [String]? {
        if text == "[]" { return [] }
        guard case .array(let items)? = try? JSONParser.parse(text) else { return nil }
        var list: [String] = []
        list.reserveCapacity(items.count)
        for item in items {
            guard case .string(let s) = item else { return nil }
            list.append(s)
        }
        return list
    }
}
