extension ChatTemplate {
    /// The template families rendered natively.
    public enum Family: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
        /// `<|im_start|>role … <|im_end|>` (SmolLM2, Qwen 2/2.5/3, many others).
        case chatML
        /// Llama 3 headers (`<|start_header_id|>role<|end_header_id|>`).
        case llama3
        /// Gemma turns (`<start_of_turn>user … <end_of_turn>`).
        case gemma
        /// Phi-3 turns (`<|user|>\n … <|end|>`).
        case phi3

        /// The name users type (`--chat-template NAME`): `chatml`, `llama3`, `gemma`, `phi3`.
        public var name: String {
            switch self {
            case .chatML: return "chatml"
            case .llama3: return "llama3"
            case .gemma: return "gemma"
            case .phi3: return "phi3"
            }
        }

        /// The family's display name in messages (`ChatML`, `Llama 3`, `Gemma`, `Phi-3`).
        public var displayName: String {
            switch self {
            case .chatML: return "ChatML"
            case .llama3: return "Llama 3"
            case .gemma: return "Gemma"
            case .phi3: return "Phi-3"
            }
        }

        /// Other names accepted for a family: the model families that use it.
        static let aliases: [String: Family] = [
            "qwen": .chatML, "qwen2": .chatML, "qwen3": .chatML, "smollm": .chatML, "smollm2": .chatML,
            "llama": .llama3, "llama-3": .llama3, "gemma3": .gemma, "gemma-3": .gemma, "phi-3": .phi3,
        ]

        /// Every family's ``name``, comma-separated, for messages and help.
        public static var names: String { allCases.map(\.name).joined(separator: ", ") }

        /// Looks a family up by ``name`` (case-insensitive), or by the name of a model
        /// family that uses it (`qwen`, `smollm` → ChatML; `llama` → Llama 3; `gemma3` → Gemma).
        public init?(name: String) {
            let key = name.lowercased()
            if let found = Family.allCases.first(where: { $0.name == key }) ?? Family.aliases[key] {
                self = found
            } else {
                return nil
            }
        }
    }
}
