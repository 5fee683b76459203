/// One message of a chat conversation, as a chat template renders it.
///
/// ```swift
/// let messages = [
///     ChatMessage(.system, "You are a concise assistant."),
///     ChatMessage(.user, "List three primary colors."),
/// ]
/// ```
public struct ChatMessage: Sendable, Equatable, Hashable, Codable {
    /// Who speaks a message.
    public enum Role: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
        /// Instructions that frame the conversation.
        case system
        /// The user's turn.
        case user
        /// The model's turn (Gemma calls it `model`).
        case assistant
    }

    /// Who speaks.
    public var role: Role
    /// The message text, rendered verbatim (some families trim it, as llama.cpp does).
    public var content: String

    /// Creates a message.
    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }

    /// Creates a message: `ChatMessage(.user, "Hi")`.
    public init(_ role: Role, _ content: String) {
        self.init(role: role, content: content)
    }
}
