import ArgumentParser
import PatchCore

/// `patchctl vercmp --format deb|rpm A B`: compares two versions like dpkg or rpm.
struct VersionCompare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vercmp",
        abstract: "Compare two package versions the way dpkg or rpm does.",
        discussion: "Prints -1 when A is older than B, 0 when they are equal, 1 when A is newer. "
            + "An invalid version exits with status 2."
    )

    @Option(
        name: .long, help: "Version scheme: deb (dpkg) or rpm.",
        transform: {
            guard let scheme = VersionScheme(rawValue: $0) else { throw ValidationError("use --format deb or rpm") }
            return scheme
        })
    var format: VersionScheme

    @Argument(help: "The first version.")
    var a: String

    @Argument(help: "The second version.")
    var b: String

    func run() throws {
        do {
            print(try compareVersions(a, b, scheme: format))
        } catch {
            printError("patchctl vercmp: \(error)")
            throw ExitStatus.usage
        }
    }
}
