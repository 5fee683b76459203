import DSPyTestSupport
import Foundation
import Testing

private let rows = [
    #"{"text": "I love this, what a wonderful day", "sentiment": "positive"}"#,
    #"{"text": "Great news, I am so happy", "sentiment": "positive"}"#,
    #"{"text": "This is awful, I hate it", "sentiment": "negative"}"#,
    #"{"text": "Terrible service and a rude waiter", "sentiment": "negative"}"#,
]
private let signature = "text -> sentiment: Literal['positive', 'negative']"

@Suite("dspyc compile --optimizer finetune: the adapter stored, applied, shown and exported", .serialized)
struct FinetuneCLITests {
    @Test("A finetune compile on a tiny model stores its adapter; run applies it; inspect shows it; export writes GGUF")
    func finetuneEndToEnd() throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let model = try TinyModelFiles.file(arch: "llama", quant: "q8_0").path
        let train = try dspyc.write("train.jsonl", rows)
        let dev = try dspyc.write("dev.jsonl", Array(rows.prefix(2)))
        let adHoc = ["--signature", signature, "--trainset", train, "--devset", dev, "--model", model, "--threads", "2"]
        let compile = try dspyc.run(["compile"] + adHoc + [
            "--optimizer", "finetune", "--rank", "2", "--alpha", "4", "--epochs", "1", "--targets", "attn_q,attn_v", "--json"])
        #expect(compile.status == 0, "\(compile.output)")
        #expect(compile.output.contains("\"training\""), "\(compile.output)")
        // Minutes of teacher runs and training say what they are doing.
        #expect(compile.output.contains("finetune: running the teacher on 4 training examples"), "\(compile.output)")
        #expect(compile.output.contains("finetune: kept "), "\(compile.output)")
        #expect(compile.output.contains("\"rank\" : 2"), "\(compile.output)")
        let digest = try #require(compile.output.components(separatedBy: "\"digest\" : \"").dropFirst().first?.prefix(64))

        // The training phase made no LM calls, yet inspect shows it, and the candidate shows its adapter.
        let phases = try dspyc.run(["inspect", "runs", "latest", "--phases"])
        #expect(phases.status == 0, "\(phases.output)")
        let training = phases.output.split(separator: "\n").first { $0.hasPrefix("training ") }
        #expect(training?.split(separator: " ")[1] == "0", "a training row with no calls: \(phases.output)")
        #expect(phases.output.contains("training: adapter \(digest.prefix(12)) (rank 2, alpha 4) for finetune: "),
                "\(phases.output)")
        let phasesJSON = try dspyc.run(["inspect", "runs", "latest", "--phases", "--json"])
        #expect(phasesJSON.output.contains("\"phase\":\"training\""), "\(phasesJSON.output)")
        #expect(phasesJSON.output.contains("\"digest\":\"\(digest)\""), "\(phasesJSON.output)")
        let candidates = try dspyc.run(["inspect", "candidates", "latest"])
        #expect(candidates.output.contains(" adapter: \(digest.prefix(12)) (rank 2, alpha 4): "),
                "\(candidates.output)")

        // run applies the stored adapter, and its calls are made with the adapter's model.
        let run = try dspyc.run(["run"] + adHoc + ["--input", "text=What a lovely day", "--json"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("adapter \(digest.prefix(12))"), "\(run.output)")
        let calls = try dspyc.run(["inspect", "calls", "--last", "1", "--details"])
        #expect(calls.output.contains("+lora=\(digest.prefix(16))"), "\(calls.output)")

        let inspect = try dspyc.run(["inspect", "adapters", "--json"])
        #expect(inspect.status == 0, "\(inspect.output)")
        #expect(inspect.output.contains("\"digest\": \"\(digest)\""), "\(inspect.output)")
        #expect(inspect.output.contains("\"rank\": 2") && inspect.output.contains("\"attn_v\""), "\(inspect.output)")

        let exported = dspyc.home.appendingPathComponent("program.json")
        let export = try dspyc.run(["export"] + adHoc.prefix(6) + ["--output", exported.path])
        #expect(export.status == 0, "\(export.output)")
        let gguf = try Data(contentsOf: dspyc.home.appendingPathComponent("program.lora.gguf"))
        #expect(gguf.prefix(4) == Data("GGUF".utf8))

        // The identical compile is answered from the store, adapter included.
        let again = try dspyc.run(["compile"] + adHoc + [
            "--optimizer", "finetune", "--rank", "2", "--alpha", "4", "--epochs", "1", "--targets", "attn_q,attn_v", "--json"])
        #expect(again.output.contains("\"cached\" : true"), "\(again.output)")
    }
}
