import Testing
@testable import DSPyEngine

@Suite("DSPyEngine smoke")
struct DSPyEngineSmokeTests {
    @Test("The module links")
    func links() { #expect(Bool(true)) }
}
