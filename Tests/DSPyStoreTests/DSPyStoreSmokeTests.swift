import Foundation
import Testing
@testable import DSPyStore

@Suite("DSPyStore smoke")
struct DSPyStoreSmokeTests {
    @Test("The module links")
    func links() { #expect(Bool(true)) }
}
