import Glibc
import PatchCore
import PatchDaemon

// The daemon arrives with the daemon issue; until then it answers --version and says what it is.
let arguments = CommandLine.arguments.dropFirst()
if arguments.contains("--version") || arguments.contains("-V") {
    print("patchd \(PatchdVersion.current)")
} else {
    print("patchd \(PatchdVersion.current): the daemon is not built yet; use patchctl")
    exit(arguments.isEmpty ? 0 : 2)
}
