/// When and how long to wait before trying a request again: exponential backoff with jitter, `Retry-After` honoured
/// up to a cap, a bounded number of retries.
///
/// What is retried is the client's decision (connection errors, timeouts, 429 and 5xx by default); this says how
/// often and when. `sleep` is how the client waits: tests pass one that records the delays and returns at once.
public struct RetryPolicy: Sendable {
    /// Retries after the first attempt (0: one attempt only).
    public var maximumRetries: Int = 2
    /// The backoff before the first retry; it doubles for each further one.
    public var initialBackoff: Duration = .milliseconds(500)
    /// The backoff stops doubling here.
    public var maximumBackoff: Duration = .seconds(30)
    /// A server's `Retry-After` is honoured up to this long.
    public var maximumRetryAfter: Duration = .seconds(60)
    /// Waits between attempts (default: `Task.sleep`, which returns early when the task is cancelled).
    public var sleep: @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) }

    /// The default policy: 2 retries, 0.5 s doubling to at most 30 s, `Retry-After` up to 60 s.
    public init() {}

    /// A policy from its numbers.
    public init(
        maximumRetries: Int, initialBackoff: Duration = .milliseconds(500), maximumBackoff: Duration = .seconds(30),
        maximumRetryAfter: Duration = .seconds(60)
    ) {
        self.maximumRetries = maximumRetries
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// No retries at all.
    public static let none = RetryPolicy(maximumRetries: 0)

    /// The wait before retry number `retry` (0 for the first retry).
    ///
    /// The backoff is `initialBackoff · 2^retry`, at most `maximumBackoff`, with "equal jitter": half of it fixed,
    /// the other half scaled by `random` (in 0..<1), so clients that failed together do not retry together. A
    /// `Retry-After` from the server, capped at `maximumRetryAfter`, is waited for when it is longer.
    public func delay(beforeRetry retry: Int, retryAfter: Duration?, random: Double) -> Duration {
        var backoff = initialBackoff
        for _ in 0..<max(retry, 0) where backoff < maximumBackoff { backoff *= 2 }
        backoff = min(backoff, maximumBackoff)
        let jittered = backoff / 2 + (backoff / 2) * min(max(random, 0), 1)
        guard let retryAfter else { return jittered }
        return max(jittered, min(retryAfter, maximumRetryAfter))
    }
}
