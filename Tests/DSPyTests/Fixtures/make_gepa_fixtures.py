"""Render the GEPA reflection prompt with DSPy 3.4.1 itself.

Run (DSPy 3.4.1 and gepa installed, e.g. /work/venv-ref):
    python Tests/DSPyTests/Fixtures/make_gepa_fixtures.py

Writes gepa_reflection.json: for fixed reflective datasets, the messages that
DSPy's default `InstructionProposer` (Predict(ProposeInstruction) under
JSONAdapter) sends to the reflection LM, the parsed new instruction, and the
`auto` budgets DSPy computes for a few (predictors, valset size) pairs.
"""
import json
import os

import dspy
from dspy.teleprompt.gepa.instruction_proposal import InstructionProposer

HERE = os.path.dirname(os.path.abspath(__file__))


class CaptureLM(dspy.BaseLM):
    """Records the messages and answers with a fixed JSON completion."""

    def __init__(self, answer):
        super().__init__(model="capture", model_type="chat", temperature=0.0, max_tokens=1000, cache=False)
        self.answer = answer
        self.sent = []

    def forward(self, prompt=None, messages=None, **kwargs):
        from types import SimpleNamespace
        self.sent.append(messages)
        choice = SimpleNamespace(message=SimpleNamespace(content=self.answer, tool_calls=None), finish_reason="stop")
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        return SimpleNamespace(choices=[choice], usage=usage, model="capture")


DATASETS = [
    {
        "name": "sentiment-two-records",
        "instruction": "Classify the sentiment of the text.",
        "records": [
            {"Inputs": {"text": "I loved every minute of it."},
             "Generated Outputs": {"sentiment": "negative"},
             "Feedback": "This trajectory got a score of 0.0."},
            {"Inputs": {"text": "Terrible service, never again."},
             "Generated Outputs": {"sentiment": "negative"},
             "Feedback": "Correct: the answer is negative."},
        ],
    },
    {
        "name": "unicode-multiline",
        "instruction": "Given the fields `country`, produce the fields `region`.",
        "records": [
            {"Inputs": {"country": "Côte d'Ivoire"},
             "Generated Outputs": {"region": "Europe\nmaybe"},
             "Feedback": "Expected \"Africa\"; got \"Europe\nmaybe\"."},
        ],
    },
]

BUDGETS = [(1, 50), (1, 10), (2, 30), (3, 200), (1, 1)]


def main():
    cases = []
    for d in DATASETS:
        lm = CaptureLM('{"new_instruction": "  Say the label.  "}')
        proposer = InstructionProposer()
        with dspy.context(lm=lm):
            out = proposer({"p": d["instruction"]}, {"p": d["records"]}, ["p"])
        cases.append({"name": d["name"], "instruction": d["instruction"], "records": d["records"],
                      "messages": lm.sent[0], "new_instruction": out["p"]})
    gepa = dspy.GEPA(metric=lambda g, p, t=None, pn=None, pt=None: 0.0, reflection_lm=CaptureLM(""), auto="light")
    budgets = []
    for predictors, valset in BUDGETS:
        for auto, n in (("light", 6), ("medium", 12), ("heavy", 18)):
            calls = gepa.auto_budget(num_preds=predictors, num_candidates=n, valset_size=valset)
            budgets.append({"auto": auto, "predictors": predictors, "valset": valset, "calls": calls})
    with open(os.path.join(HERE, "gepa_reflection.json"), "w") as f:
        json.dump({"dspy": dspy.__version__, "cases": cases, "budgets": budgets}, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
