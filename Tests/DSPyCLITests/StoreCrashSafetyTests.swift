import DSPyStore
import DSPyTestSupport
import Foundation
import Testing

private let signature = "text -> sentiment: Literal['positive', 'negative']"
private let positives = [
    "I love this, what a wonderful day", "Great news, I am so happy", "The movie was fantastic",
    "Best meal I have had all year", "What a delightful surprise", "The staff were kind and helpful",
    "I adore this little cafe", "Such a beautiful sunny morning", "This book made me smile",
    "An excellent, well-made product", "The concert was amazing", "Lovely people and great food",
]
private let negatives = [
    "This is awful, I hate it", "Terrible service and a rude waiter", "The movie was boring and too long",
    "I am so disappointed", "The food was cold and bland", "Worst purchase I ever made",
    "The room was dirty and noisy", "What a waste of money", "The app keeps crashing",
    "I feel sad and tired", "The delivery was late again", "A rude and unhelpful clerk",
]
/// 24 labelled rows, alternating positive and negative.
private let rows = (0..<12).flatMap { index in
    [#"{"text": "\#(positives[index])", "sentiment": "positive"}"#,
     #"{"text": "\#(negatives[index])", "sentiment": "negative"}"#]
}

/// How many kills the crash test makes, and the seed of their moments.
private let killCount = 10
private let killSeed: UInt64 = 0x00D5_B7C5_EED5

/// A small bootstrap compile (8 training and 8 dev examples, about 35 LM calls), killed and rerun.
@Suite("The store survives a compile killed with SIGKILL, and two compiles at once", .serialized)
struct StoreCrashSafetyTests {
    /// The data files, in a folder of their own so every home compiles the same paths.
    private static func writeData(in folder: URL, train: Int, dev: Int) throws -> (train: String, dev: String) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let trainURL = folder.appendingPathComponent("train.jsonl")
        let devURL = folder.appendingPathComponent("dev.jsonl")
        try Data((rows.prefix(train).joined(separator: "\n") + "\n").utf8).write(to: trainURL)
        try Data((rows.dropFirst(train).prefix(dev).joined(separator: "\n") + "\n").utf8).write(to: devURL)
        return (trainURL.path, devURL.path)
    }

    @Test("A compile killed at 10 seeded moments, then rerun, keeps every finished call and ends as an uninterrupted one")
    func killedCompile() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let dataFolder = FileManager.default.temporaryDirectory.appendingPathComponent("dspyc-kill-data-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataFolder) }
        let data = try Self.writeData(in: dataFolder, train: 8, dev: 8)
        let compile = ["compile", "--signature", signature, "--trainset", data.train, "--devset", data.dev,
                       "--concurrency", "1", "--json"]
        let export = ["export", "--signature", signature, "--trainset", data.train, "--devset", data.dev]

        // The uninterrupted compile, in a home of its own.
        let reference = try DSPyCRunner()
        defer { reference.remove() }
        let referenceRun = try DSPyCProcess(reference, compile, label: "reference")
        await referenceRun.finish()
        #expect(referenceRun.status == 0, "\(referenceRun.stderr)")
        let referenceSummary = try referenceRun.jsonObject()
        let referenceCalls = try #require(referenceSummary["lmCalls"] as? Int)
        let referenceSeconds = try #require(referenceSummary["wallSeconds"] as? Double)
        let referenceCached = try StoreProbe(home: reference.home).cachedCount()
        let referenceState = try reference.run(export)
        #expect(referenceState.status == 0, "\(referenceState.output)")
        let secondsPerCall = referenceSeconds / Double(max(1, referenceCalls))

        // The same compile in another home, killed at moments spread over its calls: kill i waits
        // until the cache holds a seeded target (a point in the i-th tenth of the compile's
        // calls but the last 6, so the compile cannot end before the kill) and then a seeded
        // delay of up to 0.3 of an average call. A target already reached lands the kill in
        // start-up: opening the store, loading the model, replaying cached calls.
        let killed = try DSPyCRunner()
        defer { killed.remove() }
        let probe = StoreProbe(home: killed.home)
        var random = SeededRandom(seed: killSeed)  // the same kill moments on every run
        var kills = 0
        var cachedBefore = Set<String>()
        var loggedBefore = Set<String>()
        var cachedAfterKill: [Int] = []
        for index in 0..<killCount {
            let fraction = (Double(index) + random.unit()) / Double(killCount)
            let target = Int(fraction * Double(referenceCached - 6))
            let delay = random.unit() * 0.3 * secondsPerCall
            let child = try DSPyCProcess(killed, compile, label: "killed-\(index)")
            while child.isRunning, try probe.cachedCount() < target {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .seconds(delay))
            await child.stop()
            #expect(child.wasKilled, "kill \(index) came after the compile ended (status \(child.status)): \(child.stderr)")
            if child.wasKilled { kills += 1 }

            // The file is sound, nothing cached is lost, and every call logged as made is cached.
            #expect(try probe.integrityCheck() == ["ok"], "after kill \(index)")
            let cached = try probe.cacheKeys()
            #expect(cached.isSuperset(of: cachedBefore), "kill \(index) lost \(cachedBefore.subtracting(cached).count) cached calls")
            let made = try probe.store().calls(CallQuery(cacheHit: false)).compactMap(\.cacheKey)
            let logged = Set(made)
            #expect(logged.isSuperset(of: loggedBefore), "kill \(index) lost logged calls")
            #expect(logged.isSubset(of: cached), "after kill \(index), \(logged.subtracting(cached).count) finished calls are not cached")
            cachedBefore = cached
            loggedBefore = logged
            cachedAfterKill.append(cached.count)
        }

        // The rerun completes, answering every call made before from the cache.
        let rerun = try DSPyCProcess(killed, compile, label: "rerun")
        await rerun.finish()
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let summary = try rerun.jsonObject()
        let runID = try #require(summary["runID"] as? String)
        let rerunCalls = try probe.store().calls(CallQuery(runID: runID))
        let answeredFromCache = Set(rerunCalls.filter(\.cacheHit).compactMap(\.cacheKey))
        #expect(answeredFromCache.isSuperset(of: cachedBefore),
                "\(cachedBefore.subtracting(answeredFromCache).count) calls cached before the rerun were made again")
        #expect(try probe.integrityCheck() == ["ok"])
        #expect(try probe.cachedCount() == referenceCached, "the killed compile cached as many calls as the uninterrupted one")

        // The same compiled program as the uninterrupted compile.
        let state = try killed.run(export)
        #expect(state.status == 0, "\(state.output)")
        #expect(state.output == referenceState.output, "the compiled state differs from the uninterrupted compile's")
        for key in ["fingerprint", "demos", "baseline", "compiled"] {
            #expect(canonicalJSON(summary[key]) == canonicalJSON(referenceSummary[key]), "\(key) differs")
        }

        let seconds = (clock.now - started).seconds
        print("""
            kill test: \(kills) SIGKILLs; cached calls after each kill \(cachedAfterKill) of \(referenceCached); \
            rerun: \(rerunCalls.count) calls, \(rerunCalls.filter(\.cacheHit).count) from the cache \
            (\(cachedBefore.count) cached before it); uninterrupted compile \(referenceCalls) calls in \
            \(String(format: "%.1f", referenceSeconds)) s; whole test \(String(format: "%.1f", seconds)) s
            """)
    }

    @Test("Two compiles of the same program started at once in one home both succeed, with one stored result")
    func twoCompilesAtOnce() async throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let data = try Self.writeData(in: dspyc.home.appendingPathComponent("data"), train: 6, dev: 6)
        let outputs = ["first", "second"].map { dspyc.home.appendingPathComponent("\($0).json").path }
        // A fresh home: both processes also race to create and migrate the database.
        let children = try outputs.enumerated().map { index, output in
            try DSPyCProcess(dspyc, ["compile", "--signature", signature, "--trainset", data.train, "--devset", data.dev,
                                     "--threads", "1", "--output", output, "--json"], label: "compile-\(index)")
        }
        for child in children { await child.finish() }
        for child in children { #expect(child.status == 0, "\(child.stderr)") }
        let summaries = try children.map { try $0.jsonObject() }
        let fingerprint = try #require(summaries[0]["fingerprint"] as? String)
        #expect(summaries[1]["fingerprint"] as? String == fingerprint)

        let probe = StoreProbe(home: dspyc.home)
        #expect(try probe.integrityCheck() == ["ok"])
        let stored = try probe.store().compiledPrograms(named: "ad-hoc:" + signature)
        #expect(stored.count == 1, "one stored result, found \(stored.count)")
        let record = try #require(try await probe.store().compiledProgram(fingerprint: fingerprint))
        let written = try outputs.map { try String(contentsOfFile: $0, encoding: .utf8) }
        #expect(written[0] == written[1], "the two compiles wrote different states")
        #expect(written[0] == record.state + "\n", "the stored state is the one the compiles wrote")
        let export = try dspyc.run(["export", "--signature", signature, "--trainset", data.train, "--devset", data.dev])
        #expect(export.status == 0, "\(export.output)")
        print("two compiles at once: \(summaries.map { "\($0["lmCalls"] ?? "?") calls, \($0["cacheHits"] ?? "?") cache hits" }), \(stored.count) stored result")
    }
}

/// A JSON value as sorted-key text, so two parsed summaries compare by content.
private func canonicalJSON(_ value: Any?) -> String {
    guard let value else { return "absent" }
    guard let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]) else {
        return "\(value)"
    }
    return String(decoding: data, as: UTF8.self)
}

private extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
