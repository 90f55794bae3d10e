import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An OpenPGP signing key (ed25519, no passphrase) in a private `GNUPGHOME`, made once per test process and used to
/// sign every test repository's Release files.
///
/// gpg operations are serialised, and the gpg-agent is stopped after each one so no agent outlives the tests.
public final class TestSigningKey: Sendable {
    /// The process-wide key, generated on first use.
    public static func shared() throws -> TestSigningKey { try sharedKey.get() }

    private static let sharedKey = Result { try TestSigningKey() }

    /// The private GNUPGHOME (mode 0700) holding the secret key.
    public let home: String
    /// The key's fingerprint.
    public let fingerprint: String
    /// The public key as a binary keyring, suitable for `signed-by`; beside `home`, readable by apt's `_apt` user.
    public let keyring: String

    // gpg and its agent share state in `home`: one operation at a time.
    private let lock = NSLock()

    public init() throws {
        let base = try TestDirectory.make(prefix: "patchd-gnupg")
        registerRemovalAtExit(base)
        home = base + "/gnupg"
        guard mkdir(home, 0o700) == 0 else { throw TestSupportError("mkdir \(home) failed") }
        keyring = base + "/test-archive-keyring.gpg"
        let env = TestProcess.environment(["GNUPGHOME": home, "LC_ALL": "C"])
        defer { Self.stopAgent(env) }
        try TestProcess.runChecked(
            Self.gpg + [
                "--passphrase", "", "--quick-gen-key", "patchd test archive <archive@patchd.invalid>", "ed25519",
                "sign", "never",
            ], environment: env, timeout: .seconds(60))
        let listing = try TestProcess.runChecked(
            Self.gpg + ["--with-colons", "--list-secret-keys"], environment: env, timeout: .seconds(30))
        guard
            let fpr = listing.stdout.split(separator: "\n").first(where: { $0.hasPrefix("fpr:") })?
                .split(separator: ":", omittingEmptySubsequences: false).dropFirst(9).first
        else { throw TestSupportError("no fingerprint in gpg --list-secret-keys output:\n\(listing.stdout)") }
        fingerprint = String(fpr)
        try TestProcess.runChecked(
            Self.gpg + ["--output", keyring, "--export", fingerprint], environment: env, timeout: .seconds(30))
        guard chmod(keyring, 0o644) == 0 else { throw TestSupportError("chmod 0644 \(keyring) failed") }
    }

    /// Writes `InRelease` (clear-signed) and `Release.gpg` (detached, armoured) beside `release`.
    public func sign(release: String) throws {
        let directory = (release as NSString).deletingLastPathComponent
        let env = TestProcess.environment(["GNUPGHOME": home, "LC_ALL": "C"])
        lock.lock()
        defer { lock.unlock() }
        defer { Self.stopAgent(env) }
        let signer = Self.gpg + ["--passphrase", "", "--local-user", fingerprint, "--digest-algo", "SHA512", "--yes"]
        try TestProcess.runChecked(
            signer + ["--clearsign", "--output", directory + "/InRelease", release], environment: env,
            timeout: .seconds(60))
        try TestProcess.runChecked(
            signer + ["--armor", "--detach-sign", "--output", directory + "/Release.gpg", release],
            environment: env, timeout: .seconds(60))
    }

    private static let gpg = ["gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback"]

    private static func stopAgent(_ env: [String: String]) {
        _ = try? TestProcess.run(["gpgconf", "--kill", "gpg-agent"], environment: env, timeout: .seconds(30))
    }
}

// Key directories to delete when the process exits. Guarded by `keyDirectoriesLock`; atexit runs single-threaded.
nonisolated(unsafe) private var keyDirectoriesToRemove: [String] = []
private let keyDirectoriesLock = NSLock()

private func registerRemovalAtExit(_ directory: String) {
    keyDirectoriesLock.lock()
    defer { keyDirectoriesLock.unlock() }
    if keyDirectoriesToRemove.isEmpty {
        atexit {
            for directory in keyDirectoriesToRemove { try? FileManager.default.removeItem(atPath: directory) }
        }
    }
    keyDirectoriesToRemove.append(directory)
}
