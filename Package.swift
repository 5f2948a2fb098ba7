// swift-tools-version: 6.1
// Verdant: a carbon-aware energy manager for Linux.
// Module shape and dependency direction: docs/architecture.md.
import PackageDescription

let package = Package(
    name: "Verdant",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "verdantd", targets: ["verdantd"]),
        .executable(name: "verdant", targets: ["verdant"]),
        .library(name: "VerdantCore", targets: ["VerdantCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.20.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.30.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
    ],
    targets: [
        // MARK: Pure core: units, counter arithmetic, attribution, intensity series, planner. No I/O.
        .target(name: "VerdantCore"),

        // MARK: C shims
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .target(name: "CVerdantSpawn"),
        .target(name: "CVerdantSensors"),

        // MARK: Adapters, one technology each
        .target(name: "VerdantSensors", dependencies: ["VerdantCore", "CVerdantSensors", "VerdantKernelFiles"]),
        .target(name: "VerdantKernelFiles"),
        .target(name: "VerdantStore", dependencies: [
            "VerdantCore", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "VerdantCarbon", dependencies: ["VerdantCore"]),
        .target(name: "VerdantCarbonProviders", dependencies: [
            "VerdantCore", "VerdantCarbon", .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        .target(name: "VerdantExecutor", dependencies: ["VerdantCore", "CVerdantSpawn", "VerdantKernelFiles"]),
        .target(name: "VerdantSlurm", dependencies: ["VerdantCore", "VerdantKernelFiles"]),
        .target(name: "VerdantSystemd", dependencies: ["CSystemd", "VerdantCore", "VerdantKernelFiles", .product(name: "Logging", package: "swift-log")]),
        .target(name: "VerdantAPI", dependencies: ["VerdantCore"]),
        .target(name: "VerdantMetrics", dependencies: [.product(name: "Prometheus", package: "swift-prometheus")]),
        // The progress line of long command-line operations on a terminal (issue 12), for both executables' commands.
        .target(name: "VerdantTerminal", dependencies: ["VerdantCore"]),
        // Pure renderings of an EnergyReport (table, CSV, JSON, self-contained HTML with SVG charts).
        .target(name: "VerdantReport", dependencies: ["VerdantCore"]),
        .target(name: "VerdantServer", dependencies: [
            "VerdantAPI", .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .target(name: "VerdantClient", dependencies: [
            "VerdantAPI", .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),

        // MARK: Composition root and commands
        .target(
            name: "VerdantDaemon",
            dependencies: [
                "VerdantCore", "VerdantSensors", "VerdantStore", "VerdantCarbon", "VerdantExecutor",
                "VerdantSystemd", "VerdantAPI", "VerdantServer", "VerdantCarbonProviders", "VerdantMetrics", "VerdantReport",
                "VerdantSlurm", "VerdantTerminal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("Resources/traces"), .copy("Resources/reference"), .copy("Resources/policies")]
        ),
        .target(name: "VerdantCLI", dependencies: [
            "VerdantCore", "VerdantAPI", "VerdantClient", "VerdantSensors", "VerdantReport",
            "VerdantStore", "VerdantExecutor",   // issue 12: verdant doctor (read-only database check, cgroup layout)
            "VerdantDaemon",   // PolicyFile and the shipped policies, for `verdant simulate --policy` (issue 6)
            "VerdantTerminal",   // ProgressReporter (issue 12)
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Executables: a few lines each
        .executableTarget(
            name: "verdantd", dependencies: ["VerdantDaemon", "VerdantSystemd", .product(name: "Logging", package: "swift-log")],
            exclude: ["symbol-order.txt"], linkerSettings: verdantdReleaseLink),
        .executableTarget(name: "verdant", dependencies: ["VerdantCLI"]),
        // The report/rollup benchmark of issue 8 (scripts/bench-report runs it; prints figures).
        .executableTarget(name: "verdant-bench", dependencies: [
            "VerdantDaemon", "VerdantStore", "VerdantReport", "VerdantAPI", "VerdantCore", .product(name: "GRDB", package: "GRDB.swift"),
        ]),

        // MARK: Tests
        // Helpers shared by test targets (the fuzz mutator of issue 10); no product depends on it.
        .target(name: "VerdantTestSupport", path: "Tests/VerdantTestSupport"),
        .testTarget(name: "VerdantCoreTests", dependencies: ["VerdantCore"]),
        .testTarget(name: "VerdantSensorsTests", dependencies: ["VerdantSensors", "VerdantCore"], exclude: ["Fixtures"]),
        .testTarget(name: "VerdantExecutorTests", dependencies: ["VerdantExecutor", "VerdantCore"]),
        .testTarget(name: "VerdantSystemdTests", dependencies: ["VerdantSystemd", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "VerdantSlurmTests", dependencies: [
            "VerdantSlurm", "VerdantCore", "VerdantDaemon", "VerdantStore", "VerdantAPI",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Fixtures"]),
        .testTarget(name: "VerdantStoreTests", dependencies: ["VerdantStore", "VerdantCore"]),
        .testTarget(name: "VerdantKernelFilesTests", dependencies: ["VerdantKernelFiles"]),
        .testTarget(name: "VerdantCarbonTests", dependencies: [
            "VerdantCarbon", "VerdantCarbonProviders", "VerdantCore", "VerdantTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ], exclude: ["Fixtures"]),
        .testTarget(name: "VerdantDaemonTests", dependencies: [
            "VerdantDaemon", "VerdantCore", "VerdantAPI", "VerdantStore", "VerdantMetrics", "VerdantReport", "VerdantTestSupport", .product(name: "Hummingbird", package: "hummingbird"),
            "VerdantSystemd", "VerdantTerminal",
        ]),
        .testTarget(name: "VerdantEndToEndTests", dependencies: [
            "VerdantCore", "VerdantStore", .product(name: "GRDB", package: "GRDB.swift"), "verdantd", "verdant",
        ]),
    ],
    swiftLanguageModes: [.v6]
)

/// Release link of `verdantd` on Linux, for issue 3's resident-memory target (docs/performance.md,
/// "Memory: what the peak RSS is"): most of the daemon's RSS is clean pages of its own binary that
/// start-up touches, so the link makes fewer of them touched. lld (shipped with the Swift toolchain)
/// instead of gold; no `--export-dynamic` (the static stdlib's link file adds it: 46,000 dynamic
/// symbols the loader hashes through at start, 3 MB); RELR packed relative relocations (the PIE's
/// 142,000 `R_X86_64_RELATIVE` entries, 3.1 MB read at every start, become 27 KB; needs glibc 2.36,
/// Debian 12); and the functions start-up and sampling run placed together at the start of `.text`
/// (`symbol-order.txt`, written by `scripts/verdantd-symbol-order`; names that no longer exist are
/// ignored, so a stale list only costs memory). The list moves single Swift functions only when the
/// modules are compiled with `-Xswiftc -Xfrontend -Xswiftc -function-sections`, as `make build` does
/// (docs/performance.md, "Code laid out by function"). Measured: 50.6 -> 37.9 MB with 50 jobs (release,
/// static stdlib), then a lifetime peak of 24-25 MB with function sections. Debug builds are linked as before.
var verdantdReleaseLink: [LinkerSetting] {
    [
        .unsafeFlags([
            "-use-ld=lld",
            "-Xlinker", "--no-export-dynamic",
            "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
            "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/verdantd/symbol-order.txt",
            "-Xlinker", "--no-warn-symbol-ordering",
        ], .when(platforms: [.linux], configuration: .release)),
    ]
}
