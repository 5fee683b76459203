#!/usr/bin/env python3
"""Records llama.cpp's greedy continuations and tokenization on Gemma 3 270M (the catalog's `gemma3-270m`).

Run by developers (needs llama.cpp):

    python3 -m pip install 'llama-cpp-python==0.3.36' 'gguf==0.19.0' numpy
    dspyc models pull gemma3-270m
    python3 make_gemma3_fixtures.py [MODEL.gguf]     # default: $DSPYC_GEMMA_GGUF or ~/.cache/dspyc/models/

Writes beside this file:
- `greedy.json`: six conversations rendered with llama.cpp's built-in `gemma` chat template (the
  GGUF carries no `tokenizer.chat_template`), tokenized with BOS and special tokens parsed, and
  llama.cpp's greedy continuation (flash attention on, n_batch 512, 2 threads, n_ctx 2048, F16 KV
  cache, weight repacking off; argmax with ties to the lower id; up to 64 tokens, stopping after the
  first end-of-generation token). Per step: top-5 logits and the top-1/top-2 margin. Also the
  last prompt position's logits (SHA-256 of the 262,144 little-endian float32 values, top 10,
  max/mean |logit|), and what changes with llama.cpp's default weight repacking on.
  One conversation is DSPy's zero-shot ChatAdapter prompt and one its 12-demo few-shot prompt,
  which is longer than the 512-token sliding window. Two plain-text prompts (no template) follow:
  the file is the pretrained model, which continues text sensibly but does not answer in turns.
- `tokenization.json`: a corpus of tricky strings with llama.cpp's ids (add_special and
  parse_special on), `noparse` ids (both off) and `detok` (llama_detokenize of `ids`,
  remove_special and unparse_special off) -- the schema of
  Tests/DSPyEngineTests/LlamaCppTokenizationCorpus.swift, whose strings it does not repeat --
  and how many of that file's Gemma cases llama.cpp 0.3.36 reproduces.
"""
import ctypes
import hashlib
import importlib.metadata
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import gguf
import llama_cpp
import llama_cpp.llama_cpp as C
from llama_cpp import Llama

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
N_CTX, N_BATCH, THREADS, MAX_NEW = 2048, 512, 2, 64

_default_model_params = C.llama_model_default_params
_extra_bufts = {"on": False}


def _model_params():
    params = _default_model_params()
    params.use_extra_bufts = _extra_bufts["on"]
    return params


C.llama_model_default_params = _model_params  # Llama() has no switch for weight repacking


def load(path: Path, repack: bool = False, vocab_only: bool = False, kv_overrides=None) -> Llama:
    _extra_bufts["on"] = repack
    return Llama(model_path=str(path), n_ctx=N_CTX, n_batch=N_BATCH, n_ubatch=N_BATCH, n_threads=THREADS,
                 n_threads_batch=THREADS, flash_attn=True, verbose=False, vocab_only=vocab_only,
                 kv_overrides=kv_overrides)


def exact(x) -> float:
    return float(np.float32(x))


def top(logits: np.ndarray, k: int) -> list:
    idx = np.argpartition(-logits, k)[: k * 4]
    order = sorted(idx.tolist(), key=lambda i: (-float(logits[i]), i))[:k]
    return [[int(i), exact(logits[i])] for i in order]


# ---------------------------------------------------------------------------
# Conversations

def dspy_messages(section: str) -> list:
    """A 'Raw messages JSON' block of Tests/Fixtures/golden/dspy_prompt_example.txt."""
    text = (REPO / "Tests/Fixtures/golden/dspy_prompt_example.txt").read_text()
    start = text.index(f"=== Raw messages JSON ({section}) ===")
    body = text[text.index("[", start):]
    return json.JSONDecoder().raw_decode(body)[0]


def chatml_messages(path: Path) -> list:
    """The messages of a ChatML-rendered prompt (the SmolLM2 golden long prompt)."""
    text = path.read_text()
    return [{"role": m.group(1), "content": m.group(2)}
            for m in re.finditer(r"<\|im_start\|>(\w+)\n(.*?)<\|im_end\|>", text, flags=re.S)]


CONVERSATIONS = [
    ("capital", [{"role": "user", "content": "What is the capital of France?"}]),
    ("system_sky", [{"role": "system", "content": "You are a helpful assistant. Answer in one short sentence."},
                    {"role": "user", "content": "Why is the sky blue?"}]),
    ("multi_turn", [{"role": "user", "content": "Hi! Can you help me with a list?"},
                    {"role": "assistant", "content": "Of course! What kind of list do you need?"},
                    {"role": "user", "content": "Three fruits that are red, one per line."}]),
    ("code", [{"role": "user", "content": "Write a Python function that returns the square of a number."}]),
    ("dspy_zero_shot", dspy_messages("zero-shot")),
    ("dspy_12_demos", chatml_messages(REPO / "Tests/Fixtures/golden/logits/long_dspy_demos.prompt.txt")),
    # The catalog's file is the pretrained model (see README): plain-text continuations too.
    ("raw_capital", "The capital of France is"),
    ("raw_code", "def square(x):\n"),
]


def render(messages: list) -> str:
    """llama.cpp's built-in `gemma` template (llm_chat_apply_template), with the generation prompt."""
    arr = (C.llama_chat_message * len(messages))()
    keep = []
    for i, m in enumerate(messages):
        r, c = m["role"].encode(), m["content"].encode()
        keep += [r, c]
        arr[i].role, arr[i].content = r, c
    buf = ctypes.create_string_buffer(65536)
    n = C.llama_chat_apply_template(b"gemma", arr, len(messages), True, buf, len(buf))
    if n < 0 or n > len(buf):
        raise RuntimeError(f"llama_chat_apply_template failed ({n})")
    return buf.raw[:n].decode()


def greedy(path: Path, ids: list, repack: bool) -> dict:
    llm = load(path, repack=repack)
    vocab = C.llama_model_get_vocab(llm.model)
    n_vocab = llm.n_vocab()
    logits = lambda: np.ctypeslib.as_array(C.llama_get_logits_ith(llm.ctx, -1), shape=(n_vocab,)).astype(np.float32).copy()
    llm.eval(ids)
    last = logits()
    cur, steps = last, []
    for _ in range(MAX_NEW):
        t5 = top(cur, 5)
        tok = t5[0][0]
        steps.append({"id": tok, "top5": t5, "margin": exact(np.float32(t5[0][1]) - np.float32(t5[1][1]))})
        if C.llama_vocab_is_eog(vocab, tok):
            break
        llm.eval([tok])
        cur = logits()
    text = llm.detokenize([s["id"] for s in steps], special=True).decode("utf-8", errors="replace")
    return {"last": last, "steps": steps, "text": text}


# ---------------------------------------------------------------------------
# Tokenization corpus (strings not already in LlamaCppTokenizationCorpus.swift)

CORPUS = [
    " Hello", "   three leading spaces", "trailing space ", "a  b   c    d     e", "    ", "\r", "\r\n\r\n",
    "\tindented\twith\ttabs\t", "line1\nline2\r\nline3\n", "\n\n\nthree newlines then text",
    "naïve café résumé", "東京は日本の首都です。", "中文测试：你好，世界！", "한국어 텍스트입니다", "Привет, мир!",
    "مرحبا بالعالم", "emoji 😀👍🏽🎉🦙 and a flag 🇫🇷", "👨‍👩‍👧‍👦 family", "12345 678901 3.14159 -42 1e-9 0x1F",
    "2024-01-15T10:30:00Z", "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n",
    "<bos><eos><pad><unk><mask>", "<start_of_image> image <end_of_image>",
    "[[ ## question ## ]]\nWhat is 2+2?\n\n[[ ## answer ## ]]\n4\n\n[[ ## completed ## ]]",
    "[[ ## sentiment ## ]]\npositive", "{sentiment}        # note: the value you produce must exactly match",
    "Respond with the corresponding output fields, starting with the field `[[ ## sentiment ## ]]`",
    "```python\ndef f(x):\n    return x * 2\n```", '{"key": "value", "list": [1, 2, 3], "nested": {"a": null}}',
    "<h1>Title</h1><p>para</p>", "ＡＢＣ full-width ｱｲｳ", "\u00a0non-breaking\u00a0spaces\u3000ideographic",
    "combining e\u0301 vs precomposed é", "\u200bzero\u200dwidth\ufeffBOM", "a" * 64, "I'm can't won't y'all",
    "<0x41> literal byte-token text", "▁literal lower one eighth block ▁▁", "Ünïcödé ÇAPS ß ẞ",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚", "\x07bell and \x1bescape",
]


def tokenize(vocab, text: str, add_special: bool, parse_special: bool) -> list:
    data = text.encode()
    buf = (C.llama_token * (len(data) + 16))()
    n = C.llama_tokenize(vocab, data, len(data), buf, len(buf), add_special, parse_special)
    if n < 0:
        raise RuntimeError(f"tokenize {text!r}: {n}")
    return list(buf[:n])


def detokenize(vocab, ids: list) -> str:
    arr = (C.llama_token * max(1, len(ids)))(*ids)
    buf = ctypes.create_string_buffer(65536)
    n = C.llama_detokenize(vocab, arr, len(ids), buf, len(buf), False, False)
    if n < 0:
        raise RuntimeError(f"detokenize {ids}: {n}")
    return buf.raw[:n].decode("utf-8", errors="surrogateescape")


def case(vocab, text: str) -> dict:
    ids = tokenize(vocab, text, True, True)
    return {"text": text, "ids": ids, "noparse": tokenize(vocab, text, False, False), "detok": detokenize(vocab, ids)}


def existing_corpus() -> dict:
    src = (REPO / "Tests/DSPyEngineTests/LlamaCppTokenizationCorpus.swift").read_text()
    return json.loads(src[src.index('##"') + 3: src.rindex('"##')])


# ---------------------------------------------------------------------------

def model_facts(path: Path) -> dict:
    reader = gguf.GGUFReader(str(path))
    fields = reader.fields
    tokens = fields["tokenizer.ggml.tokens"].contents()
    types = fields["tokenizer.ggml.token_type"].contents()
    keys = {}
    for k, f in fields.items():
        if k.startswith("GGUF.") or k in ("tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"):
            continue
        v = f.contents()
        keys[k] = v
    named = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "[multimodal]", "<start_of_turn>", "<end_of_turn>",
             "<start_of_image>", "<end_of_image>", "\n", "\n\n", "▁", "<0x00>"]
    ids = {t: i for i, t in enumerate(tokens) if t in named}
    type_names = {1: "NORMAL", 2: "UNKNOWN", 3: "CONTROL", 4: "USER_DEFINED", 5: "UNUSED", 6: "BYTE"}
    return {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "size": path.stat().st_size,
        "metadata": keys,
        "has_chat_template": "tokenizer.chat_template" in fields,
        "tensor_type_counts": dict(sorted(Counter(t.tensor_type.name for t in reader.tensors).items())),
        "tensor_types_by_role": dict(sorted(Counter(
            f"{t.name.split('.')[-2] if t.name.startswith('blk.') else t.name.rsplit('.', 1)[0]}:{t.tensor_type.name}"
            for t in reader.tensors).items())),
        "token_type_counts": {type_names[k]: v for k, v in sorted(Counter(int(t) for t in types).items())},
        "token_ids": ids,
        "user_defined_tokens": [[i, tokens[i]] for i, t in enumerate(types) if t == 4],
    }


def main() -> int:
    default = os.environ.get("DSPYC_GEMMA_GGUF") or str(Path.home() / ".cache/dspyc/models/gemma-3-270m-q4_k_m.gguf")
    path = Path(sys.argv[1] if len(sys.argv) > 1 else default)
    generator = {"llama_cpp_python": llama_cpp.__version__, "gguf": importlib.metadata.version("gguf"),
                 "llama_cpp_system_info": C.llama_print_system_info().decode().strip(),
                 "settings": {"flash_attn": True, "n_ctx": N_CTX, "n_batch": N_BATCH, "n_ubatch": N_BATCH,
                              "n_threads": THREADS, "kv_cache": "f16/f16", "use_extra_bufts": False,
                              "template": "llama.cpp built-in 'gemma' (llama_chat_apply_template)",
                              "tokenize": "add_special=true, parse_special=true",
                              "greedy": f"argmax, ties to the lower id, up to {MAX_NEW} tokens, stop after the first EOG"}}
    facts = model_facts(path)

    llm = load(path, vocab_only=True)
    vocab = C.llama_model_get_vocab(llm.model)
    prompts = []
    for name, messages in CONVERSATIONS:
        rendered = messages if isinstance(messages, str) else render(messages)
        ids = tokenize(vocab, rendered, True, True)
        off = greedy(path, ids, repack=False)
        on = greedy(path, ids, repack=True)
        last = np.asarray(off["last"], "<f4")
        entry = {
            "name": name, "messages": None if isinstance(messages, str) else messages, "rendered": rendered, "prompt_ids": ids, "n_prompt": len(ids),
            "greedy_ids": [s["id"] for s in off["steps"]], "greedy_text": off["text"], "steps": off["steps"],
            "last_logits": {"sha256": hashlib.sha256(last.tobytes()).hexdigest(), "top10": top(last, 10),
                            "max_abs": exact(np.abs(last).max()), "mean_abs": exact(np.abs(last).mean())},
            "repack_on": {"greedy_ids": [s["id"] for s in on["steps"]],
                          "sha256": hashlib.sha256(np.asarray(on["last"], "<f4").tobytes()).hexdigest(),
                          "max_abs_diff_vs_off": exact(np.abs(on["last"] - off["last"]).max())},
        }
        prompts.append(entry)
        print(f"{name}: n_prompt={len(ids)} n_new={len(entry['greedy_ids'])} "
              f"min margin={min(s['margin'] for s in off['steps']):.4f} "
              f"repack same tokens={entry['repack_on']['greedy_ids'] == entry['greedy_ids']} "
              f"repack diff={entry['repack_on']['max_abs_diff_vs_off']:.3g}\n  {off['text']!r}", flush=True)
    (HERE / "greedy.json").write_text(json.dumps(
        {"generator": generator, "model": {k: v for k, v in facts.items() if k != "metadata"}, "prompts": prompts},
        indent=1, ensure_ascii=False) + "\n")

    old = existing_corpus()
    seen = {c["text"] for c in old["gemma3"]}
    cases = [case(vocab, t) for t in CORPUS if t not in seen]
    agree = sum(case(vocab, c["text"]) == {k: c[k] for k in ("text", "ids", "noparse", "detok")} for c in old["gemma3"])
    spm = load(path, vocab_only=True, kv_overrides={"tokenizer.ggml.add_space_prefix": True})
    spm_vocab = C.llama_model_get_vocab(spm.model)
    agree_sp = sum(case(spm_vocab, c["text"]) == {k: c[k] for k in ("text", "ids", "noparse", "detok")}
                   for c in old["gemma3SpacePrefix"])
    print(f"corpus: {len(cases)} new strings; LlamaCppTokenizationCorpus.swift gemma3 {agree}/{len(old['gemma3'])}, "
          f"gemma3SpacePrefix {agree_sp}/{len(old['gemma3SpacePrefix'])} reproduced by llama.cpp 0.3.36")
    (HERE / "tokenization.json").write_text(json.dumps({
        "source": f"llama.cpp via llama-cpp-python {llama_cpp.__version__}, {path.name}: llama_tokenize(add_special=true, "
                  "parse_special=true) as ids; (add_special=false, parse_special=false) as noparse; "
                  "llama_detokenize(ids, remove_special=false, unparse_special=false) as detok",
        "model_sha256": facts["sha256"],
        "existing_corpus_check": {
            "file": "Tests/DSPyEngineTests/LlamaCppTokenizationCorpus.swift",
            "gemma3_reproduced": f"{agree}/{len(old['gemma3'])}",
            "gemma3SpacePrefix_reproduced": f"{agree_sp}/{len(old['gemma3SpacePrefix'])} "
                                            "(kv override tokenizer.ggml.add_space_prefix = true)",
        },
        "gemma3": cases,
    }, indent=1, ensure_ascii=False) + "\n")
    (HERE / "model_facts.json").write_text(json.dumps(facts, indent=1, ensure_ascii=False, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
