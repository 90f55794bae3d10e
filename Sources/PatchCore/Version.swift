public enum PatchdVersion { public static let current = "0.1.0" }
