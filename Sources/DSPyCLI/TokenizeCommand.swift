import ArgumentParser
import DSPyEngine
import Foundation

/// `dspyc tokenize`: print the model's token ids for a text.
struct TokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Print the token ids of a text, as llama.cpp's tokenizer gives them.")

    @Argument(help: "The text.")
    var text: String

    @Flag(name: .customLong("no-special"), help: "Read special-token text (<|im_start|>) as plain text.")
    var noSpecial = false

    @Flag(help: "Print each id with its piece.")
    var pieces = false

    @OptionGroup var modelOptions: ModelOptions

    func run() async throws {
        let url = try modelOptions.resolveModelURL()
        let file = try GGUFFile(contentsOf: url)
        let tokenizer = try Tokenizer(vocabulary: TokenizerVocabulary(metadata: file.metadata))
        let ids = tokenizer.encode(text, parseSpecial: !noSpecial)
        if pieces {
            for id in ids {
                let piece = String(decoding: tokenizer.pieceBytes(for: id, renderSpecial: true), as: UTF8.self)
                print("\(id)\t\(piece.debugDescription)")
            }
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }
}
