import Testing
@testable import DSPyInspector

@Suite("DSPyInspector smoke")
struct DSPyInspectorSmokeTests {
    @Test("The module links")
    func links() { #expect(Bool(true)) }
}
