/// What can go wrong in `dspyc-compile`, worded for the person at the terminal.
enum PluginError: Error, CustomStringConvertible {
    case noProgram
    case missingValue(String)
    case badConfiguration(String)
    case buildFailed
    case toolNotBuilt([String])
    case toolFailed(program: String, status: Int32)

    var description: String {
        switch self {
        case .noProgram:
            return "no program given; pass --program NAME (repeatable), e.g. `dspyc-compile --program sentiment`"
        case .missingValue(let option):
            return "\(option) needs a value"
        case .badConfiguration(let name):
            return "unknown configuration '\(name)'; use release or debug"
        case .buildFailed:
            return "building dspyc failed (the build log is above)"
        case .toolNotBuilt(let artifacts):
            return "the build did not produce a dspyc executable (built: \(artifacts.joined(separator: ", ")))"
        case .toolFailed(let program, let status):
            return "dspyc compile \(program) failed with exit code \(status)"
        }
    }
}
