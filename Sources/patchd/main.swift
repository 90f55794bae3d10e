import Foundation
import PatchDaemon

exit(await PatchdMain.run(arguments: Array(CommandLine.arguments.dropFirst())))
