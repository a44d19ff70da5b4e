// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Larder",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "larder", targets: ["larder"]),
        .library(name: "CacheStore", targets: ["CacheStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C libraries from the system (installed by `make deps`).
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(
            name: "CSHA256",
            linkerSettings: [.linkedLibrary("crypto")]
        ),

        // The LMDB store: variants, content-addressed chunked bodies, LRU, counters, crash safety.
        .target(name: "CacheStore", dependencies: ["CLMDB", "CSHA256"]),

        // Pure RFC 9110/9112 message rules: no sockets, no disk.
        .target(
            name: "HTTPRules",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Pure RFC 9111 caching decisions: storability, freshness, age, validation, Vary, Cache-Status.
        .target(
            name: "CachePolicy",
            dependencies: [
                "HTTPRules",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Connections to origins.
        .target(
            name: "Upstream",
            dependencies: [
                "HTTPRules",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The request pipeline: server, routing, forwarding.
        .target(
            name: "Proxy",
            dependencies: [
                "CachePolicy",
                "CacheStore",
                "HTTPRules",
                "Upstream",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "larder",
            dependencies: [
                "Proxy",
                "CacheStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        // Shared test helpers: a scriptable origin, an HTTP test client, temporary directories.
        .target(
            name: "TestSupport",
            dependencies: [
                "CacheStore",
                "Proxy",
                "Upstream",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "HTTPRulesTests", dependencies: ["HTTPRules"]),
        .testTarget(
            name: "CachePolicyTests",
            dependencies: ["CachePolicy", .product(name: "NIOHTTP1", package: "swift-nio")]
        ),
        // A child process the store's crash test kills with SIGKILL mid-fill.
        .executableTarget(
            name: "StoreCrashChild",
            dependencies: ["CacheStore"],
            path: "Tests/StoreCrashChild",
            exclude: ["crash-loop.sh"]
        ),
        .testTarget(name: "CacheStoreTests", dependencies: ["CacheStore", "StoreCrashChild", "TestSupport"]),
        .testTarget(
            name: "ProxyTests",
            dependencies: [
                "Proxy",
                "Upstream",
                "TestSupport",
                "larder",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)

let sharedSwiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + sharedSwiftSettings
}
