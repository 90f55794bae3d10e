// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "patchd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "patchd", targets: ["patchd"]),
        .executable(name: "patchctl", targets: ["patchctl"]),
        .library(name: "PatchCore", targets: ["PatchCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Child processes without a shell, with timeouts and output limits (apt-get, dpkg).
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        // YAML: InstallOverrideList files (and, later, the daemon's configuration).
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // The daemon: logging API, graceful lifecycle, SQLite state.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // SHA-256 and HMAC for SigV4, Ed25519 for snapshot signatures: BoringSSL-backed, audited, no code of ours.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // Pure decisions: baselines, versions, name patterns, the approval engine. No IO, no clock.
        .target(name: "PatchCore", swiftSettings: strict),
        // zlib, liblzma, liblz4, libzstd, libbz2 for package metadata: a module map and nothing else.
        .systemLibrary(name: "CCompression", path: "Sources/CCompression"),
        // Per package manager: pure readers (bytes in, records out), argv builders, and a backend that runs them.
        .target(
            name: "PackageManagers",
            dependencies: [
                "PatchCore", "CCompression",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),
        // libcurl's variadic calls as typed C functions, the library opened on first use; only Transport imports it.
        .target(name: "CCurl"),
        // HTTPS with libcurl: certificate verification always on, timeouts, size limits, retries.
        .target(name: "Transport", dependencies: ["CCurl"], swiftSettings: strict),
        // The AWS wire protocol without IO: SigV4 signing (headers and presigned URLs) and its server-side check,
        // the JSON 1.1 request and error envelope. Bytes and strings in, bytes and strings out; no libcurl.
        .target(
            name: "AWSProtocol",
            dependencies: ["PatchCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        // AWS JSON 1.1 calls over HTTPS: AWSProtocol's signed requests sent with Transport. Its own target so that
        // Transport knows nothing of AWS and AWSProtocol stays free of IO.
        .target(name: "AWSClient", dependencies: ["AWSProtocol", "Transport", "PatchCore"], swiftSettings: strict),
        // The workflows: Scan and Install on a root, and their reports.
        .target(
            name: "PatchAgent",
            dependencies: [
                "PatchCore", "PackageManagers", "Transport", "AWSProtocol", .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),
        // sd_notify, socket activation and a journald log handler, over the native protocols (no libsystemd).
        .target(
            name: "Systemd", dependencies: [.product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        // The daemon's durable state in SQLite (WAL): operations, per-patch states, pending reboots, summaries.
        .target(
            name: "PatchStore",
            dependencies: ["PatchCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        // accept4 and SO_PEERCRED, which Swift's Glibc module does not import: two small C wrappers.
        .target(name: "CPatchdShims"),
        // The daemon: operation runner, local socket API, services.
        .target(
            name: "PatchDaemon",
            dependencies: [
                "PatchCore", "PatchAgent", "PatchStore", "Systemd", "CPatchdShims", "AWSClient", "AWSProtocol",
                "Transport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // patchctl's subcommands, one file per subcommand, kept out of the thin executable.
        .target(
            name: "PatchCLI",
            dependencies: [
                "PatchCore", "PatchAgent", "Transport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "patchctl", dependencies: ["PatchCLI"], swiftSettings: strict),
        .executableTarget(name: "patchd", dependencies: ["PatchDaemon"], swiftSettings: strict),
        // Shared by the test targets and the benchmarks: seeded generators, later the real-repository builders.
        .target(name: "PatchTestSupport", swiftSettings: strict),
        // Writes to a PatchStore until killed: the kill -9 durability test drives it. Not shipped.
        .executableTarget(name: "patchstore-stress", dependencies: ["PatchStore"], swiftSettings: strict),
        // Benchmarks documented in README; not part of the shipped package.
        .executableTarget(name: "patchbench", dependencies: ["PatchCore", "PatchTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "PatchCoreTests", dependencies: ["PatchCore", "PatchTestSupport"], exclude: ["Fixtures"],
            swiftSettings: strict),
        .testTarget(
            name: "PackageManagersTests", dependencies: ["PackageManagers", "PatchTestSupport"],
            exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(
            name: "PatchAgentTests", dependencies: ["PatchAgent", "PatchTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "AWSProtocolTests", dependencies: ["AWSProtocol", "PatchTestSupport"], exclude: ["Fixtures"],
            swiftSettings: strict),
        .testTarget(
            name: "TransportTests", dependencies: ["Transport", "PatchTestSupport"], exclude: ["Fixtures"],
            swiftSettings: strict),
        .testTarget(
            name: "AWSClientTests",
            dependencies: ["AWSClient", "AWSProtocol", "Transport", "PatchCore", "PatchTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strict),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd", "PatchTestSupport"], swiftSettings: strict),
        .testTarget(name: "PatchStoreTests", dependencies: ["PatchStore", "PatchTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "PatchDaemonTests", dependencies: ["PatchDaemon", "PatchTestSupport"], swiftSettings: strict),
        // Builds (or takes $PATCHD_DEB) the .deb and installs, upgrades and purges it in a Debian 12 chroot.
        .testTarget(
            name: "PackagingTests", dependencies: ["PatchCore", "PatchTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "PatchCLITests",
            dependencies: ["PatchCore", "PatchTestSupport"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
