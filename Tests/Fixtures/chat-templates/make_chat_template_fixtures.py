#!/usr/bin/env python3
"""Renders conversations with real chat templates the way llama-cpp-python does.

Writes `renderings.json` beside this script: for each template in `templates/` (the
Jinja source as the model's tokenizer_config.json / GGUF `tokenizer.chat_template`
carries it) and each conversation below, the text `Jinja2ChatFormatter` renders,
with and without the generation prompt. `Tests/DSPyEngineTests/ChatTemplateRenderingTests.swift`
checks the engine's native rendering against it byte for byte.

Run with llama-cpp-python 0.3.36 (it pulls in Jinja2):

    /path/to/python Tests/Fixtures/chat-templates/make_chat_template_fixtures.py

`strftime_now` (Llama 3.2 writes "Today Date: DD Mon YYYY") is pinned to TODAY below,
so the output does not depend on the day it is made; the test passes the same date.
"""
import datetime
import json
import pathlib

import jinja2
import llama_cpp
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

HERE = pathlib.Path(__file__).resolve().parent
TODAY = datetime.datetime(2026, 12, 7, 9, 30)
Jinja2ChatFormatter.strftime_now = staticmethod(lambda fmt: TODAY.strftime(fmt))

# name: (family the engine should recognise, bos_token, eos_token, where the source comes from)
TEMPLATES = {
    "smollm2": ("chatML", "<|im_start|>", "<|im_end|>",
                "SmolLM2-135M-Instruct GGUF (Tests/Fixtures/golden/gguf_metadata.json)"),
    "qwen2.5": ("chatML", "", "<|im_end|>", "Qwen/Qwen2.5-*-Instruct tokenizer_config.json"),
    "qwen3": ("chatML", "", "<|im_end|>", "Qwen/Qwen3-* tokenizer_config.json"),
    "llama3": ("llama3", "<|begin_of_text|>", "<|eot_id|>",
               "meta-llama/Meta-Llama-3-8B-Instruct (llama_cpp.llama_chat_format.LLAMA3_INSTRUCT_CHAT_TEMPLATE)"),
    "llama3.2": ("llama3", "<|begin_of_text|>", "<|eot_id|>", "meta-llama/Llama-3.2-*-Instruct tokenizer_config.json"),
    "gemma3": ("gemma", "<bos>", "<eos>", "google/gemma-3-*-it tokenizer_config.json"),
    "phi3": ("phi3", "<s>", "<|endoftext|>", "microsoft/Phi-3-mini-4k-instruct tokenizer_config.json"),
}

S, U, A = "system", "user", "assistant"
DSPY_SYSTEM = (
    "Your input fields are:\n1. `text` (str): A short text.\nYour output fields are:\n"
    "1. `sentiment` (Literal['positive', 'negative', 'neutral']):\nAll interactions will be structured in "
    "the following way, with the appropriate values filled in.\n\n[[ ## text ## ]]\n{text}\n\n"
    "[[ ## sentiment ## ]]\n{sentiment}        # note: the value you produce must exactly match (no extra "
    "characters) one of: positive; negative; neutral\n\n[[ ## completed ## ]]\nIn adhering to this structure, "
    "your objective is: \n        Classify the sentiment of the text."
)
CONVERSATIONS = {
    "user": [(U, "What is the capital of France?")],
    "system_user": [(S, "You are a concise assistant."), (U, "List three primary colors.")],
    "multi_turn": [(S, "Answer in one word."), (U, "Capital of Italy?"), (A, "Rome"),
                   (U, "And of Spain?")],
    "no_system_multi_turn": [(U, "Hi!"), (A, "Hello! How can I help?"), (U, "Tell me a joke.")],
    "ends_with_assistant": [(S, "Be brief."), (U, "2+2?"), (A, "4")],
    "whitespace_edges": [(S, "  Be brief.\n"), (U, "\n Hi there \t"), (A, " Hello! \n\n"),
                         (U, "\u00a0again\u3000")],
    "unicode_newlines": [(U, "Line 1\n\nLine 2 \u2014 caf\u00e9 \u65e5\u672c\u8a9e \U0001F44D\r\nend")],
    "empty_content": [(S, ""), (U, "")],
    "thinking_history": [(U, "Capital of France?"), (A, "<think>\nEasy one.\n</think>\n\nParis"),
                         (U, "And Germany?")],
    "dspy_chat_adapter": [
        (S, DSPY_SYSTEM),
        (U, "[[ ## text ## ]]\nI love this phone, the battery lasts for days!\n\nRespond with the corresponding "
            "output fields, starting with the field `[[ ## sentiment ## ]]` (must be formatted as a valid Python "
            "Literal['positive', 'negative', 'neutral']), and then ending with the marker for `[[ ## completed ## ]]`."),
        (A, "[[ ## sentiment ## ]]\npositive\n\n[[ ## completed ## ]]"),
        (U, "[[ ## text ## ]]\nThe delivery was late and the box was crushed.\n\nRespond with the corresponding "
            "output fields, starting with the field `[[ ## sentiment ## ]]`, and then ending with the marker for "
            "`[[ ## completed ## ]]`."),
    ],
}


def main():
    cases = []
    for name, (family, bos, eos, origin) in TEMPLATES.items():
        source = (HERE / "templates" / f"{name}.jinja").read_text(encoding="utf-8")
        for conversation, turns in CONVERSATIONS.items():
            messages = [{"role": role, "content": content} for role, content in turns]
            for generation_prompt in (True, False):
                formatter = Jinja2ChatFormatter(template=source, eos_token=eos, bos_token=bos,
                                                add_generation_prompt=generation_prompt)
                case = {"template": name, "conversation": conversation, "add_generation_prompt": generation_prompt}
                try:
                    case["rendered"] = formatter(messages=messages).prompt
                except (ValueError, jinja2.TemplateError) as error:
                    case["error"] = str(error)  # Gemma 3 refuses roles that do not alternate
                cases.append(case)
    out = {
        "generator": {
            "llama_cpp_python": llama_cpp.__version__,
            "jinja2": jinja2.__version__,
            "renderer": "llama_cpp.llama_chat_format.Jinja2ChatFormatter (trim_blocks, lstrip_blocks)",
            "strftime_now": TODAY.isoformat(),
        },
        "templates": {name: {"family": family, "bos_token": bos, "eos_token": eos, "origin": origin}
                      for name, (family, bos, eos, origin) in TEMPLATES.items()},
        "conversations": {name: [{"role": role, "content": content} for role, content in turns]
                          for name, turns in CONVERSATIONS.items()},
        "cases": cases,
    }
    path = HERE / "renderings.json"
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    errors = sum("error" in case for case in cases)
    print(f"wrote {path.name}: {len(cases)} cases ({errors} refused by the template)")


if __name__ == "__main__":
    main()
