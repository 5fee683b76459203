import Foundation
import Testing
@testable import DSPyInspector

@Suite("--since dates")
struct SinceDateTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18T11:06:40Z

    @Test("Durations count back from now")
    func durations() throws {
        #expect(try SinceDate.parse("30m", now: now, timeZone: utc) == now.addingTimeInterval(-1800))
        #expect(try SinceDate.parse("2h", now: now, timeZone: utc) == now.addingTimeInterval(-7200))
        #expect(try SinceDate.parse("1.5d", now: now, timeZone: utc) == now.addingTimeInterval(-129_600))
        #expect(try SinceDate.parse("1w", now: now, timeZone: utc) == now.addingTimeInterval(-604_800))
    }

    @Test("Dates, local times, absolute times, today and yesterday")
    func dates() throws {
        #expect(try SinceDate.parse("2026-11-18", now: now, timeZone: utc) == Date(timeIntervalSince1970: 1_794_960_000))
        #expect(try SinceDate.parse("2026-11-18T11:06", now: now, timeZone: utc) == Date(timeIntervalSince1970: 1_794_999_960))
        #expect(try SinceDate.parse("2026-11-18 11:06:40", now: now, timeZone: utc) == now)
        #expect(try SinceDate.parse("2026-11-18T12:06:40+01:00", now: now, timeZone: utc) == now)
        #expect(try SinceDate.parse("2026-11-18T11:06:40Z", now: now, timeZone: TimeZone(identifier: "Asia/Tokyo")!) == now)
        #expect(try SinceDate.parse("today", now: now, timeZone: utc) == Date(timeIntervalSince1970: 1_794_960_000))
        #expect(try SinceDate.parse("yesterday", now: now, timeZone: utc) == Date(timeIntervalSince1970: 1_794_873_600))
    }

    @Test("Anything else is a clear error")
    func invalid() {
        #expect(throws: InspectorError.invalidDate("last tuesday")) { try SinceDate.parse("last tuesday") }
        #expect(throws: InspectorError.invalidDate("2026-13-45")) { try SinceDate.parse("2026-13-45") }
        #expect(InspectorError.invalidDate("x").description.contains("30m"))
    }
}
