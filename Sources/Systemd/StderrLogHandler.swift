public import Logging

/// Writes `LEVEL [label] message key=value…` lines to stderr (or another descriptor), one `write` per line,
/// without Foundation.
public struct StderrLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    /// The descriptor written to: 2 unless a test passes a pipe.
    public let fd: Int32
    /// Start each line with `<N>`, the syslog priority, for when stderr is journald's stream (see
    /// ``PatchdLogging``).
    public let syslogPriorityPrefix: Bool

    public init(
        label: String, logLevel: Logger.Level = .info, fd: Int32 = 2, syslogPriorityPrefix: Bool = false,
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) {
        self.label = label
        self.logLevel = logLevel
        self.fd = fd
        self.syslogPriorityPrefix = syslogPriorityPrefix
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = LogFormatting.mergedMetadata(base: metadata, provider: metadataProvider, event: event)
        LogFormatting.writeAll(
            fd: fd,
            LogFormatting.line(
                level: event.level, label: label, message: event.message.description, metadata: merged,
                priorityPrefix: syslogPriorityPrefix))
    }
}
