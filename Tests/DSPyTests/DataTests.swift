import DSPy
import Testing

@Suite("Examples and datasets")
struct DataTests {
    @Test("inputs() needs withInputs; labels() is the complement")
    func inputsAndLabels() throws {
        let ex: Example = ["question": "Why?", "answer": "Because.", "dspy_uuid": "1"]
        #expect(throws: DSPyError.inputsNotSet) { try ex.inputs() }
        let withInputs = ex.withInputs("question")
        #expect(try withInputs.inputs().fields == ["question": "Why?"])
        #expect(try withInputs.labels().keys == ["answer"])
        #expect(ex.count == 2)
        #expect(ex == withInputs)
        #expect(ex.without("answer").keys == ["question"])
    }

    @Test("JSONL errors name the file and line")
    func jsonlErrors() throws {
        let examples = try JSONL.parse("{\"q\": \"a\", \"x\": 1.5}\n\n{\"q\": \"b\"}\n", file: "train.jsonl", inputKeys: ["q"])
        #expect(examples.count == 2)
        #expect(examples[0]["x"] == 1.5)
        #expect(throws: DSPyError.self) { try JSONL.parse("{\"q\": 1}\n{oops\n", file: "train.jsonl") }
        do { _ = try JSONL.parse("{\"q\": 1}\n[1]\n", file: "train.jsonl") } catch let e as DSPyError {
            #expect(e.description.hasPrefix("train.jsonl:2: expected a JSON object"))
        }
        #expect(throws: DSPyError.dataset(file: "d.jsonl", line: 1, message: "missing input key `q`")) {
            try JSONL.parse("{\"a\": 1}", file: "d.jsonl", inputKeys: ["q"])
        }
    }

    @Test("Values print as Python prints them")
    func pythonRendering() {
        let v: JSONValue = ["a": 1.0, "b": [true, nil], "c": "é\n\"q\"", "d": 1e-5]
        #expect(v.pythonJSON() == #"{"a": 1.0, "b": [true, null], "c": "é\n\"q\"", "d": 1e-05}"#)
        #expect(JSONValue.bool(true).pythonStr == "True")
        #expect(JSONValue.string("it's").pythonRepr == "\"it's\"")
        #expect(JSONValue.parseLenient("{'k': [1, 'two', None, True]}") == ["k": [1, "two", nil, true]])
        #expect(JSONValue.parseLenient("forty") == nil)
    }
}
