/// The predefined `AWS-…DefaultPatchBaseline` of every OS, as Patch Manager documents them.
///
/// Ids are the us-east-1 ARNs of AWS's own baselines where they are public, so a baseline exported from AWS and
/// one from patchd name the same thing; predefined baselines assign compliance level UNSPECIFIED, as AWS's do.
public enum PredefinedBaselines {
    private static let account = "arn:aws:ssm:us-east-1:075727635805:patchbaseline/"

    /// The default baseline for `os`.
    public static func baseline(for os: OperatingSystem) -> PatchBaseline {
        let product = PatchFilter(key: .product, values: ["*"])
        func securityAndBugfix(_ severities: [String]) -> [PatchRule] {
            [
                PatchRule(
                    filters: [
                        product, PatchFilter(key: .classification, values: ["Security"]),
                        PatchFilter(key: .severity, values: severities),
                    ], approval: .afterDays(7)),
                PatchRule(
                    filters: [product, PatchFilter(key: .classification, values: ["Bugfix"])], approval: .afterDays(7)),
            ]
        }
        let aptRule = [
            PatchRule(
                filters: [
                    PatchFilter(key: .priority, values: ["Required", "Important", "Standard", "Optional", "Extra"])
                ],
                // AWS stores 7 days on its apt baselines; apt packages carry no release date, so it has no effect.
                approval: .afterDays(7))
        ]
        let rules: [PatchRule]
        var globalFilters: [PatchFilter] = []
        switch os {
        case .amazonLinux, .amazonLinux2, .amazonLinux2022, .amazonLinux2023, .redhatEnterpriseLinux, .rockyLinux,
            .almaLinux:
            rules = securityAndBugfix(["Critical", "Important"])
        case .oracleLinux:
            rules = securityAndBugfix(["Important", "Moderate"])
        case .suse:
            rules = [
                PatchRule(
                    filters: [
                        product, PatchFilter(key: .classification, values: ["Security"]),
                        PatchFilter(key: .severity, values: ["Critical", "Important"]),
                    ], approval: .afterDays(7))
            ]
        case .centos:
            rules = [
                PatchRule(
                    filters: [
                        product, PatchFilter(key: .classification, values: ["*"]),
                        PatchFilter(key: .severity, values: ["*"]),
                    ], approval: .afterDays(7), enableNonSecurity: true)
            ]
        case .debian, .ubuntu, .raspbian:
            globalFilters = [product]
            rules = aptRule
        case .macOS:
            rules = [
                PatchRule(
                    filters: [product, PatchFilter(key: .classification, values: ["Security"])],
                    approval: .afterDays(0)),
                PatchRule(filters: [product], approval: .afterDays(0), enableNonSecurity: true),
            ]
        case .windows:
            rules = [
                PatchRule(
                    filters: [
                        product, PatchFilter(key: .classification, values: ["CriticalUpdates", "SecurityUpdates"]),
                        PatchFilter(key: .msrcSeverity, values: ["Critical", "Important"]),
                    ], approval: .afterDays(7))
            ]
        }
        let (name, id, description) = identity(os)
        return PatchBaseline(
            baselineId: id, name: name, description: description, operatingSystem: os, globalFilters: globalFilters,
            approvalRules: rules)
    }

    public static var all: [PatchBaseline] { OperatingSystem.allCases.map(baseline(for:)) }

    private static func identity(_ os: OperatingSystem) -> (String, String, String) {
        func doc(_ what: String) -> String { "Default Patch Baseline for \(what) Provided by AWS." }
        switch os {
        case .windows:
            return (
                "AWS-DefaultPatchBaseline", account + "pb-09ca3fb51f0412ec3", "Default Patch Baseline Provided by AWS."
            )
        case .amazonLinux:
            return ("AWS-AmazonLinuxDefaultPatchBaseline", account + "pb-0c10e657807c7a700", doc("Amazon Linux"))
        case .amazonLinux2:
            return (
                "AWS-AmazonLinux2DefaultPatchBaseline", account + "pb-0be8c61cde3be63f3",
                "Baseline containing all Security and Bugfix updates approved for Amazon Linux 2 instances"
            )
        case .amazonLinux2022:
            return (
                "AWS-AmazonLinux2022DefaultPatchBaseline", account + "pb-0028ca011460d5eaf", doc("Amazon Linux 2022")
            )
        case .amazonLinux2023:
            return (
                "AWS-AmazonLinux2023DefaultPatchBaseline", account + "pb-05c9c9bf778d4c4d0", doc("Amazon Linux 2023")
            )
        case .ubuntu: return ("AWS-UbuntuDefaultPatchBaseline", account + "pb-0c7e89f711c3095f4", doc("Ubuntu"))
        case .redhatEnterpriseLinux:
            return ("AWS-RedHatDefaultPatchBaseline", account + "pb-0cbb3a633de00f07c", doc("Redhat Enterprise Linux"))
        case .suse: return ("AWS-SuseDefaultPatchBaseline", account + "pb-07d8884178197b66b", doc("Suse"))
        case .centos: return ("AWS-CentOSDefaultPatchBaseline", account + "pb-03e3f588eec25344c", doc("CentOS"))
        case .oracleLinux:
            return ("AWS-OracleLinuxDefaultPatchBaseline", account + "pb-06bff38e95fe85c02", doc("Oracle Linux Server"))
        case .debian: return ("AWS-DebianDefaultPatchBaseline", account + "pb-09a5f8eb62bde80b1", doc("Debian"))
        case .macOS: return ("AWS-MacOSDefaultPatchBaseline", account + "pb-0ee4f94581368c0d4", doc("MacOS"))
        case .raspbian:
            // AWS publishes no id for this one; patchd names it in its own namespace.
            return (
                "AWS-DefaultRaspbianPatchBaseline", "patchd:predefined/AWS-DefaultRaspbianPatchBaseline",
                doc("Raspbian")
            )
        case .rockyLinux:
            return ("AWS-RockyLinuxDefaultPatchBaseline", account + "pb-03ec98bc512aa3ac0", doc("Rocky Linux"))
        case .almaLinux:
            return ("AWS-AlmaLinuxDefaultPatchBaseline", account + "pb-0cb0c4966f86b059b", doc("Alma Linux"))
        }
    }
}
