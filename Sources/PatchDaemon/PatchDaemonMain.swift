import PatchCore

/// The daemon entry point (the daemon issue fills it in).
public enum PatchDaemonMain {
    public static func versionLine() -> String { "patchd \(PatchdVersion.current)" }
}
