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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // OpenBLAS through its C interface (cblas_sgemm / cblas_sgemv). Debian: libopenblas-dev.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
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
        // The trainer (GAE → PPO epochs → next version), the rollout collector, checkpoints, presets, evaluation.
        .target(
            name: "Training",
            dependencies: [
                "PPOCore",
                "Environments",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("Presets")]
        ),
        // Micro-benchmarks behind `ppo bench`.
        .target(
            name: "PPOBench",
            dependencies: ["PPOCore", "Environments"]
        ),
        .executableTarget(
            name: "ppo",
            dependencies: [
                "PPOCore",
                "Environments",
                "PPOBench",
                "Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PPOCoreTests",
            dependencies: ["PPOCore"]
        ),
        .testTarget(
            name: "TrainingTests",
            dependencies: ["Training", "Environments", "PPOCore"]
        ),
        .testTarget(
            name: "EnvironmentsTests",
            dependencies: ["Environments", "PPOCore"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
