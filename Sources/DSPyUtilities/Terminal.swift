#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Facts about the process's terminal.
///
/// Package access: internal to dspyc's modules, so a consumer's own `Terminal` never clashes.
package enum Terminal {
    /// Whether standard error is a terminal (progress bars redraw in place only then).
    package static var standardErrorIsTerminal: Bool { isatty(2) != 0 }

    /// Whether standard output is a terminal (colour is used only then).
    package static var standardOutputIsTerminal: Bool { isatty(1) != 0 }

    /// Whether output to standard output may be coloured: it is a terminal and
    /// `NO_COLOR` is not set to a non-empty value (https://no-color.org).
    package static var standardOutputUsesColor: Bool {
        usesColor(isTerminal: standardOutputIsTerminal, environment: ProcessInfo.processInfo.environment)
    }

    /// The colour decision for a stream, given whether it is a terminal and the environment (testable).
    package static func usesColor(isTerminal: Bool, environment: [String: String]) -> Bool {
        guard isTerminal else { return false }
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        return true
    }
}
