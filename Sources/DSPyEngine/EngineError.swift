/// An error from the embedded engine: a model file that cannot be used, or a request
/// the loaded model cannot serve.
///
/// Every case names what is wrong and where (the file, key, tensor or token), so the
/// message is enough to act on. Cases are `Equatable` so tests can compare them.
public enum EngineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or mapped.
    case fileNotReadable(path: String, reason: String)
    /// The file ends before `needed` bytes at `offset` could be read for `reading`.
    case truncatedFile(path: String, reading: String, offset: Int, needed: Int, fileSize: Int)
    /// The file does not start with the GGUF magic.
    case badMagic(path: String, found: String)
    /// The GGUF version is not one this reader understands.
    case unsupportedVersion(path: String, version: UInt32, supported: [UInt32])
    /// The file is structurally invalid (bad value type, absurd count, bad alignment).
    case malformedFile(path: String, reason: String)
    /// A tensor uses a type the engine cannot read or compute with.
    case unsupportedTensorType(path: String, tensor: String, type: String)
    /// A tensor's data extends past the end of the file.
    case tensorDataOutOfBounds(path: String, tensor: String, end: Int, fileSize: Int)
    /// A required metadata key is absent.
    case missingMetadata(path: String, key: String)
    /// A metadata key holds a value of another type than expected.
    case metadataTypeMismatch(path: String, key: String, expected: String, found: String)
    /// A metadata key holds a value of the right type but outside its valid range
    /// (a zero head count, a NaN epsilon, a token id outside the vocabulary, …).
    case invalidMetadata(path: String, key: String, reason: String)
    /// The model architecture has no forward pass in this engine.
    case unsupportedArchitecture(path: String, architecture: String, supported: [String])
    /// A tensor the architecture needs is absent.
    case missingTensor(path: String, name: String)
    /// A tensor's shape does not fit the model configuration.
    case tensorShapeMismatch(path: String, tensor: String, expected: [Int], found: [Int])
    /// A prompt (plus what is already cached) does not fit in the context window.
    case promptTooLong(tokens: Int, cached: Int, contextLength: Int)
    /// A token id outside the vocabulary.
    case tokenOutOfRange(token: Int32, vocabularySize: Int)
    /// A sequence handle that the engine does not (or no longer) know.
    case unknownSequence(id: Int)
    /// An argument outside its documented range.
    case invalidArgument(String)
    /// The model has no chat template the engine can render (none in the file, or one of
    /// no known family); `model` is its `general.name` when it has one.
    case unusableChatTemplate(path: String, model: String?, reason: String)
    /// A LoRA adapter (file, or value being loaded) that does not fit its format or the base
    /// model; `tensor` names the offending tensor or base matrix when there is one.
    case invalidAdapter(path: String, tensor: String?, reason: String)
    /// An adapter id that is not loaded (never was, or was unloaded).
    case unknownAdapter(id: Int)

    public var description: String {
        switch self {
        case let .fileNotReadable(path, reason):
            return "\(path): cannot read model file: \(reason)"
        case let .truncatedFile(path, reading, offset, needed, fileSize):
            return "\(path): file is truncated: reading \(reading) needs \(needed) bytes at offset \(offset), but the file has \(fileSize) bytes"
        case let .badMagic(path, found):
            return "\(path): not a GGUF file (magic is \(found), expected \"GGUF\")"
        case let .unsupportedVersion(path, version, supported):
            return "\(path): unsupported GGUF version \(version) (supported: \(supported.map(String.init).joined(separator: ", ")))"
        case let .malformedFile(path, reason):
            return "\(path): malformed GGUF file: \(reason)"
        case let .unsupportedTensorType(path, tensor, type):
            return "\(path): tensor '\(tensor)' has unsupported type \(type) (supported: \(TensorType.allCases.map(\.name).joined(separator: ", ")))"
        case let .tensorDataOutOfBounds(path, tensor, end, fileSize):
            return "\(path): data of tensor '\(tensor)' ends at byte \(end), past the end of the file (\(fileSize) bytes)"
        case let .missingMetadata(path, key):
            return "\(path): missing metadata key '\(key)'"
        case let .metadataTypeMismatch(path, key, expected, found):
            return "\(path): metadata key '\(key)' is \(found), expected \(expected)"
        case let .invalidMetadata(path, key, reason):
            return "\(path): metadata key '\(key)' is invalid: \(reason)"
        case let .unsupportedArchitecture(path, architecture, supported):
            return "\(path): unsupported model architecture '\(architecture)' (supported: \(supported.joined(separator: ", ")))"
        case let .missingTensor(path, name):
            return "\(path): missing tensor '\(name)'"
        case let .tensorShapeMismatch(path, tensor, expected, found):
            return "\(path): tensor '\(tensor)' has shape \(found), expected \(expected)"
        case let .promptTooLong(tokens, cached, contextLength):
            return "prompt too long: \(tokens) tokens after \(cached) cached exceed the context length of \(contextLength)"
        case let .tokenOutOfRange(token, vocabularySize):
            return "token id \(token) is outside the vocabulary (0..<\(vocabularySize))"
        case let .unknownSequence(id):
            return "unknown sequence \(id)"
        case let .invalidArgument(message):
            return "invalid argument: \(message)"
        case let .unusableChatTemplate(path, model, reason):
            let named = model.map { "model '\($0)' (\(path))" } ?? path
            return "\(named): \(reason); pick one of the chat template families \(ChatTemplate.Family.names) "
                + "(dspyc: --chat-template NAME; Swift: TextModel(contentsOf:chatTemplate:))"
        case let .invalidAdapter(path, tensor, reason):
            return "\(path): invalid LoRA adapter" + (tensor.map { ": tensor '\($0)'" } ?? "") + ": \(reason)"
        case let .unknownAdapter(id):
            return "unknown LoRA adapter \(id) (not loaded, or unloaded)"
        }
    }
}
