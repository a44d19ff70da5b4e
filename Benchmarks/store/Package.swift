// swift-tools-version:6.1
// The store benchmark: a package of its own so the product never depends on benchmark code.
// Run with ./run.sh.
import PackageDescription

/// The main package's identity is the name of its directory (a path dependency), whatever the
/// checkout is called: two levels above this manifest.
let larder = #filePath.split(separator: "/").dropLast(3).last.map(String.init) ?? "main"

let package = Package(
    name: "StoreBenchmark",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "StoreBenchmark",
            dependencies: [.product(name: "CacheStore", package: larder)],
            swiftSettings: [
                .swiftLanguageMode(.v6),
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
            ]
        )
    ]
)
