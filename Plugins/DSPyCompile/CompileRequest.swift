import PackagePlugin

/// The plugin's command line: `--program NAME` (repeatable), `--configuration debug|release`,
/// `--help`; everything else (and everything after `--`) goes to `dspyc compile` unchanged.
struct CompileRequest {
    var programs: [String] = []
    var configuration: PackageManager.BuildConfiguration = .release
    var passThrough: [String] = []
    var showHelp = false

    static let usage = """
        OVERVIEW: Compile dspyc programs with the dspyc tool (built in release).

        USAGE: swift package --allow-writing-to-package-directory dspyc-compile --program NAME [--program NAME …] [--configuration release|debug] [ARGS…]

        Runs `dspyc compile NAME --output programs/compiled/NAME.json ARGS…` for each program.
        Other arguments (or all arguments after `--`) are passed to `dspyc compile`, e.g.
          swift package --allow-writing-to-package-directory dspyc-compile --program sentiment -- --optimizer labeled

        OPTIONS:
          --program NAME          A program to compile (repeatable); `dspyc programs` lists them.
          --configuration CONFIG  How to build dspyc: release (default) or debug.
          -h, --help              Show this help.
        """

    init(_ arguments: [String]) throws {
        var index = 0
        func value(of option: String) throws -> String {
            index += 1
            guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                throw PluginError.missingValue(option)
            }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--":
                passThrough += arguments[(index + 1)...]
                index = arguments.count
                continue
            case "-h", "--help":
                showHelp = true
            case "--program":
                programs.append(try value(of: argument))
            case "--configuration", "-c":
                configuration = try Self.configuration(try value(of: argument))
            default:
                if argument.hasPrefix("--program=") {
                    programs.append(String(argument.dropFirst("--program=".count)))
                } else if argument.hasPrefix("--configuration=") {
                    configuration = try Self.configuration(String(argument.dropFirst("--configuration=".count)))
                } else {
                    passThrough.append(argument)
                }
            }
            index += 1
        }
        if programs.isEmpty && !showHelp { throw PluginError.noProgram }
    }

    static func configuration(_ name: String) throws -> PackageManager.BuildConfiguration {
        switch name {
        case "release": return .release
        case "debug": return .debug
        default: throw PluginError.badConfiguration(name)
        }
    }
}
