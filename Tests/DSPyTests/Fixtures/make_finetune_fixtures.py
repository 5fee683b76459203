"""BootstrapFinetune's training rows with DSPy 3.4.1 itself (no training).

Run (DSPy 3.4.1 installed, e.g. /work/venv-ref; never in CI):
    /work/venv-ref/bin/python Tests/DSPyTests/Fixtures/make_finetune_fixtures.py

Writes finetune_rows.json: a one-predictor sentiment program with one labeled demo,
run by a scripted DummyLM over eight examples (one answered wrongly), its traces
collected by `bootstrap_trace_data` and turned into rows by
`BootstrapFinetune._prepare_finetune_data` (metric filtering, ChatAdapter's
`format_finetune_data`, the `random.Random(0)` shuffle), multitask and per predictor
for a two-predictor program.
"""
import json
import os

import dspy
from dspy.teleprompt.bootstrap_finetune import BootstrapFinetune
from dspy.teleprompt.bootstrap_trace import bootstrap_trace_data
from dspy.utils.dummies import DummyLM

HERE = os.path.dirname(os.path.abspath(__file__))

WORDS = ["good day", "good food", "bad news", "good song", "bad day", "bad food", "good news", "bad song"]
TRAIN = [dspy.Example(text=t, sentiment="positive" if t.startswith("good") else "negative").with_inputs("text")
         for t in WORDS]
# The last example is answered wrongly, so the metric drops it.
ANSWERS = {"[[ ## sentiment ## ]]\npositive": {"reason": "it says good"},
           "[[ ## sentiment ## ]]\nnegative": {"reason": "it says bad"},
           "[[ ## text ## ]]\nbad song": {"sentiment": "positive"},
           "[[ ## text ## ]]\ngood": {"sentiment": "positive"},
           "[[ ## text ## ]]\nbad": {"sentiment": "negative"}}


def metric(example, prediction, trace=None):
    return example.sentiment == prediction.sentiment


class Classify(dspy.Module):
    def __init__(self):
        super().__init__()
        self.classify = dspy.Predict("text -> sentiment")
        self.classify.demos = [dspy.Example(text="great stuff", sentiment="positive")]

    def forward(self, text):
        return self.classify(text=text)


class Explain(dspy.Module):
    def __init__(self):
        super().__init__()
        self.classify = dspy.Predict("text -> sentiment")
        self.explain = dspy.Predict("text, sentiment -> reason")

    def forward(self, text):
        sentiment = self.classify(text=text).sentiment
        return dspy.Prediction(sentiment=sentiment, reason=self.explain(text=text, sentiment=sentiment).reason)


def rows(program, pred_ind):
    lm = DummyLM(ANSWERS)
    dspy.configure(lm=lm)
    program.set_lm(lm)
    traces = bootstrap_trace_data(program=program, dataset=TRAIN, metric=metric, num_threads=1)
    data, _ = BootstrapFinetune(metric=metric)._prepare_finetune_data(trace_data=traces, lm=lm, pred_ind=pred_ind)
    return [row["messages"] for row in data]


cases = {
    "single": rows(Classify(), None),
    "two_multitask": rows(Explain(), None),
    "two_predictor_1": rows(Explain(), 1),
}
with open(os.path.join(HERE, "finetune_rows.json"), "w") as f:
    json.dump({"dspy": dspy.__version__, "train": [{"text": e.text, "sentiment": e.sentiment} for e in TRAIN],
               "cases": cases}, f, indent=1, ensure_ascii=False)
    f.write("\n")
print({k: len(v) for k, v in cases.items()})
