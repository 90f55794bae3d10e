import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A Python server script run for a test: it binds a loopback port and prints it as its first line; it is killed
/// when this object goes away. Its standard error goes to `stderrFile` when given (else nowhere).
public final class PythonServerProcess: @unchecked Sendable {
    // Set in init; the process is stopped in deinit.
    /// The port the script printed.
    public let port: Int
    private let process: Process

    /// Starts `python3 script arguments…` (python3 from PATH) and waits for the port line.
    public init(script: String, arguments: [String], stderrFile: String? = nil) throws {
        process = Process()
        // The python3 on PATH: the one with the test tools (botocore) installed.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        if let stderrFile, FileManager.default.createFile(atPath: stderrFile, contents: nil) {
            process.standardError = FileHandle(forWritingAtPath: stderrFile)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        var line = [UInt8]()
        while let byte = try pipe.fileHandleForReading.read(upToCount: 1), let b = byte.first, b != 0x0A {
            line.append(b)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let stderr = stderrFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
            throw TestSupportError("\(script) did not start: \(stderr.suffix(2000))")
        }
        self.port = port
    }

    deinit {
        // SIGKILL: a child of the test runner may inherit a mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
