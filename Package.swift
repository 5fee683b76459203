// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "dspyc",
    // Linux and macOS for everything; the DSPy library (signatures, modules, optimizers,
    // OpenAICompatibleLM) and DSPyPrograms also build for iOS and visionOS. The engine,
    // store and CLI are meant for Linux and macOS (the kernels are C with x86 SIMD behind
    // CPU checks and a portable scalar path).
    platforms: [.macOS(.v14), .iOS(.v17), .visionOS(.v1)],
    products: [
        .executable(name: "dspyc", targets: ["dspyc"]),
        .library(name: "DSPy", targets: ["DSPy"]),
        .library(name: "DSPyEngine", targets: ["DSPyEngine"]),
        .library(name: "DSPyStore", targets: ["DSPyStore"]),
        .library(name: "DSPyPrograms", targets: ["DSPyPrograms"]),
        .plugin(name: "DSPyCompile", targets: ["DSPyCompile"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // `swift package generate-documentation --target DSPy` (DocC); a command plugin only,
        // so `swift build` and `swift test` build nothing of it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // HummingbirdCore only (no router, no swift-configuration): the server, HTTP/1.1 channel and limits.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // MARK: C kernels
        .target(name: "CDSPyKernels"),

        // MARK: Libraries
        .target(name: "DSPyUtilities"),
        // The HTTP transport of `dspyc serve` and the inspector page: Hummingbird 2 on swift-nio.
        .target(
            name: "DSPyHTTP",
            dependencies: [
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]),
        .target(
            name: "DSPyEngine",
            dependencies: ["CDSPyKernels", "DSPyUtilities", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "DSPyStore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"), "DSPyUtilities",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(name: "DSPy", dependencies: ["DSPyUtilities", .product(name: "Logging", package: "swift-log")]),
        .target(name: "DSPyEmbedded", dependencies: ["DSPy", "DSPyEngine", "DSPyUtilities"]),
        .target(name: "DSPyInspector", dependencies: [
            "DSPyStore", "DSPyHTTP", .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: Example programs (their data are embedded as string literals, see programs/ProgramData.swift)
        .target(
            name: "DSPyPrograms",
            dependencies: ["DSPy", "DSPyUtilities"],
            path: "programs",
            exclude: ["README.md", "compiled"]
                + ["sentiment", "country-region", "country-capital"].flatMap { ["\($0)/data", "\($0)/README.md"] }
                + ["sentiment-explained/README.md"]),
        .target(
            name: "DSPyCLI",
            dependencies: [
                "DSPy", "DSPyEngine", "DSPyEmbedded", "DSPyStore", "DSPyInspector", "DSPyHTTP", "DSPyPrograms",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(name: "dspyc", dependencies: ["DSPyCLI"]),

        // MARK: Plugins
        // No tool dependency on purpose: SwiftPM would build it in debug before every run; the plugin
        // builds the dspyc product in release itself (packageManager.build).
        .plugin(
            name: "DSPyCompile",
            capability: .command(
                intent: .custom(verb: "dspyc-compile", description: "Compile dspyc programs with the dspyc tool, built in release."),
                permissions: [.writeToPackageDirectory(reason: "Writes compiled programs to programs/compiled/.")])),

        // MARK: Tests
        .target(
            name: "DSPyTestSupport",
            dependencies: ["DSPy", "DSPyUtilities"],
            path: "Tests/DSPyTestSupport"),
        .testTarget(name: "DSPyUtilitiesTests", dependencies: ["DSPyUtilities"]),
        .testTarget(name: "DSPyHTTPTests", dependencies: ["DSPyHTTP", "DSPyTestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "DSPyEngineTests", dependencies: ["DSPyEngine", "DSPyTestSupport", "DSPyUtilities"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "DSPyStoreTests", dependencies: [
            "DSPyStore", "DSPyTestSupport", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "DSPyTests", dependencies: ["DSPy", "DSPyEmbedded", "DSPyTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "DSPyInspectorTests", dependencies: ["DSPyInspector", "DSPyTestSupport"]),
        .testTarget(name: "DSPyCLITests", dependencies: [
            "DSPyCLI", "DSPyStore", "DSPyEngine", "DSPyPrograms", "DSPyTestSupport",
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "DSPyProgramsTests", dependencies: ["DSPyPrograms", "DSPy", "DSPyTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
