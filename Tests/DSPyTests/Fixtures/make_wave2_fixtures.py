"""Render golden fixtures of DSPy 3.4.1's XMLAdapter, TwoStepAdapter and OfferFeedback prompts with DSPy itself.

Run with a venv holding dspy==3.4.1 (see README in this folder):
    .venv-dspy/bin/python Tests/DSPyTests/Fixtures/make_wave2_fixtures.py

Reuses the portable signatures of `make_fixtures.py`. Nothing here calls an LM:
XML cases are `XMLAdapter().format/parse`; TwoStep cases are `TwoStepAdapter.format`
for the main LM and `ChatAdapter().format` of the extractor signature DSPy builds
(`_create_extractor_signature`), which is exactly what `TwoStepAdapter.parse` sends
to the extraction LM. Feedback cases run SIMBA's `append_a_rule` on fixed buckets and
`Refine` on scripted answers with `CaptureLM` (no real LM) and record every OfferFeedback
prompt, the string inputs DSPy built, and the instructions after the advice.
"""
import json
import os

import dspy
from dspy.utils.dummies import DummyLM
from dspy.utils.exceptions import AdapterParseError

from dspy.teleprompt.simba_utils import append_a_rule
import inspect

from make_fixtures import HERE, signatures
from make_gepa_fixtures import CaptureLM


def xml_format_cases(sigs):
    cases = []

    def add(name, key, demos, inputs):
        sig, portable_sig = sigs[key]
        call_inputs = dict(inputs)
        if "history" in call_inputs:
            call_inputs["history"] = dspy.History(messages=call_inputs["history"]["messages"])
        messages = dspy.XMLAdapter().format(sig, demos, call_inputs)
        cases.append({"name": name, "adapter": "xml", "signature": portable_sig, "demos": demos,
                      "inputs": inputs, "messages": messages})

    add("xml_simple", "simple", [], {"question": "What is 2+2?"})
    add("xml_qa_demos", "qa_class", [
        {"question": "q2", "answer": "a2"},
        {"context": ["c0"], "question": "q1", "answer": "a1 & <b>", "confidence": 0.5, "label": "a"},
    ], {"context": ["c1", "c2 line\nmore"], "question": "What?"})
    add("xml_sentiment_complete_demos", "sentiment_class", [
        {"text": "I love it", "sentiment": "positive"},
        {"text": "Awful.\nJust awful.", "sentiment": "negative"},
    ], {"text": "what a lovely day"})
    add("xml_numbers", "numbers", [{"question": "How many?", "count": 3, "score": 0.25, "ok": True}],
        {"question": "How many apples?"})
    add("xml_multiline", "multiline_class", [], {"document": "Line one.\nLine two."})
    add("xml_structured", "structured", [
        {"question": "Q", "tags": ["x", "y"], "counts": {"a": 1, "b-c": 2, "9z": 3}, "note": None,
         "meta": {"k": [1, 2], "s": "x&y"}},
        {"question": "Q2", "tags": [], "counts": {}, "note": "n", "meta": {}},
    ], {"question": "Tag this."})
    add("xml_quotes_literal", "quotes_literal", [], {"q": "pick"})
    add("xml_typed_inputs", "typed_inputs", [], {
        "count": 3, "ratio": 2.0, "flag": False, "items": [1, 2, 3], "table": {"x": 1.5, "y": 1e-05}, "maybe": None,
    })
    add("xml_chain_of_thought", "chain_of_thought", [
        {"question": "1+1?", "answer": "2"},
        {"question": "2+2?", "reasoning": "add them", "answer": "4"},
    ], {"question": "3+3?"})
    add("xml_literal_ints", "literal_ints", [], {"question": "level?"})
    add("xml_unicode", "unicode", [], {"texto": "¿Qué tal? 😀 \"quoted\" \\ back\ttab <b> & c"})
    add("xml_constraints", "constraints_class", [], {"answer": "ok"})
    add("xml_history", "history", [{"question": "Demo?", "answer": "Yes.", "score": 1.0}], {
        "question": "And Germany?",
        "history": {"messages": [
            {"question": "Capital of France?", "answer": "Paris", "score": 0.9},
            {"question": "Only a question"},
            {"answer": "Only an answer"},
        ]},
    })
    add("xml_no_inputs", "no_inputs", [], {})
    add("xml_list_for_str_input", "simple", [], {"question": ["alpha", "beta"]})
    return cases


def xml_parse_cases(sigs):
    cases = []

    def add(name, key, completion):
        sig, portable_sig = sigs[key]
        case = {"name": name, "adapter": "xml", "signature": portable_sig, "completion": completion}
        try:
            result = dspy.XMLAdapter().parse(sig, completion)
            case["result"] = json.loads(json.dumps(result))
            case["result_types"] = {k: type(v).__name__ for k, v in result.items()}
        except AdapterParseError as e:
            case["error"] = str(e)
        cases.append(case)

    add("xml_simple", "simple", "<answer>\n4\n</answer>")
    add("xml_preamble", "simple", "Sure, here it is:\n<answer>  four  </answer>\nBye.")
    add("xml_entities", "simple", "<answer>a &amp; b &lt; c &gt; d &quot;e&quot; &#65;&#x42;</answer>")
    add("xml_cot", "chain_of_thought", "<reasoning>\nThree plus three.\n</reasoning>\n\n<answer>\n6\n</answer>")
    add("xml_missing_field", "qa_class", "<answer>Paris</answer><label>a</label>")
    add("xml_numbers", "numbers", "<count>42</count><score>0.5</score><ok>True</ok>")
    add("xml_numbers_lower_bool", "numbers", "<count>\n7\n</count>\n<score>\n3\n</score>\n<ok>\nfalse\n</ok>")
    add("xml_literal", "sentiment_class", "<sentiment>\nnegative\n</sentiment>")
    add("xml_literal_quoted", "sentiment_class", "<sentiment>'positive'</sentiment>")
    add("xml_literal_bad", "sentiment_class", "<sentiment>neutral</sentiment>")
    add("xml_int_bad", "numbers", "<count>forty</count><score>1.0</score><ok>True</ok>")
    add("xml_structured_nested", "structured",
        "<tags><item>a</item><item>b</item></tags><counts><x>1</x><entry key=\"y-z\">2</entry></counts>"
        "<note>hi</note><meta><k>v</k></meta>")
    add("xml_structured_json_text", "structured",
        "<tags>\n[\"a\", \"b\"]\n</tags>\n<counts>\n{\"x\": 1}\n</counts>\n<note>\nhello\n</note>\n<meta>\n{}\n</meta>")
    add("xml_structured_empty", "structured", "<tags></tags><counts /><meta/>")
    add("xml_repeated_items", "structured", "<tags>a</tags><tags>b</tags><counts><q>3</q></counts><meta></meta>")
    add("xml_first_of_repeated_str", "simple", "<answer>first</answer><answer>second</answer>")
    add("xml_literal_ints", "literal_ints", "<level>2</level><nested><item>x</item><item>y</item></nested>")
    add("xml_mismatched", "simple", "<answer>4</answr>")
    add("xml_unclosed", "simple", "<answer>4")
    add("xml_bare_ampersand", "simple", "<answer>a & b</answer>")
    add("xml_bare_lt", "simple", "<answer>a < b</answer>")
    add("xml_no_tags", "simple", "just text")
    add("xml_json_reply", "simple", '{"answer": "4"}')
    add("xml_unicode", "unicode", "<respuesta>\n¡Hola! 😀\n</respuesta>")
    add("xml_str_with_children", "simple", "<answer>Use <b>bold</b> text</answer>")
    return cases


def two_step_cases(sigs):
    cases = []
    two = dspy.TwoStepAdapter(DummyLM([]))

    def add(name, key, demos, inputs, completion):
        sig, portable_sig = sigs[key]
        extractor = two._create_extractor_signature(sig)
        cases.append({
            "name": name, "adapter": "two_step", "signature": portable_sig, "demos": demos, "inputs": inputs,
            "messages": two.format(sig, demos, dict(inputs)),
            "completion": completion,
            "extraction_messages": dspy.ChatAdapter().format(extractor, [], {"text": completion}),
        })

    add("two_step_simple", "simple", [], {"question": "What is 2+2?"}, "The answer is 4.")
    add("two_step_qa_demos", "qa_class", [
        {"question": "q2", "answer": "a2"},
        {"context": ["c0"], "question": "q1", "answer": "a1", "confidence": 0.5, "label": "a"},
    ], {"context": ["c1", "c2"], "question": "What?"}, "Paris, quite sure (0.9), label a.")
    add("two_step_sentiment", "sentiment_class", [
        {"text": "I love it", "sentiment": "positive"},
    ], {"text": "what a lovely day"}, "This is clearly positive.\n\nSentiment: positive")
    add("two_step_numbers", "numbers", [], {"question": "How many apples?"}, "There are 3 apples; score 0.5; ok.")
    add("two_step_multiline", "multiline_class", [], {"document": "Line one.\nLine two."}, "A short summary.")
    add("two_step_typed_inputs", "typed_inputs", [], {
        "count": 3, "ratio": 2.0, "flag": False, "items": [1, 2, 3], "table": {"x": 1.5}, "maybe": None,
    }, "Answer: done")
    add("two_step_structured", "structured", [], {"question": "Tag this."}, "tags a and b")
    add("two_step_cot", "chain_of_thought", [{"question": "1+1?", "reasoning": "add", "answer": "2"}],
        {"question": "3+3?"}, "Three plus three is six.")
    return cases


class ScriptLM(CaptureLM):
    """CaptureLM answering from a list, one answer per call."""

    def __init__(self, answers):
        super().__init__(None)
        self.answers = list(answers)

    def forward(self, prompt=None, messages=None, **kwargs):
        self.answer = self.answers[len(self.sent)]
        return super().forward(prompt=prompt, messages=messages, **kwargs)


class DraftThenClassify(dspy.Module):
    def __init__(self):
        super().__init__()
        self.draft = dspy.Predict(dspy.Signature("text -> summary").with_instructions(
            "Summarize the text in one line.\nKeep names."))
        self.classify = dspy.Predict("text, summary -> sentiment")

    def forward(self, text):
        summary = self.draft(text=text).summary
        return self.classify(text=text, summary=summary)


def simba_rule_cases():
    cases = []
    advice = '[[ ## discussion ## ]]\nThe draft lost the tone.\n\n[[ ## module_advice ## ]]\n' \
        '{"draft": "Keep the tone words.", "classify": "Trust words like \'great\'."}\n\n[[ ## completed ## ]]'

    def add(name, good_score, bad_score, p10, p90, metadata):
        system = DraftThenClassify()
        d, c = system.draft, system.classify
        example = dspy.Example(text="A great day, honestly.", sentiment="positive").with_inputs("text")

        def run(summary, sentiment, score, meta):
            trace = [(d, {"text": example.text}, dspy.Prediction(summary=summary)),
                     (c, {"text": example.text, "summary": summary}, dspy.Prediction(sentiment=sentiment))]
            return {"prediction": dspy.Prediction(sentiment=sentiment), "trace": trace, "score": score,
                    "example": example, "output_metadata": meta}

        bucket = [run("A great day.", "positive", good_score, metadata[0]),
                  run("A day.", "negative", bad_score, metadata[1])]
        predictor2name = {id(d): "draft", id(c): "classify"}
        lm = ScriptLM([advice])
        applied = append_a_rule(bucket, system, predictor2name=predictor2name,
                                name2predictor={"draft": d, "classify": c}, batch_10p_score=p10,
                                batch_90p_score=p90, prompt_model=lm)
        cases.append({"name": name, "good_score": good_score, "bad_score": bad_score, "p10": p10, "p90": p90,
                      "reward_info": metadata, "applied": applied,
                      "program_code": inspect.getsource(DraftThenClassify),
                      "messages": lm.sent[0] if lm.sent else None,
                      "instructions": {n: p.signature.instructions for n, p in system.named_predictors()}})

    add("simba_rule_contrast", 1.0, 0.0, 0.0, 1.0, [{"feedback": "Right."}, {}])
    add("simba_rule_skipped_worse_high", 1.0, 1.0, 0.0, 0.5, [{}, {}])
    add("simba_rule_blank_better", 0.5, 0.5, 0.0, 0.75, [{}, {}])
    add("simba_rule_skipped", 0.0, 0.0, 0.0, 1.0, [{}, {}])
    return cases


def refine_cases():
    cases = []

    def one_word(args, pred):
        return 1.0 if pred.answer == "good" else 0.0

    answers = ["[[ ## answer ## ]]\nbad\n\n[[ ## completed ## ]]",
               '[[ ## discussion ## ]]\nWrong.\n\n[[ ## advice ## ]]\n{"self": "Say good."}\n\n[[ ## completed ## ]]',
               "[[ ## answer ## ]]\ngood\n\n[[ ## completed ## ]]"]
    lm = ScriptLM(answers)
    qa = dspy.Predict("question -> answer")
    refine = dspy.Refine(module=qa, N=3, reward_fn=one_word, threshold=1.0)
    with dspy.context(lm=lm):
        out = refine(question="What is good?")
    cases.append({"name": "refine_predict", "program_code": refine.module_code, "reward_code": refine.reward_fn_code,
                  "answer": out.answer, "messages": lm.sent})
    return cases


def main():
    sigs = signatures()
    meta = {"dspy": dspy.__version__, "generator": "Tests/DSPyTests/Fixtures/make_wave2_fixtures.py"}
    outputs = {
        "adapter_xml_format.json": xml_format_cases(sigs),
        "adapter_xml_parse.json": xml_parse_cases(sigs),
        "adapter_two_step.json": two_step_cases(sigs),
        "offer_feedback.json": simba_rule_cases() + refine_cases(),
    }
    for file, cases in outputs.items():
        with open(os.path.join(HERE, file), "w") as f:
            json.dump({"meta": meta, "cases": cases}, f, indent=1, ensure_ascii=False)
            f.write("\n")
    print(", ".join(f"{len(c)} cases in {f}" for f, c in outputs.items()))


if __name__ == "__main__":
    main()
