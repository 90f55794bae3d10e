/// The field names of the two JSON spellings of a baseline: the API's PascalCase and the snapshot's camelCase.
/// Defined once, used by the reader, the validator and the writer.
struct BaselineKeys: Sendable {
    let name: String
    let description: String
    let operatingSystem: String
    let globalFilters: String
    let filters: String
    let filterKey: String
    let filterValues: String
    let approvalRules: String
    let rules: String
    let ruleFilterGroup: String
    let complianceLevel: String
    let approveAfterDays: String
    let approveUntilDate: String
    let enableNonSecurity: String
    let approvedPatches: String
    let approvedPatchesComplianceLevel: String
    let approvedPatchesEnableNonSecurity: String
    let rejectedPatches: String
    let rejectedPatchesAction: String
    let sources: String
    let sourceName: String
    let sourceProducts: String
    let sourceConfiguration: String
    let availableSecurityUpdatesComplianceStatus: String
    let baselineId: String
    let createdDate: String
    let modifiedDate: String

    static let api = BaselineKeys(
        name: "Name", description: "Description", operatingSystem: "OperatingSystem", globalFilters: "GlobalFilters",
        filters: "PatchFilters", filterKey: "Key", filterValues: "Values", approvalRules: "ApprovalRules",
        rules: "PatchRules", ruleFilterGroup: "PatchFilterGroup", complianceLevel: "ComplianceLevel",
        approveAfterDays: "ApproveAfterDays", approveUntilDate: "ApproveUntilDate",
        enableNonSecurity: "EnableNonSecurity", approvedPatches: "ApprovedPatches",
        approvedPatchesComplianceLevel: "ApprovedPatchesComplianceLevel",
        approvedPatchesEnableNonSecurity: "ApprovedPatchesEnableNonSecurity", rejectedPatches: "RejectedPatches",
        rejectedPatchesAction: "RejectedPatchesAction", sources: "Sources", sourceName: "Name",
        sourceProducts: "Products", sourceConfiguration: "Configuration",
        availableSecurityUpdatesComplianceStatus: "AvailableSecurityUpdatesComplianceStatus",
        baselineId: "BaselineId", createdDate: "CreatedDate", modifiedDate: "ModifiedDate")

    static let snapshot = BaselineKeys(
        name: "name", description: "description", operatingSystem: "operatingSystem", globalFilters: "globalFilters",
        filters: "filters", filterKey: "key", filterValues: "values", approvalRules: "approvalRules",
        rules: "rules", ruleFilterGroup: "filterGroup", complianceLevel: "complianceLevel",
        approveAfterDays: "approveAfterDays", approveUntilDate: "approveUntilDate",
        enableNonSecurity: "enableNonSecurity", approvedPatches: "approvedPatches",
        approvedPatchesComplianceLevel: "approvedPatchesComplianceLevel",
        approvedPatchesEnableNonSecurity: "approvedPatchesEnableNonSecurity", rejectedPatches: "rejectedPatches",
        rejectedPatchesAction: "rejectedPatchesAction", sources: "sources", sourceName: "name",
        sourceProducts: "products", sourceConfiguration: "configuration",
        availableSecurityUpdatesComplianceStatus: "availableSecurityUpdatesComplianceStatus",
        baselineId: "baselineId", createdDate: "createdTime", modifiedDate: "modifiedTime")

    var isAPI: Bool { name == "Name" }
}
