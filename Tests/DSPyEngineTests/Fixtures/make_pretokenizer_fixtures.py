"""Writes pretokenizer_splits.json: how the Llama 3 and Qwen 2 pre-tokenizer regexes
(the `tokenizer.json` originals that llama.cpp's llama-vocab.cpp quotes for
LLAMA_VOCAB_PRE_TYPE_LLAMA3 and LLAMA_VOCAB_PRE_TYPE_QWEN2) split a corpus of tricky
strings, as Python's `regex` module (the engine Hugging Face tokenizers follow) splits them.

Regenerate: python3 -m pip install regex && python3 Tests/DSPyEngineTests/Fixtures/make_pretokenizer_fixtures.py
"""
import json
import pathlib

import regex

PATTERNS = {
    "llama3": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    "qwen2": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
}

CORPUS = [
    "Call 5551234 now", "3.14159 and 2,718,281", "x1y22z333w4444", "Ⅻ ٣٤٥ １２３ 四五",
    "I'm here, you'RE there, they'll've", "'S 'T 'Ll 'd'", "  leading and trailing  ",
    "line one\nline two\r\n\r\nthree", "tabs\tand\t\tmore\t", "emoji 🙂🙂 and 中文字符 mixed123",
    "[[ ## answer ## ]]\n42\n\n[[ ## completed ## ]]", "$$$100!!!\n\n", "a  b   c    d",
    "ünïcödé Ŀetters 2024-12-07T09:00Z", "", " ", "\n", "12 345 6789 01234",
    "def f(x):\n    return x**2  # square\n", "¿Qué? ¡Sí! 1st 2nd 3rd", "  \n  \n", "...\r\n",
]


def splits(pattern, text):
    return [[m.start(), m.end()] for m in regex.finditer(pattern, text)]



cases = [{"text": t, **{name: splits(p, t) for name, p in PATTERNS.items()}} for t in CORPUS]
out = pathlib.Path(__file__).with_name("pretokenizer_splits.json")
out.write_text(json.dumps({"generator": "make_pretokenizer_fixtures.py", "regex": regex.__version__, "cases": cases},
                          ensure_ascii=False, indent=1) + "\n")
print(f"wrote {out} ({len(cases)} cases)")
