import Logging

#if canImport(Glibc)
    import Glibc
#endif

enum LogFormatting {
    /// The metadata of one event: the handler's, then the provider's, then the call's, each overriding the last;
    /// an attached error as `error.message` and `error.type` (as swift-log's own handlers do).
    static func mergedMetadata(
        base: Logger.Metadata, provider: Logger.MetadataProvider?, event: LogEvent
    ) -> Logger.Metadata {
        var metadata = base
        if let provided = provider?.get(), !provided.isEmpty {
            metadata.merge(provided) { _, new in new }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            metadata.merge(explicit) { _, new in new }
        }
        if let error = event.error {
            metadata["error.message"] = "\(error)"
            metadata["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        return metadata
    }

    /// syslog(3) priorities, which journald's `PRIORITY=` uses: trace and debug are 7 (debug), info 6, notice 5,
    /// warning 4, error 3 (err), critical 2 (crit).
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info: "INFO"
        case .notice: "NOTICE"
        case .warning: "WARNING"
        case .error: "ERROR"
        case .critical: "CRITICAL"
        }
    }

    /// `LEVEL [label] message key=value…\n`, metadata sorted by key; a value that is empty or holds a space, `"`,
    /// `=`, a backslash or a control character is quoted with `\"`, `\\`, `\n`, `\r`, `\t` and `\u{…}` escapes. With
    /// `priorityPrefix`, the line starts with `<N>` (the syslog priority), which journald's stdout/stderr stream reads
    /// as the entry's priority and strips.
    static func line(
        level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, priorityPrefix: Bool
    ) -> [UInt8] {
        var line = ""
        line.reserveCapacity(message.utf8.count + label.utf8.count + 32)
        if priorityPrefix {
            line += "<\(syslogPriority(level))>"
        }
        line += levelName(level)
        line += " ["
        line += label
        line += "] "
        line += message
        for key in metadata.keys.sorted() {
            line += " "
            line += key
            line += "="
            line += quotedIfNeeded(metadata[key]!.description)
        }
        line += "\n"
        return Array(line.utf8)
    }

    static func quotedIfNeeded(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains { scalar in
                scalar == " " || scalar == "\"" || scalar == "=" || scalar == "\\" || scalar.value < 0x20
                    || scalar.value == 0x7F
            }
        guard needsQuotes else { return value }
        var quoted = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    quoted += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        quoted += "\""
        return quoted
    }

    /// Writes all of `bytes` to `fd`, retrying EINTR and short writes; gives up silently on any other error (there
    /// is nowhere left to report a failure to write a log line).
    static func writeAll(fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written == -1 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
