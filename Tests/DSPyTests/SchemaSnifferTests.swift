import DSPy
import Testing

/// A `CaseIterable` enum whose decoder rejects the empty value a schema sniff hands it.
private enum Priority: String, Codable, CaseIterable, Sendable { case low, high }

/// The same enum shape without `CaseIterable`: nothing tells the sniffer a valid value.
private enum Mood: String, Codable, Sendable { case calm, upset }

private struct Ticket: Codable, Sendable {
    var priority: Priority
    var title: String
    var votes: Int
}

private struct Note: Codable, Sendable {
    var mood: Mood
    var title: String
}

private struct Triage: Signature {
    @Input var report: String = ""
    @Output var ticket: Ticket
    @Output var note: Note
}

@Suite("Schemas of Codable outputs")
struct SchemaSnifferTests {
    /// The property names of output `index`'s JSON schema, in order.
    func properties(_ index: Int) throws -> (names: [String], required: [String]) {
        let spec = try Triage.signatureSpec()
        guard case .object(_, let schema) = spec.outputs[index].type else {
            Issue.record("output \(index) is not an object type")
            return ([], [])
        }
        let names = schema["properties"]?.objectValue?.keys ?? []
        let required = schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return (names, required)
    }

    @Test("A CaseIterable enum field stands in with its first case, so the fields after it are found")
    func caseIterableFieldDoesNotStopTheSniff() throws {
        let ticket = try properties(0)
        #expect(ticket.names == ["priority", "title", "votes"])
        #expect(ticket.required == ["priority", "title", "votes"])
    }

    @Test("Without CaseIterable the sniff stops at the enum, as documented")
    func plainEnumStopsTheSniff() throws {
        // The schema keeps what was recorded before the enum's decoder failed.
        #expect(try properties(1).names == ["mood"])
    }
}
