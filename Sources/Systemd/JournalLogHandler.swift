public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// A datagram socket towards journald's native-protocol socket, shared by every handler a factory makes.
///
/// Unconnected: each entry is sent to the path, so a restarted journald is found again without reconnecting.
/// Immutable after `init` (the descriptor is closed when the last handler lets go), hence `Sendable`; concurrent
/// `sendto` calls on one datagram socket are safe.
public final class JournalSocket: Sendable {
    /// Where systemd-journald listens for the native protocol.
    public static let defaultPath = "/run/systemd/journal/socket"

    public let path: String
    private let fd: Int32
    private let address: UnixSocketAddress

    /// Opens a close-on-exec datagram socket for `path` and asks for a `sendBufferSize` send buffer (journald's
    /// protocol document recommends a large one; the kernel caps it at `net.core.wmem_max` and uses twice the value,
    /// which also bounds the largest datagram — larger entries fail with `EMSGSIZE`).
    public init(path: String = JournalSocket.defaultPath, sendBufferSize: Int32 = 8 << 20) throws(SystemdError) {
        self.path = path
        address = try UnixSocketAddress(path: path)
        fd = try UnixDatagram.open()
        var size = sendBufferSize
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit {
        close(fd)
    }

    /// Sends one serialized entry as one datagram.
    public func send(_ datagram: [UInt8]) throws(SystemdError) {
        try UnixDatagram.send(fd: fd, datagram, to: address, describing: "journal socket \(path)")
    }
}

/// A swift-log handler that writes structured entries to journald over its native protocol.
///
/// Each entry carries `MESSAGE`, `PRIORITY` (the syslog priority of the level), `SYSLOG_IDENTIFIER`, `CODE_FILE`,
/// `CODE_LINE`, `CODE_FUNC`, `LOGGER_LABEL` and one field per metadata key, named by upper-casing the key and
/// mapping everything outside `[A-Z0-9_]` to `_` (see ``fieldName(forMetadataKey:)``). Values holding a newline use
/// the protocol's binary form. An entry too large for a datagram (`EMSGSIZE`) is sent again with its values cut to
/// 64 KiB, 8 KiB, then 1 KiB, each cut value ending in ``truncationMarker``. When journald cannot be reached the
/// entry goes to stderr as a ``StderrLogHandler`` line instead.
public struct JournalLogHandler: LogHandler {
    public let label: String
    /// `SYSLOG_IDENTIFIER=`: what `journalctl -t` selects on (`patchd`).
    public let identifier: String
    public let socket: JournalSocket
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    /// Where an entry goes, as a ``StderrLogHandler`` line, when journald cannot take it: 2 unless a test passes a
    /// pipe.
    public let fallbackFD: Int32

    /// The fields this handler writes itself; a metadata key that maps to one of them gets a `META_` prefix.
    public static let ownFields: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "LOGGER_LABEL",
    ]

    /// Put after a value cut to fit a datagram, followed by the value's full size: `… [truncated, 1048576 bytes]`.
    public static let truncationMarker = "… [truncated, "

    static let truncationLimits = [64 << 10, 8 << 10, 1 << 10]

    public init(
        label: String, identifier: String, socket: JournalSocket, logLevel: Logger.Level = .info, fallbackFD: Int32 = 2,
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) {
        self.label = label
        self.identifier = identifier
        self.socket = socket
        self.logLevel = logLevel
        self.fallbackFD = fallbackFD
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The journal field a metadata key is written as: `request-id` → `REQUEST_ID`, `_x` → `X`, `2fa` → `META_2FA`,
    /// `message` → `META_MESSAGE`.
    public static func fieldName(forMetadataKey key: String) -> String {
        JournalFieldName.sanitized(key, reserved: ownFields)
    }

    public func log(event: LogEvent) {
        let message = event.message.description
        let merged = LogFormatting.mergedMetadata(base: metadata, provider: metadataProvider, event: event)
        var fields: [(String, String)] = [
            ("PRIORITY", String(LogFormatting.syslogPriority(event.level))),
            ("SYSLOG_IDENTIFIER", identifier),
            ("MESSAGE", message),
            ("CODE_FILE", event.file),
            ("CODE_LINE", String(event.line)),
            ("CODE_FUNC", event.function),
            ("LOGGER_LABEL", label),
        ]
        for key in merged.keys.sorted() {
            fields.append((Self.fieldName(forMetadataKey: key), merged[key]!.description))
        }

        var outcome = send(Self.serialize(fields, valueLimit: nil))
        for limit in Self.truncationLimits where outcome == .tooLarge {
            outcome = send(Self.serialize(fields, valueLimit: limit))
        }
        guard outcome != .sent else { return }
        // journald is unreachable (or refuses even a cut entry): keep the line on stderr, which under systemd is
        // the journal's stream transport anyway.
        LogFormatting.writeAll(
            fd: fallbackFD,
            LogFormatting.line(
                level: event.level, label: label, message: message, metadata: merged, priorityPrefix: false))
    }

    private enum SendOutcome { case sent, tooLarge, failed }

    private func send(_ datagram: [UInt8]) -> SendOutcome {
        do {
            try socket.send(datagram)
            return .sent
        } catch {
            return error.errno == EMSGSIZE ? .tooLarge : .failed
        }
    }

    /// The native-protocol serialization of `fields`, each value cut to `valueLimit` bytes (on a UTF-8 boundary)
    /// plus the marker when given.
    static func serialize(_ fields: [(String, String)], valueLimit: Int?) -> [UInt8] {
        var entry = JournalEntry(capacity: fields.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 10 })
        for (name, value) in fields {
            if let limit = valueLimit, value.utf8.count > limit {
                entry.append(name, truncated(value, to: limit))
            } else {
                entry.append(name, value)
            }
        }
        return entry.bytes
    }

    static func truncated(_ value: String, to limit: Int) -> [UInt8] {
        let bytes = Array(value.utf8)
        var end = limit
        // Do not cut a multi-byte character: back off over UTF-8 continuation bytes.
        while end > 0 && bytes[end] & 0xC0 == 0x80 {
            end -= 1
        }
        return Array(bytes[..<end]) + Array("\(truncationMarker)\(bytes.count) bytes]".utf8)
    }
}
