import Foundation

/// Loading examples from JSON Lines files.
///
/// One JSON object per line, in UTF-8. Lines end in LF or CRLF; a UTF-8
/// byte-order mark at the start is skipped, and so are blank lines. Every
/// error is a ``DSPyError/dataset(file:line:message:)`` naming the file and
/// the 1-based line (line 0 for the file as a whole):
/// - a line that is not JSON (with the column where reading stopped), or not a JSON object;
/// - invalid UTF-8 or a NUL byte (with the column), which usually means the
///   file is in another encoding or not text;
/// - a UTF-16 or UTF-32 file, recognised by its byte-order mark.
///
/// Cost: one pass over the bytes, plus the JSON parse of each line.
public enum JSONL {
    /// Reads `url` and returns one example per line, with `inputKeys` set when given.
    ///
    /// - Throws: ``DSPyError/dataset(file:line:message:)``.
    public static func load(_ url: URL, inputKeys: [String]? = nil) throws -> [Example] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            let reason = !exists ? "no such file" : isDirectory.boolValue ? "is a directory"
                : "cannot read file (\(error.localizedDescription))"
            throw DSPyError.dataset(file: url.path, line: 0, message: reason)
        }
        return try parse(data, file: url.path, inputKeys: inputKeys)
    }

    /// Parses JSONL bytes; `file` names them in errors.
    public static func parse(_ data: Data, file: String = "<memory>", inputKeys: [String]? = nil) throws -> [Example] {
        try parse(bytes: [UInt8](data), file: file, inputKeys: inputKeys)
    }

    /// Parses JSONL text; `file` names it in errors.
    public static func parse(_ text: String, file: String = "<memory>", inputKeys: [String]? = nil) throws -> [Example] {
        try parse(bytes: Array(text.utf8), file: file, inputKeys: inputKeys)
    }

    private static func parse(bytes: [UInt8], file: String, inputKeys: [String]?) throws -> [Example] {
        if let (encoding, order) = foreignEncoding(bytes) {
            throw DSPyError.dataset(file: file, line: 0, message:
                "the file is \(encoding) (\(order)) text, by its byte-order mark; JSON Lines files must be UTF-8 "
                + "(convert it, e.g. `iconv -f \(encoding) -t UTF-8`)")
        }
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes[3...] : bytes[...]
        var examples: [Example] = []
        for (index, rawLine) in body.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.last == 0x0D ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0B || $0 == 0x0C }) { continue }
            let number = index + 1
            func fail(_ message: String) -> DSPyError { .dataset(file: file, line: number, message: message) }
            if let nul = line.firstIndex(of: 0) {
                throw fail("NUL byte at column \(column(of: nul, in: line)) (JSON Lines files must be UTF-8 text; "
                    + "is the file UTF-16 or binary?)")
            }
            guard let text = String(validating: line, as: UTF8.self) else {
                let bad = firstInvalidUTF8(line)
                throw fail("invalid UTF-8 (byte 0x\(String(line[bad], radix: 16, uppercase: true)) at column "
                    + "\(column(of: bad, in: line))); JSON Lines files must be UTF-8")
            }
            let value: JSONValue
            do { value = try JSONValue.parse(text) } catch DSPyError.invalidJSON(let offset, let message) {
                throw fail("invalid JSON: \(message) at column \(column(of: line.startIndex + offset, in: line))")
            }
            guard case .object(let object) = value else {
                throw fail("expected a JSON object, got \(value.pythonJSON().prefix(40))")
            }
            if let inputKeys {
                let missing = inputKeys.filter { !object.contains($0) }
                if !missing.isEmpty {
                    throw fail("missing input key\(missing.count == 1 ? "" : "s") \(missing.map { "`\($0)`" }.joined(separator: ", "))")
                }
            }
            examples.append(Example(object, inputKeys: inputKeys))
        }
        return examples
    }

    /// The encoding a byte-order mark names, when it is not UTF-8.
    static func foreignEncoding(_ bytes: [UInt8]) -> (encoding: String, byteOrder: String)? {
        if bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF]) { return ("UTF-32", "big-endian") }
        if bytes.starts(with: [0xFF, 0xFE, 0x00, 0x00]) { return ("UTF-32", "little-endian") }
        if bytes.starts(with: [0xFE, 0xFF]) { return ("UTF-16", "big-endian") }
        if bytes.starts(with: [0xFF, 0xFE]) { return ("UTF-16", "little-endian") }
        return nil
    }

    /// The index of the first byte that does not decode as UTF-8 (the line is known to be invalid).
    static func firstInvalidUTF8(_ line: ArraySlice<UInt8>) -> Int {
        var iterator = line.makeIterator()
        var decoder = UTF8()
        var position = line.startIndex
        while case .scalarValue(let scalar) = decoder.decode(&iterator) { position += UTF8.width(scalar) }
        return min(position, line.endIndex - 1)
    }

    /// The 1-based column, in characters, of the byte at `index` of `line`.
    static func column(of index: Int, in line: ArraySlice<UInt8>) -> Int {
        String(decoding: line[line.startIndex..<min(max(index, line.startIndex), line.endIndex)], as: UTF8.self).count + 1
    }
}
