#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call or a refused value in the systemd protocols: the errno and what was being done.
///
/// Nothing in this module traps on bad input or a failed call; every failure arrives as one of these.
public struct SystemdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The errno of the failed call, or the errno-style code for a refused value (`EINVAL`, `ENAMETOOLONG`).
    public var errno: Int32
    /// What was being done, and where: `sendto NOTIFY_SOCKET=/run/systemd/notify`.
    public var message: String

    public init(errno: Int32, message: String) {
        self.errno = errno
        self.message = message
    }

    public var description: String {
        "\(message): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// Runs one system call, retrying on EINTR, and turns `-1` into a ``SystemdError`` carrying errno.
@inline(__always)
func systemCall<T: FixedWidthInteger & SignedInteger>(
    _ what: @autoclosure () -> String, _ call: () -> T
) throws(SystemdError) -> T {
    while true {
        let result = call()
        if result != -1 { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        throw SystemdError(errno: code, message: what())
    }
}

/// Parses a non-empty run of ASCII digits (no sign, no spaces), as the systemd environment variables are written.
func parseDecimal(_ text: String) -> UInt64? {
    guard !text.isEmpty else { return nil }
    var value: UInt64 = 0
    for byte in text.utf8 {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
        if overflow1 || overflow2 { return nil }
        value = sum
    }
    return value
}
