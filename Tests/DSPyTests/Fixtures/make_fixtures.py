"""Render golden adapter fixtures with DSPy 3.4.1 itself.

Run with the project venv (see README in this folder):
    python3 -m venv .venv-dspy && .venv-dspy/bin/pip install dspy==3.4.1
    .venv-dspy/bin/python Tests/DSPyTests/Fixtures/make_fixtures.py

Every case describes its signature portably (a DSPy signature string, the
instructions, and per-field descriptions/constraints) so the Swift tests can
rebuild it, plus what DSPy rendered or parsed. Nothing here calls an LM.
"""
import json
import os
from typing import Literal, Optional

import dspy
import pydantic
from dspy.utils.exceptions import AdapterParseError

HERE = os.path.dirname(os.path.abspath(__file__))


def portable(sig, signature_string, descs=None, constraints=None):
    # Descriptions and constraints are read back from DSPy's own field metadata.
    descs, constraints = {}, {}
    for name, info in sig.fields.items():
        extra = info.json_schema_extra
        if extra["desc"] != f"${{{name}}}":
            descs[name] = extra["desc"]
        if extra.get("constraints"):
            constraints[name] = extra["constraints"]
    return {
        "string": signature_string,
        "instructions": sig.instructions,
        "descs": descs,
        "constraints": constraints,
    }


def build(signature_string, instructions=None, descs=None, constraints=None):
    sig = dspy.Signature(signature_string, instructions)
    for name, desc in (descs or {}).items():
        sig = sig.with_updated_fields(name, desc=desc)
    for name, c in (constraints or {}).items():
        sig = sig.with_updated_fields(name, constraints=c)
    return sig, portable(sig, signature_string, descs, constraints)


# Class-based signatures (their string twins are given for Swift to rebuild them).
class QA(dspy.Signature):
    """Answer questions with short factoid answers."""

    context: list[str] = dspy.InputField(desc="may contain relevant facts")
    question: str = dspy.InputField()
    answer: str = dspy.OutputField(desc="often between 1 and 5 words")
    confidence: float = dspy.OutputField()
    label: Literal["a", "b"] = dspy.OutputField()


QA_STRING = "context: list[str], question: str -> answer: str, confidence: float, label: Literal['a', 'b']"
QA_DESCS = {"context": "may contain relevant facts", "answer": "often between 1 and 5 words"}


class Multiline(dspy.Signature):
    """Summarize the document.

    Rules:
      - Keep it short.
      - Use plain words.
    """

    document: str = dspy.InputField()
    summary: str = dspy.OutputField(desc="one or two sentences")


class Sentiment(dspy.Signature):
    """Classify the sentiment of a short text."""

    text: str = dspy.InputField()
    sentiment: Literal["positive", "negative"] = dspy.OutputField(desc="positive or negative")


class Scored(dspy.Signature):
    """Score the answer."""

    answer: str = dspy.InputField()
    score: int = dspy.OutputField(ge=0, le=10)


class Person(pydantic.BaseModel):
    name: str
    age: int
    nickname: Optional[str] = None


class ExtractPerson(dspy.Signature):
    text: str = dspy.InputField()
    person: Person = dspy.OutputField()
    tags: list[str] = dspy.OutputField()
    maybe: Optional[int] = dspy.OutputField()


def class_case(cls, string, descs=None, constraints=None):
    return cls, portable(cls, string, descs, constraints)


def signatures():
    s = {}
    s["simple"] = build("question -> answer")
    s["qa_class"] = class_case(QA, QA_STRING, QA_DESCS)
    s["sentiment_class"] = class_case(
        Sentiment, "text: str -> sentiment: Literal['positive', 'negative']", {"sentiment": "positive or negative"}
    )
    s["numbers"] = build("question -> count: int, score: float, ok: bool", "Count things.\nThen score them.")
    s["multiline_class"] = class_case(Multiline, "document: str -> summary: str", {"summary": "one or two sentences"})
    s["structured"] = build(
        "question -> tags: list[str], counts: dict[str, int], note: Optional[str], meta: dict[str, Any]"
    )
    s["quotes_literal"] = build("""q -> choice: Literal['one', 'two', 'three"'], other: Literal["she's here", 'okay']""")
    s["typed_inputs"] = build(
        "count: int, ratio: float, flag: bool, items: list[int], table: dict[str, float], maybe: Optional[int] -> answer"
    )
    s["no_inputs"] = build("-> answer")
    s["constraints_class"] = class_case(
        Scored, "answer: str -> score: int", 
    )
    cot = dspy.ChainOfThought("question -> answer").predict.signature
    s["chain_of_thought"] = (cot, portable(cot, "question -> reasoning, answer"))
    s["literal_ints"] = build("question -> level: Literal[1, 2, 3], nested: list[Literal['x', 'y']]")
    s["history"] = build("question, history: dspy.History -> answer, score: float")
    # Only the typed Swift twin (`Extract` in TypedSignatureTests) can rebuild this one.
    s["codable_output"] = class_case(ExtractPerson, "typed-only")
    s["unicode"] = build("texto -> respuesta", "Réponds en français — «vite».")
    return s


def format_cases(sigs):
    cases = []

    def add(name, adapter_name, key, demos, inputs):
        sig, portable_sig = sigs[key]
        adapter = dspy.ChatAdapter() if adapter_name == "chat" else dspy.JSONAdapter()
        call_inputs = dict(inputs)
        if "history" in call_inputs:
            call_inputs["history"] = dspy.History(messages=call_inputs["history"]["messages"])
        messages = adapter.format(sig, demos, call_inputs)
        cases.append(
            {
                "name": name,
                "adapter": adapter_name,
                "signature": portable_sig,
                "demos": demos,
                "inputs": inputs,
                "messages": messages,
            }
        )

    qa_demos = [
        {"question": "q2", "answer": "a2"},
        {"context": ["c0"], "question": "q1", "answer": "a1", "confidence": 0.5, "label": "a"},
    ]
    qa_inputs = {"context": ["c1", "c2 line\nmore"], "question": "What?"}
    for adapter in ("chat", "json"):
        add(f"{adapter}_simple", adapter, "simple", [], {"question": "What is 2+2?"})
        add(f"{adapter}_qa_demos", adapter, "qa_class", qa_demos, qa_inputs)
        add(
            f"{adapter}_sentiment_complete_demos",
            adapter,
            "sentiment_class",
            [
                {"text": "I love it", "sentiment": "positive"},
                {"text": "Awful.\nJust awful.", "sentiment": "negative"},
            ],
            {"text": "what a lovely day"},
        )
        add(f"{adapter}_numbers", adapter, "numbers", [
            {"question": "How many?", "count": 3, "score": 0.25, "ok": True},
        ], {"question": "How many apples?"})
        add(f"{adapter}_multiline", adapter, "multiline_class", [], {"document": "Line one.\nLine two."})
        add(f"{adapter}_structured", adapter, "structured", [
            {"question": "Q", "tags": ["x", "y"], "counts": {"a": 1}, "note": None, "meta": {"k": [1, 2]}},
            {"question": "Q2", "tags": [], "counts": {}, "note": "n", "meta": {}},
        ], {"question": "Tag this."})
        add(f"{adapter}_quotes_literal", adapter, "quotes_literal", [], {"q": "pick"})
        add(f"{adapter}_typed_inputs", adapter, "typed_inputs", [], {
            "count": 3, "ratio": 2.0, "flag": False, "items": [1, 2, 3], "table": {"x": 1.5, "y": 1e-05}, "maybe": None,
        })
        add(f"{adapter}_chain_of_thought", adapter, "chain_of_thought", [
            {"question": "1+1?", "answer": "2"},
            {"question": "2+2?", "reasoning": "add them", "answer": "4"},
        ], {"question": "3+3?"})
        add(f"{adapter}_literal_ints", adapter, "literal_ints", [], {"question": "level?"})
        add(f"{adapter}_unicode", adapter, "unicode", [], {"texto": "¿Qué tal? 😀 \"quoted\" \\ back\ttab"})
        add(f"{adapter}_constraints", adapter, "constraints_class", [], {"answer": "ok"})
        add(f"{adapter}_history", adapter, "history", [{"question": "Demo?", "answer": "Yes.", "score": 1.0}], {
            "question": "And Germany?",
            "history": {"messages": [
                {"question": "Capital of France?", "answer": "Paris", "score": 0.9},
                {"question": "Only a question"},
                {"answer": "Only an answer"},
            ]},
        })
    # str-annotated input given list values: numbered list, one element, empty, multi-line.
    add("chat_list_for_str_input", "chat", "simple", [], {"question": ["alpha", "beta"]})
    add("chat_list_one_for_str_input", "chat", "simple", [], {"question": ["only"]})
    add("chat_list_empty_for_str_input", "chat", "simple", [], {"question": []})
    add("chat_list_multiline_for_str_input", "chat", "simple", [], {"question": ["a\nb", "«c»"]})
    add("chat_no_inputs", "chat", "no_inputs", [], {})
    add("typed_chat_codable_output", "chat", "codable_output", [], {"text": "Ada, 36"})
    add("typed_json_codable_output", "json", "codable_output", [], {"text": "Ada, 36"})
    add("chat_demo_dropped_without_outputs", "chat", "simple", [{"question": "no answer"}, {"answer": "no q"}], {"question": "Q"})
    return cases


def parse_cases(sigs):
    cases = []

    def add(name, adapter_name, key, completion):
        sig, portable_sig = sigs[key]
        adapter = dspy.ChatAdapter() if adapter_name == "chat" else dspy.JSONAdapter()
        case = {"name": name, "adapter": adapter_name, "signature": portable_sig, "completion": completion}
        try:
            result = adapter.parse(sig, completion)
            case["result"] = json.loads(json.dumps(result))
            case["result_types"] = {k: type(v).__name__ for k, v in result.items()}
        except AdapterParseError as e:
            case["error"] = str(e)
        cases.append(case)

    chat = "chat"
    add("chat_simple", chat, "simple", "[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]")
    add("chat_simple_same_line_and_preamble", chat, "simple", "Sure!\n[[ ## answer ## ]] four  \nmore\n")
    add("chat_first_header_wins", chat, "simple", "[[ ## answer ## ]]\nfirst\n[[ ## answer ## ]]\nsecond")
    add("chat_missing_field", chat, "qa_class", "[[ ## answer ## ]]\nParis\n\n[[ ## label ## ]]\na")
    add("chat_numbers", chat, "numbers", "[[ ## count ## ]]\n42\n[[ ## score ## ]]\n0.5\n[[ ## ok ## ]]\nTrue\n[[ ## completed ## ]]")
    add("chat_numbers_lowercase_bool", chat, "numbers", "[[ ## count ## ]]\n7\n[[ ## score ## ]]\n3\n[[ ## ok ## ]]\nfalse")
    add("chat_literal_quoted", chat, "sentiment_class", "[[ ## sentiment ## ]]\n'positive'")
    add("chat_literal_wrapped", chat, "sentiment_class", "[[ ## sentiment ## ]]\nLiteral[negative]")
    add("chat_literal_bad", chat, "sentiment_class", "[[ ## sentiment ## ]]\nneutral")
    add("chat_int_bad", chat, "numbers", "[[ ## count ## ]]\nforty\n[[ ## score ## ]]\n1.0\n[[ ## ok ## ]]\nTrue")
    add("chat_structured", chat, "structured",
        "[[ ## tags ## ]]\n[\"a\", \"b\"]\n[[ ## counts ## ]]\n{'x': 1}\n[[ ## note ## ]]\nhello\n[[ ## meta ## ]]\n{}")
    add("chat_structured_note_missing", chat, "structured", "[[ ## tags ## ]]\n[]\n[[ ## counts ## ]]\n{}\n[[ ## meta ## ]]\n{\"a\": null}")
    add("chat_empty", chat, "simple", "no headers at all")
    add("chat_python_code", chat, "sentiment_class", "```python\ndef classify(sentence):\n    return 'positive'\n```")
    add("chat_literal_ints", chat, "literal_ints", "[[ ## level ## ]]\n2\n[[ ## nested ## ]]\n['x', 'y']")
    add("chat_cot", chat, "chain_of_thought", "[[ ## reasoning ## ]]\nThree plus three.\n\n[[ ## answer ## ]]\n6\n\n[[ ## completed ## ]]\n")
    add("chat_float_bad", chat, "numbers", "[[ ## count ## ]]\n1\n[[ ## score ## ]]\nhigh\n[[ ## ok ## ]]\nTrue")
    add("chat_bool_bad", chat, "numbers", "[[ ## count ## ]]\n1\n[[ ## score ## ]]\n1\n[[ ## ok ## ]]\nmaybe")
    add("chat_int_fraction", chat, "numbers", "[[ ## count ## ]]\n2.5\n[[ ## score ## ]]\n1\n[[ ## ok ## ]]\nyes")
    add("chat_list_bad_item", chat, "structured", "[[ ## tags ## ]]\n[1, \"a\", 2]\n[[ ## counts ## ]]\n{}\n[[ ## meta ## ]]\n{}")
    add("chat_list_not_list", chat, "structured", "[[ ## tags ## ]]\na, b\n[[ ## counts ## ]]\n{}\n[[ ## meta ## ]]\n{}")
    add("chat_dict_bad_value", chat, "structured", "[[ ## tags ## ]]\n[]\n[[ ## counts ## ]]\n{\"a\": \"x\"}\n[[ ## meta ## ]]\n{}")
    add("chat_literal_three", chat, "quotes_literal", "[[ ## choice ## ]]\nfour\n[[ ## other ## ]]\nokay")
    js = "json"
    add("json_simple", js, "simple", '{"answer": "4"}')
    add("json_fenced", js, "numbers", 'Here:\n```json\n{"count": 3, "score": 0.5, "ok": true, "extra": 1}\n```')
    add("json_missing", js, "qa_class", '{"answer": "Paris", "label": "a"}')
    add("json_not_object", js, "simple", "just text")
    add("json_literal", js, "sentiment_class", '{"sentiment": "negative"}')
    add("json_structured", js, "structured", '{"tags": ["a"], "counts": {"x": 2}, "meta": {"k": [1]}}')
    add("json_string_numbers", js, "numbers", '{"count": "12", "score": "2.5", "ok": "false"}')
    return cases


def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"The weather in {city} is sunny."


def failing_lookup(query: str) -> str:
    """Look something up."""
    raise RuntimeError("service unavailable")


def module_cases():
    """Whole module calls with DummyLM: every message DSPy sent, and the final prediction."""
    from dspy.utils.dummies import DummyLM

    cases = []

    def run(name, make_program, answers, inputs, demos=None, describe=None, adapter="chat"):
        chosen = dspy.JSONAdapter() if adapter == "json" else dspy.ChatAdapter()
        lm = DummyLM(answers, adapter=chosen)
        program = make_program()
        if demos is not None:
            for _, predictor in program.named_predictors():
                predictor.demos = [dspy.Example(**d) for d in demos]
        with dspy.context(lm=lm, adapter=chosen):
            pred = program(**inputs)
        cases.append(
            {
                "name": name,
                "answers": answers,
                "inputs": inputs,
                "demos": demos or [],
                "calls": [h["messages"] for h in lm.history],
                "prediction": json.loads(json.dumps(pred.toDict(), default=str)),
                "state": json.loads(json.dumps(program.dump_state(), default=str)),
                "predictors": [n for n, _ in program.named_predictors()],
                "adapter": adapter,
                **(describe or {}),
            }
        )

    run(
        "predict_qa_class",
        lambda: dspy.Predict(QA),
        [{"answer": "Paris", "confidence": 0.9, "label": "a"}],
        {"context": ["Paris is in France."], "question": "Capital of France?"},
        demos=[{"question": "q2", "answer": "a2"}, {"context": ["c"], "question": "q1", "answer": "a1", "confidence": 1.0, "label": "b"}],
    )
    run(
        "chain_of_thought",
        lambda: dspy.ChainOfThought("question -> answer: int"),
        [{"reasoning": "Two plus two.", "answer": "4"}],
        {"question": "2+2?"},
        demos=[{"question": "1+1?", "answer": 2}, {"question": "3+3?", "reasoning": "Add.", "answer": 6, "augmented": True}],
    )
    run(
        "react_weather",
        lambda: dspy.ReAct("question -> answer", tools=[get_weather], max_iters=5),
        [
            {"next_thought": "Check the weather.", "next_tool_name": "get_weather", "next_tool_args": {"city": "Tokyo"}},
            {"next_thought": "I know now.", "next_tool_name": "finish", "next_tool_args": {}},
            {"reasoning": "The tool said sunny.", "answer": "Sunny"},
        ],
        {"question": "What is the weather in Tokyo?"},
    )
    run(
        "react_tool_error",
        lambda: dspy.ReAct("question -> answer", tools=[failing_lookup], max_iters=3),
        [
            {"next_thought": "Try it.", "next_tool_name": "failing_lookup", "next_tool_args": {"query": "x"}},
            {"next_thought": "Give up.", "next_tool_name": "finish", "next_tool_args": {}},
            {"reasoning": "No data.", "answer": "unknown"},
        ],
        {"question": "Find x"},
    )
    run(
        "chain_of_thought_json_adapter",
        lambda: dspy.ChainOfThought("question -> answer: int, tags: list[str]"),
        [{"reasoning": "Two plus two.", "answer": 4, "tags": ["math"]}],
        {"question": "2+2?"},
        demos=[{"question": "1+1?", "answer": 2, "tags": []}, {"question": "3+3?", "reasoning": "Add.", "answer": 6, "tags": ["x"]}],
        adapter="json",
    )
    cases.append(multi_chain_case(DummyLM))
    return cases


def multi_chain_case(DummyLM):
    answers = [{"rationale": "Both agree.", "answer": "4"}]
    lm = DummyLM(answers)
    mcc = dspy.MultiChainComparison("question -> answer", M=2)
    completions = [{"reasoning": "add two\nand more", "answer": "4"}, {"rationale": "guess", "answer": "5"}]
    with dspy.context(lm=lm, adapter=dspy.ChatAdapter()):
        pred = mcc(completions, question="2+2?")
    return {
        "name": "multi_chain_comparison",
        "answers": answers,
        "inputs": {"question": "2+2?"},
        "completions": completions,
        "demos": [],
        "calls": [h["messages"] for h in lm.history],
        "prediction": pred.toDict(),
        "state": json.loads(json.dumps(mcc.dump_state(), default=str)),
        "predictors": [n for n, _ in mcc.named_predictors()],
    }


def main():
    sigs = signatures()
    fmt = format_cases(sigs)
    prs = parse_cases(sigs)
    meta = {"dspy": dspy.__version__, "generator": "Tests/DSPyTests/Fixtures/make_fixtures.py"}
    with open(os.path.join(HERE, "adapter_format.json"), "w") as f:
        json.dump({"meta": meta, "cases": fmt}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(HERE, "adapter_parse.json"), "w") as f:
        json.dump({"meta": meta, "cases": prs}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    mods = module_cases()
    with open(os.path.join(HERE, "module_calls.json"), "w") as f:
        json.dump({"meta": meta, "cases": mods}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(fmt)} format cases, {len(prs)} parse cases, {len(mods)} module cases")


if __name__ == "__main__":
    main()
