#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Facts about the process's terminal.
///
/// Package access: internal to dspyc's modules, so a consumer's own `Terminal` never clashes.
package enum Terminal {
    /// Whether standard error is a terminal (progress bars redraw in place only then).
    package static var standardErrorIsTerminal: Bool { isatty(2) != 0 }

    /// Whether standard output is a terminal (colour is used only then).
    package static var standardOutputIsTerminal: Bool { isatty(1) != 0 }
}
