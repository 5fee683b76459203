import DSPy
import DSPyTestSupport
import Foundation
import Testing

// The code of Sources/DSPy/DSPy.docc/GettingStarted.md, verbatim between the
// `// article block` markers (compared with the article by the test below), so the
// article's code is compiled and run with every test build.

// article block: types
enum Tone: String, CaseIterable, Codable, Sendable { case positive, negative }

struct ClassifyTone: Signature {
    static let instructions = "Classify the sentiment of a short text."
    @Input var text: String = ""
    @Output(desc: "positive or negative") var tone: Tone
}
// end of article block

// article block: program
final class QA: Program, @unchecked Sendable {
    let answer = try! ChainOfThought("question -> answer")

    func forward(_ inputs: JSONObject) async throws -> Prediction { try await answer(inputs) }

    func deepCopy() -> QA {
        let copy = QA()
        copy.answer.predict.demos = answer.predict.demos
        return copy
    }
}
// end of article block

/// The fenced Swift blocks of `text`, without the manifest snippet.
private func swiftBlocks(in text: String) -> [String] {
    var blocks: [String] = []
    var current: [Substring]?
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if current == nil, line == "```swift" {
            current = []
        } else if current != nil, line == "```" {
            blocks.append(current!.joined(separator: "\n"))
            current = nil
        } else {
            current?.append(line)
        }
    }
    return blocks.filter { !$0.hasPrefix("// Package.swift") }
}

/// The marked blocks of `source`, in order, with their common indentation removed.
private func markedBlocks(in source: String) -> [String] {
    var blocks: [String] = []
    var current: [Substring]?
    for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("// article block:") {
            current = []
        } else if trimmed == "// end of article block", let lines = current {
            let indent = lines.filter { !$0.isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
            blocks.append(lines.map { $0.isEmpty ? "" : String($0.dropFirst(indent)) }.joined(separator: "\n"))
            current = nil
        } else {
            current?.append(line)
        }
    }
    return blocks
}

@Suite("The getting-started article's code")
struct GettingStartedArticleTests {
    @Test("The article's snippets run: typed and string signatures, the prompt, a saved program")
    func snippetsRun() async throws {
        let model = DummyLM([["tone": "positive"], ["answer": "Paris"]])

        // article block: typed call
        let classify = Predict(ClassifyTone.self)
        let result = try await DSPySettings.with(lm: model) {
            try await classify(ClassifyTone(text: "what a lovely day"))
        }
        print(result.tone)  // positive
        // end of article block
        #expect(result.tone == .positive)

        // article block: string form
        let qa = try Predict("context: list[str], question -> answer")
        let prediction = try await DSPySettings.with(lm: model) {
            try await qa(["context": ["Paris is in France."], "question": "Capital of France?"])
        }
        print(prediction["answer"]?.stringValue ?? "")
        // end of article block
        #expect(prediction["answer"]?.stringValue == "Paris")

        // article block: prompt
        let messages = qa.formatted(["context": ["Paris is in France."], "question": "Capital of France?"])
        for message in messages { print("[\(message.role.rawValue)]\n\(message.content)\n") }
        // end of article block
        #expect(messages.last?.content.contains("Capital of France?") == true)

        // article block: save
        let program = QA()
        print(program.namedPredictors().map(\.name))  // ["answer.predict"]
        let saved = FileManager.default.temporaryDirectory.appendingPathComponent("qa.json")
        try program.save(to: saved)
        // end of article block
        defer { try? FileManager.default.removeItem(at: saved) }
        #expect(program.namedPredictors().map(\.name) == ["answer.predict"])
        #expect(FileManager.default.fileExists(atPath: saved.path))
    }

    @Test("The article shows exactly the code this file compiles, in the same order")
    func articleMatchesCode() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let article = try String(
            contentsOf: root.appendingPathComponent("Sources/DSPy/DSPy.docc/GettingStarted.md"), encoding: .utf8)
        let source = try String(contentsOf: here, encoding: .utf8)
        let shown = swiftBlocks(in: article)
        // The file holds the declarations first; the article shows them where they are used.
        let compiled = markedBlocks(in: source)
        let articleOrder = [compiled[0], compiled[2], compiled[3], compiled[4], compiled[1], compiled[5]]
        #expect(compiled.count == 6)
        #expect(shown.count == articleOrder.count)
        for (index, (a, b)) in zip(shown, articleOrder).enumerated() {
            #expect(a == b, "article block \(index + 1) differs from the compiled code:\n\(a)\n---\n\(b)")
        }
    }
}
