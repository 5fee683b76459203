"""Fingerprints llama.cpp's last-position logits for the golden prompts on this machine.

The files in Tests/Fixtures/golden (copied from shared/golden) were produced by llama.cpp on another CPU; llama.cpp
0.3.36 (llama-cpp-python, flash attention on, as the golden files were made) built
here differs from them by up to 0.93. This records what llama.cpp computes here,
as SHA-256 of the 49,152 little-endian float32 logits, so the engine tests can
check bit-for-bit agreement.

llama.cpp built natively rounds differently with AVX-512 than with AVX2 (SwiGLU's
exponential, attention's half-precision dot product and softmax), so the output names
the level llama.cpp's build used ("cpu_level": avx512 or avx2, from its system info) and
goes to the file of that level; the engine tests pick the file of the CPU they run on.

    pip install 'llama-cpp-python==0.3.36'   # built from source on the machine
    python make_llama_cpp_logits.py MODEL.gguf > llama_cpp_logits.LEVEL.json
"""
import hashlib, json, pathlib, sys

import numpy as np
from llama_cpp import Llama

GOLDEN = pathlib.Path(__file__).resolve().parents[2] / "Fixtures" / "golden" / "logits"
NAMES = ["raw_capital", "raw_code", "chat_capital", "chat_colors_sys", "long_dspy_demos"]

import llama_cpp

info = llama_cpp.llama_print_system_info().decode()
level = "avx512" if "AVX512 = 1" in info else "avx2" if "AVX2 = 1" in info else "scalar"
out = {"llama_cpp_python": "0.3.36", "cpu_level": level, "flash_attn": True, "n_batch": 512, "prompts": {}}
for name in NAMES:
    ids = json.loads((GOLDEN / f"{name}.json").read_text())["prompt_token_ids"]
    golden = np.fromfile(GOLDEN / f"{name}.last.f32", dtype="<f4")
    for threads in (1, 2):
        llm = Llama(model_path=sys.argv[1], n_ctx=2048, n_threads=threads, n_batch=512,
                    logits_all=True, verbose=False, flash_attn=True)
        llm.eval(ids)
        last = np.asarray(llm.scores[len(ids) - 1], dtype="<f4")
        digest = hashlib.sha256(last.tobytes()).hexdigest()
        entry = out["prompts"].setdefault(name, {"sha256": digest})
        assert entry["sha256"] == digest, f"{name}: llama.cpp differs between thread counts"
    d = np.abs(last - golden)
    entry["golden_max_abs_diff"] = round(float(d.max()), 5)
    entry["golden_mean_abs_diff"] = round(float(d.mean()), 5)
# Greedy continuations of greedy48.json, and how many tokens agree with the golden ones.
greedy = json.loads((GOLDEN.parent / "greedy48.json").read_text())["prompts"]
out["greedy"] = {}
for prompt in greedy:
    llm = Llama(model_path=sys.argv[1], n_ctx=2048, n_threads=2, n_batch=512,
                logits_all=True, verbose=False, flash_attn=True)
    llm.eval(prompt["prompt_token_ids"])
    ids = []
    for _ in range(len(prompt["greedy"]["token_ids"])):
        ids.append(int(np.argmax(llm.scores[llm.n_tokens - 1])))
        llm.eval([ids[-1]])
    golden_ids = prompt["greedy"]["token_ids"]
    agree = next((i for i, (a, b) in enumerate(zip(ids, golden_ids)) if a != b), len(ids))
    out["greedy"][prompt["id"]] = {"token_ids": ids, "golden_agreement": agree}
json.dump(out, sys.stdout, indent=1)
print()
