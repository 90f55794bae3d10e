import Foundation
public import PatchCore

/// The status of an operation, spelled like AWS's command statuses.
public enum OperationStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pending = "Pending"
    case inProgress = "InProgress"
    case success = "Success"
    case failed = "Failed"
    case timedOut = "TimedOut"
    case cancelled = "Cancelled"

    /// Pending or InProgress: the operation holds the node, and a restart must resume or fail it.
    public var isActive: Bool { self == .pending || self == .inProgress }
}

/// One Scan or Install, from the request as received to the final report.
public struct OperationRecord: Sendable, Equatable, Codable {
    /// A UUID (lowercase), the id the API and the CLI use.
    public var id: String
    /// "Scan" or "Install".
    public var kind: String
    public var status: OperationStatus
    /// The request as received.
    public var requestJSON: String
    public var snapshotId: String?
    /// "RebootIfNeeded" or "NoReboot".
    public var rebootOption: String?
    public var createdAt: UTCInstant
    public var startedAt: UTCInstant?
    public var endedAt: UTCInstant?
    /// The boot the operation started in (`/proc/sys/kernel/random/boot_id`): a different boot after a restart means
    /// the node rebooted under the operation.
    public var bootId: String
    /// Where a running operation is: "installing", "awaiting-reboot", "reporting", ….
    public var phase: String?
    public var rebootAttempts: Int
    /// The last progress line.
    public var progress: String?
    public var error: String?
    /// The final report, as JSON.
    public var reportJSON: String?

    public init(
        id: String = OperationRecord.newId(), kind: String, status: OperationStatus = .pending, requestJSON: String,
        snapshotId: String? = nil, rebootOption: String? = nil, createdAt: UTCInstant, startedAt: UTCInstant? = nil,
        endedAt: UTCInstant? = nil, bootId: String, phase: String? = nil, rebootAttempts: Int = 0,
        progress: String? = nil, error: String? = nil, reportJSON: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.status = status
        self.requestJSON = requestJSON
        self.snapshotId = snapshotId
        self.rebootOption = rebootOption
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.bootId = bootId
        self.phase = phase
        self.rebootAttempts = rebootAttempts
        self.progress = progress
        self.error = error
        self.reportJSON = reportJSON
    }

    /// A new random operation id: a lowercase UUID, like an AWS CommandId.
    public static func newId() -> String { UUID().uuidString.lowercased() }

    // Times are encoded as `YYYY-MM-DDTHH:MM:SSZ`, like everything else patchd shows.
    private enum CodingKeys: String, CodingKey {
        case id, kind, status, requestJSON, snapshotId, rebootOption, createdAt, startedAt, endedAt, bootId, phase
        case rebootAttempts, progress, error, reportJSON
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func time(_ key: CodingKeys) throws -> UTCInstant? {
            guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
            guard let t = UTCInstant(iso8601: text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: c, debugDescription: "\(text) is not a time like 2024-05-01T12:00:00Z")
            }
            return t
        }
        guard let createdAt = try time(.createdAt) else {
            throw DecodingError.keyNotFound(
                CodingKeys.createdAt, .init(codingPath: c.codingPath, debugDescription: "createdAt is required"))
        }
        self.init(
            id: try c.decode(String.self, forKey: .id), kind: try c.decode(String.self, forKey: .kind),
            status: try c.decode(OperationStatus.self, forKey: .status),
            requestJSON: try c.decode(String.self, forKey: .requestJSON),
            snapshotId: try c.decodeIfPresent(String.self, forKey: .snapshotId),
            rebootOption: try c.decodeIfPresent(String.self, forKey: .rebootOption), createdAt: createdAt,
            startedAt: try time(.startedAt), endedAt: try time(.endedAt),
            bootId: try c.decode(String.self, forKey: .bootId),
            phase: try c.decodeIfPresent(String.self, forKey: .phase),
            rebootAttempts: try c.decodeIfPresent(Int.self, forKey: .rebootAttempts) ?? 0,
            progress: try c.decodeIfPresent(String.self, forKey: .progress),
            error: try c.decodeIfPresent(String.self, forKey: .error),
            reportJSON: try c.decodeIfPresent(String.self, forKey: .reportJSON))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(kind, forKey: .kind)
        try c.encode(status, forKey: .status)
        try c.encode(requestJSON, forKey: .requestJSON)
        try c.encodeIfPresent(snapshotId, forKey: .snapshotId)
        try c.encodeIfPresent(rebootOption, forKey: .rebootOption)
        try c.encode(createdAt.iso8601, forKey: .createdAt)
        try c.encodeIfPresent(startedAt?.iso8601, forKey: .startedAt)
        try c.encodeIfPresent(endedAt?.iso8601, forKey: .endedAt)
        try c.encode(bootId, forKey: .bootId)
        try c.encodeIfPresent(phase, forKey: .phase)
        try c.encode(rebootAttempts, forKey: .rebootAttempts)
        try c.encodeIfPresent(progress, forKey: .progress)
        try c.encodeIfPresent(error, forKey: .error)
        try c.encodeIfPresent(reportJSON, forKey: .reportJSON)
    }
}
