import DSPy
import Foundation
import Testing

/// JSON Lines datasets as editors and other tools save them.
@Suite("Loading JSONL datasets: line endings, byte-order marks, encodings")
struct JSONLTests {
    static let lines = [#"{"text": "good film", "label": "positive"}"#, #"{"text": "dull", "label": "negative"}"#]
    static let expected: [Example] = [["text": "good film", "label": "positive"], ["text": "dull", "label": "negative"]]

    /// The error `body` throws, as a ``DSPyError``.
    func datasetError(_ body: () throws -> [Example]) -> DSPyError? {
        do { _ = try body(); return nil } catch { return error as? DSPyError }
    }

    @Test("A file with CRLF line endings loads like the same file with LF")
    func crlf() throws {
        let crlf = try JSONL.parse(Self.lines.joined(separator: "\r\n") + "\r\n", file: "win.jsonl")
        #expect(crlf == Self.expected)
        #expect(try JSONL.parse(Data((Self.lines.joined(separator: "\r\n")).utf8), file: "win.jsonl") == Self.expected)
    }

    @Test("A UTF-8 byte-order mark is skipped and blank lines are skipped but still counted")
    func bomAndBlankLines() throws {
        let data = Data([0xEF, 0xBB, 0xBF] + Array((Self.lines[0] + "\r\n\r\n  \t\n" + Self.lines[1] + "\n\n").utf8))
        #expect(try JSONL.parse(data, file: "bom.jsonl") == Self.expected)
        let error = datasetError { try JSONL.parse(Self.lines[0] + "\n\n\r\n   \n{oops}\n", file: "d.jsonl") }
        #expect(error == .dataset(file: "d.jsonl", line: 5, message: "invalid JSON: expected a string key at column 2"))
    }

    @Test("UTF-16 and UTF-32 files are refused as a whole, naming the encoding", arguments: [
        ([UInt8]([0xFF, 0xFE]), "UTF-16 (little-endian)"), ([0xFE, 0xFF], "UTF-16 (big-endian)"),
        ([0xFF, 0xFE, 0x00, 0x00], "UTF-32 (little-endian)"), ([0x00, 0x00, 0xFE, 0xFF], "UTF-32 (big-endian)"),
    ])
    func foreignEncodings(bom: [UInt8], name: String) throws {
        let body = Array(Self.lines[0].utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let error = datasetError { try JSONL.parse(Data(bom + body), file: "u16.jsonl") }
        guard case .dataset(let file, let line, let message)? = error else {
            Issue.record("expected a dataset error, got \(String(describing: error))"); return
        }
        #expect(file == "u16.jsonl" && line == 0)
        #expect(message.hasPrefix("the file is \(name) text, by its byte-order mark; JSON Lines files must be UTF-8"))
        #expect(error?.description.hasPrefix("u16.jsonl: the file is") == true)
    }

    @Test("Loading a UTF-16 file from disk names the file, not line 0 with Foundation's text")
    func utf16FromDisk() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dspyc-utf16-\(UInt64.random(in: 0...UInt64.max)).jsonl")
        var bytes: [UInt8] = [0xFF, 0xFE]
        for unit in (Self.lines[0] + "\r\n").utf16 { bytes += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = datasetError { try JSONL.load(url) }
        #expect(error?.description.hasPrefix("\(url.path): the file is UTF-16 (little-endian) text") == true)
        let missing = datasetError { try JSONL.load(url.appendingPathExtension("missing")) }
        #expect(missing == .dataset(file: url.path + ".missing", line: 0, message: "no such file"))
    }

    @Test("Invalid UTF-8 is refused naming the line, the column and the byte")
    func invalidUTF8() {
        let data = Data(Array((Self.lines[0] + "\n").utf8) + Array(#"{"text": "caf"#.utf8) + [0xE9] + Array(#""}"#.utf8))
        let error = datasetError { try JSONL.parse(data, file: "latin1.jsonl") }
        #expect(error == .dataset(file: "latin1.jsonl", line: 2,
                                  message: "invalid UTF-8 (byte 0xE9 at column 14); JSON Lines files must be UTF-8"))
    }

    @Test("A NUL byte is refused naming the line and column, hinting at UTF-16")
    func nulByte() {
        let data = Data(Array("{\"a\": 1}\n{\"b\"".utf8) + [0x00] + Array(": 2}\n".utf8))
        let error = datasetError { try JSONL.parse(data, file: "nul.jsonl") }
        guard case .dataset(let file, let line, let message)? = error else {
            Issue.record("expected a dataset error, got \(String(describing: error))"); return
        }
        #expect(file == "nul.jsonl" && line == 2)
        #expect(message.hasPrefix("NUL byte at column 5"))
    }

    @Test("A very long line (2 MB) loads correctly")
    func longLine() throws {
        let text = String(repeating: "é", count: 1_000_000)
        let examples = try JSONL.parse(#"{"text": ""# + text + "\"}\r\n", file: "long.jsonl")
        #expect(examples.count == 1 && examples[0]["text"]?.stringValue?.count == 1_000_000)
    }

    @Test("JSON errors name the column in characters")
    func jsonErrorColumn() {
        let error = datasetError { try JSONL.parse(#"{"é": 1,, }"#, file: "c.jsonl") }
        #expect(error == .dataset(file: "c.jsonl", line: 1, message: "invalid JSON: expected a string key at column 9"))
    }
}
