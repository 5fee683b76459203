import Testing
@testable import DSPy

@Suite("DSPy smoke")
struct DSPySmokeTests {
    @Test("The module links")
    func links() { #expect(Bool(true)) }
}
