// swift-tools-version:6.0
// RentGuard — building-safety gateway daemon for dense rental blocks.
import PackageDescription

let package = Package(
    name: "rentguard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rentguardd", targets: ["rentguardd"]),
        .executable(name: "rentguard-sim", targets: ["rentguard-sim"]),
        .executable(name: "rentguardctl", targets: ["rentguardctl"]),
        .library(name: "RentGuardCore", targets: ["RentGuardCore"]),
        .library(name: "RentGuardTesting", targets: ["RentGuardTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.20.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
    ],
    targets: [
        // System libraries, found through pkg-config.
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        // OpenSSL's libcrypto, for the HMAC-SHA256 signature of HTTPS deliveries.
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),

        // The functional core: protocol model, decoding, configuration model and detection.
        // Swift standard library only: no I/O, no clocks, no global state.
        .target(name: "RentGuardCore", linkerSettings: [.linkedLibrary("m")]),

        // Adapters at the edges.
        .target(
            name: "RentGuardConfig",
            dependencies: ["RentGuardCore", "RentGuardCentre", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "RentGuardMQTT",
            dependencies: ["CMosquitto", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "RentGuardStore",
            dependencies: ["CSQLite", "RentGuardCore", .product(name: "Logging", package: "swift-log")]
        ),
        // GB/T 26875.3-2011, the city fire-monitoring centre's protocol: frames, objects, the
        // device mapping. Pure (GB 18030 through the C library's iconv, no ICU).
        .target(name: "RentGuardCentre", dependencies: ["RentGuardCore"]),
        .target(
            name: "RentGuardForwarding",
            dependencies: [
                "RentGuardCore", "RentGuardStore", "RentGuardMQTT", "CCrypto", "RentGuardCentre",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "RentGuardSystemd",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The ledger (台账): a period's report from the store's records (CSV, HTML, JSON).
        .target(name: "RentGuardLedger", dependencies: ["RentGuardCore", "RentGuardStore"]),
        .target(
            name: "RentGuardHTTP",
            dependencies: [
                "RentGuardCore", "RentGuardStore", "RentGuardLedger",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                // HTTPRequestPart/HTTPResponsePart, for ConnectionGuard's handler.
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "RentGuardDaemon",
            dependencies: [
                "RentGuardCore", "RentGuardConfig", "RentGuardMQTT", "RentGuardStore", "RentGuardForwarding", "RentGuardCentre",
                "RentGuardSystemd", "RentGuardHTTP", "RentGuardLedger",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "rentguardd",
            dependencies: [
                "RentGuardDaemon", "RentGuardConfig", "RentGuardCore", "RentGuardHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // rentguardctl: the fire-station operator's view of a running daemon.
        .executableTarget(
            name: "rentguardctl",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                "RentGuardCore",
            ]
        ),

        // Benchmarks print figures; they are never timed tests.
        .executableTarget(
            name: "rentguard-bench",
            dependencies: ["RentGuardCore", "CAllocCounter"]
        ),
        // A malloc interposer that counts allocations and live heap bytes (benchmarks only).
        .target(name: "CAllocCounter"),

        // The daemon's ingest against a real broker: throughput, latency, RSS. Prints figures.
        .executableTarget(
            name: "rentguard-ingest-bench",
            dependencies: ["RentGuardTesting", "RentGuardMQTT", .product(name: "Logging", package: "swift-log")]
        ),

        // The daemon's idle memory and flash wear, on the real binary and a real broker. Prints figures.
        .executableTarget(
            name: "rentguard-footprint-bench",
            dependencies: ["RentGuardTesting", "RentGuardMQTT", "RentGuardCore", "RentGuardStore", .product(name: "Logging", package: "swift-log")]
        ),

        // libFuzzer targets over the decoders of untrusted input (scripts/fuzz.sh, docs/fuzzing.md).
        // Built for fuzzing only with -DRENTGUARD_FUZZ and the sanitizers; the normal build
        // gives a replay tool (`rentguard-fuzz <target> <file>...`).
        .executableTarget(
            name: "rentguard-fuzz",
            dependencies: ["RentGuardCore", "RentGuardCentre", "RentGuardConfig"]
        ),

        // A power cut (kill -9) of the building broker and the daemon: messages the broker
        // acknowledged vs what reached the registry, and the broker's flash writes. Prints figures.
        .executableTarget(
            name: "rentguard-powercut-bench",
            dependencies: ["RentGuardTesting", "RentGuardMQTT", .product(name: "Logging", package: "swift-log")]
        ),

        // Accuracy evaluations on real data sets (../shared/data); print figures.
        .executableTarget(
            name: "rentguard-eval",
            dependencies: ["RentGuardCore", "RentGuardSimulator"]
        ),

        // The simulator: a building's sensor traffic from physical models.
        .target(
            name: "RentGuardSimulator",
            dependencies: ["RentGuardCore", "RentGuardConfig", .product(name: "Yams", package: "Yams")],
            path: "simulator/Sources/RentGuardSimulator"
        ),
        .executableTarget(
            name: "rentguard-sim",
            dependencies: [
                "RentGuardSimulator", "RentGuardCore", "RentGuardConfig", "RentGuardMQTT",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "simulator/Sources/rentguard-sim"
        ),

        // Test support: a real mosquitto on a free loopback port, the daemon as a child process.
        .target(
            name: "RentGuardTesting",
            dependencies: [
                "RentGuardMQTT",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        .testTarget(name: "RentGuardCoreTests", dependencies: ["RentGuardCore"]),
        .testTarget(name: "RentGuardConfigTests", dependencies: ["RentGuardConfig", "RentGuardCore"]),
        .testTarget(
            name: "RentGuardStoreTests",
            dependencies: ["RentGuardStore", "RentGuardCore", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "RentGuardDaemonTests",
            dependencies: [
                "RentGuardDaemon", "RentGuardForwarding", "RentGuardStore", "RentGuardCore", "RentGuardMQTT", "RentGuardTesting",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RentGuardForwardingTests",
            dependencies: [
                "RentGuardForwarding", "RentGuardStore", "RentGuardCore", "RentGuardTesting", "RentGuardCentre",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "RentGuardOperationsTests",
            dependencies: [
                "RentGuardSystemd", "RentGuardHTTP", "RentGuardLedger", "RentGuardTesting", "RentGuardCore", "RentGuardStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "RentGuardSimulatorTests",
            dependencies: ["RentGuardSimulator", "RentGuardCore", "RentGuardConfig"],
            path: "simulator/Tests/RentGuardSimulatorTests"
        ),
        .testTarget(
            name: "RentGuardIntegrationTests",
            dependencies: [
                "RentGuardTesting", "RentGuardMQTT", "RentGuardCore", "RentGuardStore", "RentGuardForwarding",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
