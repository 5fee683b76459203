import Consumer
import DSPy
import DSPyPrograms

// Lists dspyc's example programs with the size of their data, read through the
// `DSPyPrograms` library from wherever this binary runs (no dspyc checkout needed).
for spec in ProgramRegistry.all {
    let program = try spec.makeProgram()
    let train = try JSONL.load(spec.trainset, inputKeys: spec.inputKeys)
    let dev = try JSONL.load(spec.devset, inputKeys: spec.inputKeys)
    print("\(spec.name): \(program.namedPredictors().count) predictor(s), \(train.count) train / \(dev.count) dev examples")
}
print("and the consumer's own signature: \(Greeting.instructions)")
