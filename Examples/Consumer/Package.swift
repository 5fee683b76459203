// swift-tools-version: 6.1
import PackageDescription

// A package that uses dspyc the way an outside project would: it depends on
// the dspyc package (here by path; elsewhere `.package(url: …, from: …)`) and
// runs its `dspyc-compile` command plugin:
//
//   swift package --allow-writing-to-package-directory dspyc-compile --program sentiment
//
// The plugin builds dspyc in release inside this package's own `.build` and
// writes the compiled program to `programs/compiled/sentiment.json` here.
//
// `consumer-programs` uses the `DSPyPrograms` library: the example programs and
// their data, embedded in the module, so it works from any folder.
let package = Package(
    name: "Consumer",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "dspyc", path: "../.."),
    ],
    targets: [
        .target(name: "Consumer", dependencies: [.product(name: "DSPy", package: "dspyc")]),
        .executableTarget(
            name: "consumer-programs",
            dependencies: [
                "Consumer",
                .product(name: "DSPy", package: "dspyc"),
                .product(name: "DSPyPrograms", package: "dspyc"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
