// swift-tools-version: 6.1
import PackageDescription
import Foundation

// The numeric core's elementwise loops (tanh, Adam, the heads) vectorise with AVX2 instead of the SSE2 baseline
// of x86-64 (measured: 2x on the PPO update step). Every x86-64 server CPU since 2013 has AVX2;
// set PPO_PORTABLE=1 when building to target baseline x86-64 instead.
#if arch(x86_64)
let vectorSettings: [SwiftSetting] = ProcessInfo.processInfo.environment["PPO_PORTABLE"] == nil
    ? [.unsafeFlags(["-target-cpu", "haswell"])] : []
#else
let vectorSettings: [SwiftSetting] = []
#endif

let package = Package(
    name: "swift-ppo",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "PPOCore", targets: ["PPOCore"]),
        .library(name: "Environments", targets: ["Environments"]),
        .library(name: "Training", targets: ["Training"]),
        .executable(name: "ppo", targets: ["ppo"]),
        .executable(name: "ppo-learner", targets: ["ppo-learner"]),
        .executable(name: "ppo-worker", targets: ["ppo-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        // OpenBLAS through its C interface (cblas_sgemm / cblas_sgemv). Debian: libopenblas-dev.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // OpenSSL's libcrypto through its C interface: issuing and reading the run's X.509 certificates
        // (TransportSecurity/PrivateKey.swift says why not swift-certificates). Debian: libssl-dev.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // zlib through its C interface (compress2 / inflate). Debian: zlib1g-dev.
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Numerics: layers, heads, PPO loss, GAE, Adam, RNG, config. Nothing networked.
        .target(
            name: "PPOCore",
            dependencies: ["COpenBLAS"],
            swiftSettings: vectorSettings
        ),
        // Classic-control environments with Gymnasium semantics, and the vectorised env.
        .target(
            name: "Environments",
            dependencies: ["PPOCore"]
        ),
        // What the Gymnasium bridge needs from C: acquire/release words in shared memory, close-on-exec pipes.
        .target(name: "CBridgeSupport"),
        // Turns a text file into a Swift string constant at build time (the bridge's Python module).
        .executableTarget(name: "embed-text"),
        .plugin(
            name: "EmbedBridgeScript",
            capability: .buildTool(),
            dependencies: ["embed-text"],
            path: "Sources/EmbedBridgeScript"
        ),
        // Any Gymnasium environment, stepped in a Python process the worker starts (Protocol/BRIDGE.md), and the
        // catalog that tells native ids from `gym:` ones.
        .target(
            name: "GymBridge",
            dependencies: ["Environments", "PPOCore", "CBridgeSupport"],
            exclude: ["Python"],
            plugins: ["EmbedBridgeScript"]
        ),
        // The trainer (GAE → PPO epochs → next version), the rollout collector, checkpoints, presets, evaluation.
        .target(
            name: "Training",
            dependencies: [
                "Rendering",
                "PPOCore",
                "Environments",
                "GymBridge",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("Presets")]
        ),
        // The wire: message types, binary codec, framing, compression, limits — the code twin of Protocol/PROTOCOL.md.
        // Frames of the classic-control envs and animated GIFs (ppo eval --video).
        .target(name: "Rendering"),
        // A trained policy as an ONNX model (ppo export).
        .target(
            name: "PolicyExport",
            dependencies: ["PPOCore", "Training"]
        ),
        .target(
            name: "Wire",
            dependencies: [
                "PPOCore",
                "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Mutual TLS: certificate issuance (`ppo certs`), server and client TLS configurations, plaintext policy.
        .target(
            name: "TransportSecurity",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                "COpenSSL",
            ]
        ),
        // The learner: sessions, scheduler (grants), the on-policy rule, trainer loop, broadcast, checkpoints, metrics.
        .target(
            name: "Learner",
            dependencies: [
                "PPOCore", "Environments", "GymBridge", "Training", "Wire", "TransportSecurity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The worker: connection with reconnect/backoff, rollout loop over a VectorEnv, snapshot swap.
        .target(
            name: "Worker",
            dependencies: [
                "PPOCore", "Environments", "GymBridge", "Training", "Wire", "TransportSecurity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What the command lines share: the options that say what to train, the progress line.
        .target(
            name: "CommandSupport",
            dependencies: [
                "Training", "PPOCore", "GymBridge", "TransportSecurity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Micro-benchmarks behind `ppo bench`.
        .target(
            name: "PPOBench",
            dependencies: ["PPOCore", "Environments", "GymBridge", "Wire", "Training", "TransportSecurity",
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]
        ),
        .executableTarget(
            name: "ppo",
            dependencies: [
                "PPOCore",
                "Environments",
                "GymBridge",
                "PPOBench",
                "PolicyExport",
                "Training",
                "Wire",
                "TransportSecurity",
                "Learner",
                "CommandSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ppo-learner",
            dependencies: [
                "Learner", "Training", "PPOCore", "GymBridge", "Wire", "TransportSecurity", "CommandSupport",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ppo-worker",
            dependencies: [
                "Worker", "GymBridge", "Environments", "CommandSupport", "TransportSecurity",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // libFuzzer target for the frame decoder; see .ci/fuzz-wire. A normal build replays files instead.
        .executableTarget(
            name: "WireFuzzer",
            dependencies: [
                "Wire",
                "PPOCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // What the test targets share: running tests that block off the cooperative pool (`.offThePool`).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "PPOCoreTests",
            dependencies: ["TestSupport", "PPOCore"]
        ),
        .testTarget(
            name: "TrainingTests",
            dependencies: ["TestSupport", "Training", "Environments", "PPOCore"]
        ),
        .testTarget(
            name: "WireTests",
            dependencies: [
                "Wire",
                "PPOCore",
                "Environments",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TransportSecurityTests",
            dependencies: [
                "TestSupport",
                "TransportSecurity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Real processes: ppo-learner and ppo-worker over mutual TLS on loopback.
        .testTarget(
            name: "LearnerTests",
            dependencies: ["TestSupport", "Learner", "Worker", "Training", "Wire", "PPOCore", "Environments",
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["ppo-learner", "ppo-worker", "Learner", "Training", "TransportSecurity", "Wire", "PPOCore",
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl")],
            exclude: ["browser"]
        ),
        // The worker's side of the conversation, against a scripted learner in this process.
        .testTarget(
            name: "WorkerTests",
            dependencies: ["Worker", "Wire", "Environments", "PPOCore", "TransportSecurity",
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        // The bridge against real Python processes (needs an interpreter with gymnasium: PPO_PYTHON).
        .testTarget(
            name: "GymBridgeTests",
            dependencies: ["TestSupport", "GymBridge", "Environments", "PPOCore", "Training"],
            exclude: ["fixtures", "python"]
        ),
        .testTarget(
            name: "RenderingTests",
            dependencies: ["TestSupport", "Rendering"]
        ),
        .testTarget(
            name: "PolicyExportTests",
            dependencies: ["TestSupport", "PolicyExport", "Training", "PPOCore"]
        ),
        .testTarget(
            name: "EnvironmentsTests",
            dependencies: ["TestSupport", "Environments", "PPOCore"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
