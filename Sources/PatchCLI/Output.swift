import Foundation
import PatchCore

/// Writes to standard error, for messages that are not the command's output.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Reads a whole file, or standard input for `-`, with a bound on its size.
func readInput(_ path: String, limit: Int = 16 << 20) throws -> [UInt8] {
    let handle: FileHandle
    if path == "-" {
        handle = FileHandle.standardInput
    } else {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError("no such file")
        }
        guard !isDirectory.boolValue else { throw InputError("is a directory") }
        guard let h = FileHandle(forReadingAtPath: path) else { throw InputError("cannot be opened (permission?)") }
        handle = h
    }
    defer { if path != "-" { try? handle.close() } }
    let data = try handle.read(upToCount: limit + 1) ?? Data()
    guard data.count <= limit else { throw InputError("is larger than \(limit >> 20) MiB") }
    return [UInt8](data)
}

struct InputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Reads a baseline file in any form; its problems go to stderr as `FILE: PATH: message`. Exits 2 when the file
/// cannot be read, 1 when it is not a valid baseline.
func readBaselineDocument(_ file: String) throws -> BaselineDocument {
    let bytes: [UInt8]
    do {
        bytes = try readInput(file)
    } catch {
        printError("\(file): \(error)")
        throw ExitStatus.usage
    }
    let result = BaselineReader.read(bytes)
    for problem in result.problems { printError("\(file): \(problem)") }
    guard result.isValid, let document = result.document else { throw ExitStatus.invalid }
    return document
}
