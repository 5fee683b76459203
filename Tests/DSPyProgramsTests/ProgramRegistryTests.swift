import DSPy
import DSPyPrograms
import Foundation
import Testing

@Suite("The example programs are registered and complete")
struct ProgramRegistryTests {
    @Test("Names are unique and in the documented order")
    func names() {
        #expect(ProgramRegistry.names == ["sentiment", "country-region", "country-capital", "sentiment-explained"])
        #expect(Set(ProgramRegistry.names).count == ProgramRegistry.all.count)
    }

    @Test("Lookup by name returns that program")
    func lookup() throws {
        for spec in ProgramRegistry.all {
            #expect(try ProgramRegistry.named(spec.name).name == spec.name)
        }
    }

    @Test("An unknown name is an error that lists every program")
    func unknownName() {
        #expect(throws: UnknownProgramError(name: "sentimnet", available: ProgramRegistry.names)) {
            try ProgramRegistry.named("sentimnet")
        }
        let message = UnknownProgramError(name: "sentimnet", available: ProgramRegistry.names).description
        #expect(message.contains("'sentimnet'"))
        for name in ProgramRegistry.names { #expect(message.contains(name)) }
    }

    @Test("Every program builds, with named predictors and a valid signature", arguments: ProgramRegistry.all.map(\.name))
    func builds(name: String) throws {
        let spec = try ProgramRegistry.named(name)
        let program = try spec.makeProgram()
        let predictors = program.namedPredictors()
        #expect(!predictors.isEmpty)
        for (_, predictor) in predictors { #expect(!predictor.signature.outputs.isEmpty) }
        // The first step reads exactly the dataset's inputs.
        let firstInputs = predictors[0].predictor.signature.inputs.map(\.name)
        #expect(firstInputs == spec.inputKeys)
        #expect(!spec.summary.isEmpty)
        #expect(OptimizerRegistry.standard.names.contains(spec.optimizer))
    }

    @Test("Every program's data loads, with its input keys and label field", arguments: ProgramRegistry.all.map(\.name))
    func data(name: String) throws {
        let spec = try ProgramRegistry.named(name)
        let program = try spec.makeProgram()
        // The label fields are the program's final outputs that the data carries.
        let outputs = Set(program.predictors().flatMap { $0.signature.outputs.map(\.name) })
        for url in [spec.trainset, spec.devset] {
            #expect(FileManager.default.fileExists(atPath: url.path), "missing \(url.path)")
            let examples = try JSONL.load(url, inputKeys: spec.inputKeys)
            #expect(examples.count >= 50)
            for example in examples {
                for key in spec.inputKeys { #expect(example[key]?.stringValue?.isEmpty == false) }
                let labels = try example.labels().keys
                #expect(!labels.isEmpty)
                #expect(labels.allSatisfy(outputs.contains), "\(labels) not among \(outputs)")
            }
        }
    }

    @Test("Choice labels in the data are allowed values of the signature")
    func choiceLabels() throws {
        let checks: [(String, String, Set<String>)] = [
            ("sentiment", "sentiment", Set(Polarity.allCases.map(\.rawValue))),
            ("country-region", "region", Set(WorldRegion.allCases.map(\.rawValue))),
            ("sentiment-explained", "sentiment", Set(Polarity.allCases.map(\.rawValue))),
        ]
        for (name, field, allowed) in checks {
            let spec = try ProgramRegistry.named(name)
            for url in [spec.trainset, spec.devset] {
                let seen = Set(try JSONL.load(url).compactMap { $0[field]?.stringValue })
                #expect(seen == allowed, "\(name) \(url.lastPathComponent): \(seen)")
            }
        }
    }

    @Test("The metric scores a gold prediction 1 and a wrong one 0", arguments: ProgramRegistry.all.map(\.name))
    func metric(name: String) async throws {
        let spec = try ProgramRegistry.named(name)
        let example = try #require(try JSONL.load(spec.devset, inputKeys: spec.inputKeys).first)
        var gold = Prediction(try example.labels().fields)
        gold["explanation"] = "Because it says so clearly."
        #expect(try await spec.metric(example, gold) == 1)
        #expect(try await spec.metric(example, gold, trace: []) == 1)
        var wrong = gold
        for key in try example.labels().keys { wrong[key] = "zzz" }
        #expect(try await spec.metric(example, wrong) == 0)
    }
}
