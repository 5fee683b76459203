import Testing
@testable import DSPyCLI

@Suite("DSPyCLI smoke")
struct DSPyCLISmokeTests {
    @Test("The module links")
    func links() { #expect(Bool(true)) }
}
