import Testing
@testable import DSPyCLI

@Suite("Reflection model options")
struct ReflectionModelTests {
    @Test("A catalog reflection model's options are fully decoded and load the model")
    func catalogModelLoads() throws {
        let options = try ReflectionModel(name: "smollm2-135m-instruct").modelOptions(threads: 1)
        #expect(options.model == "smollm2-135m-instruct")
        #expect(options.threads == 1)
        #expect(options.chatTemplateFamily == nil)  // read from a default-initialised value, this trapped
        let model = try options.load()
        #expect(model.tokenizer.vocabularySize > 0)
    }

    @Test("A reflection model path that does not exist is a clear error, not a trap")
    func missingFileIsAnError() throws {
        let error = #expect(throws: CLIError.self) {
            _ = try ReflectionModel(name: "/nonexistent/reflection.gguf").modelOptions(threads: nil).load()
        }
        #expect(error.map { "\($0)" }?.contains("/nonexistent/reflection.gguf") == true)
    }
}
