import ArgumentParser

/// An error the CLI reports as it is, with exit code 1.
///
/// Library errors already name what is wrong and where; commands wrap them only
/// when they add context (which file, which command).
struct CLIError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}
