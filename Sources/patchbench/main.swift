import Glibc
import PatchCore
import PatchTestSupport

// patchbench engine [--installed N] [--available N] [--os OS] [--iterations N] [--explain]
//
// Builds a synthetic node (N installed packages, M available versions spread over them and over packages that are
// not installed) and a 10-rule baseline with approved and rejected lists, then times ApprovalEngine.evaluate.
// Deterministic: the same arguments give the same data and the same decisions.

func argument(_ name: String, _ fallback: Int) -> Int {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return fallback }
    return v
}

func stringArgument(_ name: String, _ fallback: String) -> String {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return fallback }
    return args[i + 1]
}

let args = CommandLine.arguments
guard args.count >= 2, args[1] == "engine" else {
    print(
        "usage: patchbench engine [--installed 5000] [--available 100000] [--os DEBIAN] [--iterations 20] [--explain]")
    exit(2)
}
let installedCount = argument("--installed", 5000)
let availableCount = argument("--available", 100_000)
let iterations = max(1, argument("--iterations", 20))
let explain = args.contains("--explain")
guard let os = OperatingSystem(rawValue: stringArgument("--os", "DEBIAN")) else {
    print("unknown --os")
    exit(2)
}
let deb = os.versionScheme == .deb

var rng = SplitMix64(seed: 42)
let arches = deb ? ["amd64", "all"] : ["x86_64", "noarch"]
let classifications = deb ? [nil, "Security"] : ["Security", "Bugfix", "Enhancement", nil]
let severities = ["Critical", "Important", "Medium", "Low", nil]
let priorities = ["required", "important", "standard", "optional", "extra"]
let now = UTCInstant(CalendarDate(parsing: "2026-11-22")!, hour: 12)

func version(major: Int, minor: Int, patch: Int) -> String {
    deb ? "\(major % 3):\(major).\(minor).\(patch)-\(patch % 4 + 1)" : "\(major).\(minor).\(patch)-\(patch % 4 + 1).el9"
}

var installed: [InstalledPackage] = []
var available: [AvailablePackage] = []
installed.reserveCapacity(installedCount)
available.reserveCapacity(availableCount)
// Two thirds of the versions belong to installed packages, the rest to packages the node does not have.
let perInstalled = max(1, availableCount * 2 / 3 / max(1, installedCount))
let otherNames = max(1, (availableCount - perInstalled * installedCount) / 4)
for n in 0..<installedCount {
    let name = "pkg\(n)-lib"
    let arch = arches[n % 7 == 0 ? 1 : 0]
    let major = rng.below(9) + 1
    installed.append(InstalledPackage(name: name, arch: arch, version: version(major: major, minor: 0, patch: 0)))
    for v in 0..<perInstalled {
        let classification = classifications[rng.below(classifications.count)]
        let security = classification != nil
        available.append(
            AvailablePackage(
                name: name, arch: arch, version: version(major: major, minor: v / 5, patch: v % 5 + 1),
                repository: security ? "security" : "main", security: security, classification: classification,
                severity: severities[rng.below(severities.count)], priority: priorities[rng.below(priorities.count)],
                section: "libs", advisoryIds: security ? ["ADV-2026-\(n)"] : [],
                cveIds: security ? ["CVE-2026-\(10000 + n)"] : [],
                releaseDate: UTCInstant(secondsSinceEpoch: now.secondsSinceEpoch - Int64(rng.below(60) * 86_400))))
    }
}
var k = 0
while available.count < availableCount {
    let n = k % otherNames
    let classification = classifications[rng.below(classifications.count)]
    available.append(
        AvailablePackage(
            name: "extra\(n)", arch: arches[0], version: version(major: 1, minor: k / otherNames, patch: 1),
            repository: "main", security: classification != nil, classification: classification,
            severity: severities[rng.below(severities.count)], priority: priorities[rng.below(priorities.count)],
            releaseDate: UTCInstant(secondsSinceEpoch: now.secondsSinceEpoch - Int64(rng.below(60) * 86_400))))
    k += 1
}

let keys = os.supportedFilterKeys
var rules: [PatchRule] = []
let levels: [ComplianceLevel] = [.critical, .high, .medium, .low, .informational]
for r in 0..<10 {
    var filters = [PatchFilter(key: .product, values: ["*"])]
    if keys.contains(.classification) {
        filters.append(PatchFilter(key: .classification, values: [r % 2 == 0 ? "Security" : "Bugfix"]))
        filters.append(
            PatchFilter(key: .severity, values: r % 3 == 0 ? ["Critical", "Important"] : ["Medium", "Low"]))
    } else {
        filters.append(
            PatchFilter(key: .priority, values: [["Required", "Important"], ["Standard", "Optional"]][r % 2]))
        filters.append(PatchFilter(key: .section, values: ["libs", "net", "admin"]))
    }
    rules.append(
        PatchRule(
            filters: filters, complianceLevel: levels[r % levels.count], approval: .afterDays(r * 3),
            enableNonSecurity: r == 9))
}
let baseline = PatchBaseline(
    name: "bench", operatingSystem: os, globalFilters: [PatchFilter(key: .product, values: ["*"])],
    approvalRules: rules, approvedPatches: (0..<10).map { "pkg\($0 * 37)-lib" } + ["extra1*"],
    rejectedPatches: (0..<10).map { "pkg\($0 * 53 + 1)-lib" } + ["extra2*"])
precondition(BaselineValidator.validate(baseline).isEmpty, "the benchmark baseline must be valid")

let request = EvaluationRequest(
    baseline: baseline, product: deb ? "Debian12" : "AmazonLinux2023", installed: installed, available: available,
    operationTime: now, explain: explain)

let clock = ContinuousClock()
var timings: [Duration] = []
var last: Evaluation?
for _ in 0..<iterations {
    let start = clock.now
    last = ApprovalEngine.evaluate(request)
    timings.append(clock.now - start)
}
timings.sort()
func ms(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}
let s = last!.summary
let median = ms(timings[timings.count / 2])
print(
    "engine: os=\(os.rawValue) installed=\(installed.count) available=\(available.count) rules=\(rules.count) explain=\(explain)"
)
print(
    "decisions=\(last!.decisions.count) missing=\(s.missing) installed=\(s.installed) "
        + "installedOther=\(s.installedOther) installedRejected=\(s.installedRejected) notApplicable=\(s.notApplicable)"
)
print(
    "iterations=\(iterations) min=\(ms(timings[0]).formatted2)ms median=\(median.formatted2)ms "
        + "max=\(ms(timings[timings.count - 1]).formatted2)ms")
print("goal 100 ms: median is \((median / 100).formatted2)x of the goal")

extension Double {
    var formatted2: String {
        let scaled = (self * 100).rounded() / 100
        return String(scaled)
    }
}
