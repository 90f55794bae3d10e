/// Writes baselines as JSON, in the API form or the snapshot form.
public enum BaselineWriter {
    /// The API form (GetPatchBaseline output shape, CreatePatchBaseline input shape).
    public static func apiJSON(_ b: PatchBaseline) -> JSONValue { encode(b, keys: .api) }

    /// The snapshot form, with the instance context fields at the top level.
    public static func snapshotJSON(_ s: BaselineSnapshot) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("patchBaseline", encode(s.baseline, keys: .snapshot))]
        func add(_ key: String, _ value: String?) { members.append((key, value.map(JSONValue.string) ?? .null)) }
        add("patchGroup", s.patchGroup)
        add("product", s.product)
        add("instanceId", s.instanceId)
        add("region", s.region)
        add("operation", s.operation)
        add("snapshotId", s.snapshotId)
        add("installOverrideList", s.installOverrideList)
        add("baselineOverride", s.baselineOverride)
        add("rebootOption", s.rebootOption)
        return .object(members)
    }

    private static func filters(_ list: [PatchFilter], keys: BaselineKeys) -> JSONValue {
        .object([
            (
                keys.filters,
                .array(
                    list.map {
                        .object([
                            (keys.filterKey, .string($0.key.rawValue)),
                            (keys.filterValues, .array($0.values.map(JSONValue.string))),
                        ])
                    })
            )
        ])
    }

    private static func instant(_ t: UTCInstant, keys: BaselineKeys) -> JSONValue {
        // The API sends epoch seconds; the AWS CLI prints ISO 8601. Snapshots carry seconds.
        keys.isAPI ? .string(t.iso8601) : .number(String(t.secondsSinceEpoch))
    }

    static func encode(_ b: PatchBaseline, keys: BaselineKeys) -> JSONValue {
        var m: [(key: String, value: JSONValue)] = []
        if let id = b.baselineId { m.append((keys.baselineId, .string(id))) }
        if let name = b.name { m.append((keys.name, .string(name))) }
        m.append((keys.operatingSystem, .string(b.operatingSystem.rawValue)))
        m.append((keys.globalFilters, filters(b.globalFilters, keys: keys)))
        let rules: [JSONValue] = b.approvalRules.map { r in
            var rm: [(key: String, value: JSONValue)] = [
                (keys.ruleFilterGroup, filters(r.filters, keys: keys)),
                (keys.complianceLevel, .string(r.complianceLevel.rawValue)),
            ]
            switch r.approval {
            case .afterDays(let d): rm.append((keys.approveAfterDays, .number(String(d))))
            case .untilDate(let date): rm.append((keys.approveUntilDate, .string(date.description)))
            case nil: break
            }
            rm.append((keys.enableNonSecurity, .bool(r.enableNonSecurity)))
            return .object(rm)
        }
        m.append((keys.approvalRules, .object([(keys.rules, .array(rules))])))
        m.append((keys.approvedPatches, .array(b.approvedPatches.map(JSONValue.string))))
        m.append((keys.approvedPatchesComplianceLevel, .string(b.approvedPatchesComplianceLevel.rawValue)))
        m.append((keys.approvedPatchesEnableNonSecurity, .bool(b.approvedPatchesEnableNonSecurity)))
        m.append((keys.rejectedPatches, .array(b.rejectedPatches.map(JSONValue.string))))
        m.append((keys.rejectedPatchesAction, .string(b.rejectedPatchesAction.rawValue)))
        if keys.isAPI { m.append(("PatchGroups", .array(b.patchGroups.map(JSONValue.string)))) }
        if let t = b.createdDate { m.append((keys.createdDate, instant(t, keys: keys))) }
        if let t = b.modifiedDate { m.append((keys.modifiedDate, instant(t, keys: keys))) }
        if let d = b.description { m.append((keys.description, .string(d))) }
        m.append(
            (
                keys.sources,
                .array(
                    b.sources.map {
                        .object([
                            (keys.sourceName, .string($0.name)),
                            (keys.sourceProducts, .array($0.products.map(JSONValue.string))),
                            (keys.sourceConfiguration, .string($0.configuration)),
                        ])
                    })
            ))
        if let s = b.availableSecurityUpdatesComplianceStatus {
            m.append((keys.availableSecurityUpdatesComplianceStatus, .string(s.rawValue)))
        }
        if keys.isAPI && !b.tags.isEmpty {
            m.append(
                (
                    "Tags",
                    .array(b.tags.map { .object([("Key", .string($0.key)), ("Value", .string($0.value))]) })
                ))
        }
        if keys.isAPI, let token = b.clientToken { m.append(("ClientToken", .string(token))) }
        return .object(m)
    }
}
