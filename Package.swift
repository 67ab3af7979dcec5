// swift-tools-version:6.1
// FlukeWatch: an edge field-station daemon for humpback-whale photo identification.
// The module map follows DESIGN.md: one concern per target, system libraries through pkg-config.
import PackageDescription

let package = Package(
    name: "FlukeWatch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "flukewatch", targets: ["flukewatch"]),
        .executable(name: "flukewatch-bench", targets: ["flukewatch-bench"]),
        .executable(name: "flukewatch-hub", targets: ["flukewatch-hub"]),
        .executable(name: "flukewatch-hub-bench", targets: ["flukewatch-hub-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The local review web page (FlukeStation/ReviewWeb) and the hub's HTTP server. No
        // default traits: neither needs swift-configuration nor the extra Foundation helpers.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        // The station's client for the hub (FlukeStation/Sync).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // The hub's optional PostgreSQL storage (FlukeHub/Postgres), for several hub replicas.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.25.0"),
    ],
    targets: [
        // MARK: System libraries (found with pkg-config; installed by scripts/setup.sh)
        // OpenCV is linked module by module (see Sources/COpenCV/module.modulemap for why).
        .systemLibrary(name: "COpenCV", providers: [.apt(["libopencv-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd",
                       providers: [.apt(["libsystemd-dev"])]),

        // MARK: Domain
        .target(name: "FlukeCore"),

        // MARK: Vision: a C API over OpenCV's C++ (no exception crosses into Swift), and Swift above it
        .target(name: "CFlukeVisionShim", dependencies: ["COpenCV", "COpenBLAS"],
                cxxSettings: [.unsafeFlags(["-std=c++17", "-O2", "-I/usr/include/opencv4"])],
                // imgcodecs is not linked: LazyImgcodecs.cpp opens it on the first PNG or TIFF.
                linkerSettings: ["opencv_core", "opencv_imgproc", "opencv_features2d", "opencv_calib3d", "jpeg", "dl"]
                    .map { .linkedLibrary($0) }),
        // The embedding runtime: XNNPACK's subgraph API behind a small C layer (Debian's
        // libxnnpack-dev ships no pkg-config file, so the libraries are named here).
        .target(name: "CFlukeEmbed", cSettings: [.unsafeFlags(["-O2"])],
                linkerSettings: [.linkedLibrary("XNNPACK"), .linkedLibrary("pthreadpool"), .linkedLibrary("m")]),
        // int8 dot products for the gallery's first pass (vectorised by the compiler).
        .target(name: "CFlukeScan", cSettings: [.unsafeFlags(["-O3"])]),
        // OpenCV as the independent reference (tests and benchmarks only): DNN for the fp32 net, imdecode
        // for the reduced decode, the brute-force matcher for verification's matches.
        .target(name: "CFlukeReference", dependencies: ["COpenCV"],
                cxxSettings: [.unsafeFlags(["-std=c++17", "-O2", "-I/usr/include/opencv4"])],
                linkerSettings: ["opencv_core", "opencv_dnn", "opencv_imgcodecs", "opencv_features2d"].map { .linkedLibrary($0) }),
        // The same reference in Swift (tests and benchmarks only).
        .target(name: "FlukeReference", dependencies: ["CFlukeReference", "FlukeVision"]),
        .target(name: "FlukeVision", dependencies: [
            "FlukeCore", "CFlukeVisionShim", "CFlukeEmbed",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // MARK: Matching: gallery search with BLAS, projections, metrics
        .target(name: "FlukeMatch", dependencies: ["FlukeCore", "COpenBLAS", "CFlukeScan"]),

        // MARK: Storage
        .target(name: "FlukeStore", dependencies: [
            "FlukeCore", "FlukeAPI",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),

        // MARK: The station daemon's services
        .target(name: "FlukeStation", dependencies: [
            "FlukeCore", "FlukeVision", "FlukeMatch", "FlukeStore", "CSystemd", "FlukeAPI",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),

        // MARK: The hub: wire types shared by both ends, and the central server
        .target(name: "FlukeAPI"),
        .target(name: "FlukeHub", dependencies: [
            "FlukeAPI",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),

        // MARK: Photos the project makes itself (demo, tests, benchmarks)
        .target(name: "FlukeFixtures", dependencies: ["FlukeCore", "FlukeVision"]),
        // Running real programs from the tests (never linked into a product).
        .target(name: "FlukeTestSupport"),

        // MARK: Entry points
        .executableTarget(name: "flukewatch", dependencies: [
            "FlukeCore", "FlukeStation", "FlukeStore", "FlukeFixtures",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "flukewatch-hub", dependencies: [
            "FlukeHub", "FlukeAPI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "flukewatch-bench", dependencies: [
            "FlukeCore", "FlukeStation", "FlukeStore", "FlukeFixtures", "FlukeVision", "FlukeMatch", "CFlukeReference", "FlukeReference",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // The hub's load benchmark: N stations syncing at once, SQLite against PostgreSQL.
        .executableTarget(name: "flukewatch-hub-bench", dependencies: [
            "FlukeAPI",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),

        // MARK: Tests
        .testTarget(name: "FlukeCoreTests", dependencies: ["FlukeCore"]),
        .testTarget(name: "FlukeVisionTests", dependencies: ["FlukeVision", "FlukeFixtures", "CFlukeReference", "FlukeReference", "CFlukeEmbed"]),
        .testTarget(name: "FlukeMatchTests", dependencies: ["FlukeMatch"]),
        .testTarget(name: "FlukeStoreTests", dependencies: ["FlukeStore", "FlukeCore"]),
        .testTarget(name: "FlukeStationTests", dependencies: [
            "FlukeStation", "FlukeStore", "FlukeFixtures", "FlukeVision", "FlukeMatch", "FlukeTestSupport", "flukewatch",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "FlukeHubTests", dependencies: [
            "FlukeHub", "FlukeAPI", "FlukeStation", "FlukeStore", "FlukeCore", "FlukeVision", "FlukeFixtures", "FlukeTestSupport",
            "flukewatch-hub", "flukewatch",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
