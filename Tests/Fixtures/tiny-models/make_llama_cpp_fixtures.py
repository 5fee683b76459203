#!/usr/bin/env python3
"""Records what llama.cpp computes on the tiny models: the oracle for the engine's tests.

Run by developers, not in CI (it needs llama.cpp):

    python3 -m pip install 'llama-cpp-python==0.3.36' 'gguf==0.19.0' numpy
    python3 make_llama_cpp_fixtures.py            # writes beside this file

For each architecture in make_tiny_models.py this
1. writes the F32 and gguf-py Q8_0 models (make_tiny_models.py) to a temporary folder;
2. quantizes the F32 model with llama.cpp's own quantizer (`llama_model_quantize`) to
   Q8_0 and Q4_K_M; the Q4_K_M file is written here (`tiny-ARCH-q4_k_m.gguf`, committed,
   since CI cannot make it), and llama.cpp's Q8_0 is compared tensor by tensor with gguf-py's;
3. runs llama.cpp (flash attention on, n_batch 512, 2 threads, n_ctx 256, F16 KV cache,
   weight repacking off: `use_extra_bufts = false`) on three token-id prompts and writes
   `tiny-ARCH-QUANT.json` (QUANT = f32, q8_0, q4_k_m) with, per prompt: the ids, the top-5
   logits at every prompt position, all last-position logits (exact float32 values and the
   SHA-256 of their little-endian bytes), their top 10 and max/mean |logit|, and 16 greedy
   tokens (argmax, ties to the lower id, end-of-generation tokens not special) with the top-5
   and the top-1/top-2 margin at each step.
It also checks that the results do not depend on the thread count, and records what the
weight repacking (on by default in llama.cpp) and asking for one row of logits instead of all
change. The q8_0 fixtures are for the gguf-py Q8_0 file that make_tiny_models.py writes in CI;
the script asserts llama.cpp computes the same with its own Q8_0 file.
"""
import ctypes
import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import gguf
import llama_cpp
import llama_cpp.llama_cpp as C
from llama_cpp import Llama

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_tiny_models as tiny  # noqa: E402

N_CTX = 256
N_BATCH = 512
THREADS = 2
N_GREEDY = 16

# ---------------------------------------------------------------------------
# llama.cpp switches

_default_model_params = C.llama_model_default_params
_extra_bufts = {"on": False}


def _model_params():
    params = _default_model_params()
    params.use_extra_bufts = _extra_bufts["on"]  # weight repacking (CPU_REPACK buffer type)
    return params


# Llama() builds its model parameters from this function and exposes no switch for extra buffers.
C.llama_model_default_params = _model_params


def load(path: Path, threads: int = THREADS, logits_all: bool = True, repack: bool = False) -> Llama:
    _extra_bufts["on"] = repack
    return Llama(model_path=str(path), n_ctx=N_CTX, n_batch=N_BATCH, n_ubatch=N_BATCH, n_threads=threads,
                 n_threads_batch=threads, logits_all=logits_all, flash_attn=True, verbose=False, seed=0)


def quantize(src: Path, dst: Path, ftype: int) -> None:
    params = C.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = THREADS
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]  # the quantizer prints a line per tensor
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        rc = C.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params))
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved + [devnull]:
            os.close(fd)
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize({src.name}, ftype {ftype}) returned {rc}")


# ---------------------------------------------------------------------------
# Prompts

SHORT_MESSAGES = [("system", "You are a helpful assistant."), ("user", "What is the capital of France?")]
LONG_TEXT = (
    "Your input fields are:\n1. `question` (str)\nYour output fields are:\n1. `answer` (str)\n"
    "All interactions will be structured in the following way, with the appropriate values filled in.\n\n"
    "[[ ## question ## ]]\n{question}\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]\n"
    "In adhering to this structure, your objective is: Given the fields `question`, produce the fields `answer`.\n\n"
    "[[ ## question ## ]]\nWhat is the capital of Italy? The quick brown fox jumps over the lazy dog.\n\n"
    "Respond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`, and then "
    "ending with the marker for `[[ ## completed ## ]]`."
)
LONG_MAX = 160  # tokens kept of LONG_TEXT (the prompt plus 16 greedy tokens stay inside n_ctx 256)
SPREAD_LEN = 200  # ids 17 + 211 i mod n_vocab: every kind of token, far past gemma3's window of 8


def render_chat(llm: Llama, messages: list) -> str:
    """The conversation rendered by llama.cpp's built-in template matching the model's Jinja template."""
    tmpl = C.llama_model_chat_template(llm.model, None)
    arr = (C.llama_chat_message * len(messages))()
    keep = []
    for i, (role, content) in enumerate(messages):
        r, c = role.encode(), content.encode()
        keep += [r, c]
        arr[i].role, arr[i].content = r, c
    buf = ctypes.create_string_buffer(8192)
    n = C.llama_chat_apply_template(tmpl, arr, len(messages), True, buf, len(buf))
    if n < 0 or n > len(buf):
        raise RuntimeError(f"llama_chat_apply_template failed ({n})")
    return buf.raw[:n].decode()


def prompts_for(path: Path) -> list:
    llm = load(path, logits_all=False)
    n_vocab = llm.n_vocab()
    chat = render_chat(llm, SHORT_MESSAGES)
    short = llm.tokenize(chat.encode(), add_bos=True, special=True)
    long = llm.tokenize(LONG_TEXT.encode(), add_bos=True, special=True)[:LONG_MAX]
    bos = [llm.token_bos()] if short[0] == llm.token_bos() else []
    spread = bos + [(17 + 211 * i) % n_vocab for i in range(SPREAD_LEN)]
    assert len(short) < 64 <= len(long), (len(short), len(long))
    return [
        {"name": "short_chat", "source": {"messages": SHORT_MESSAGES, "rendered": chat}, "ids": short},
        {"name": "long_dspy", "source": {"text": LONG_TEXT, "truncated_to": LONG_MAX}, "ids": long},
        {"name": "id_spread", "source": {"rule": f"[BOS if the model adds it] + [(17 + 211*i) % n_vocab for i in range({SPREAD_LEN})]"},
         "ids": spread},
    ]


# ---------------------------------------------------------------------------
# Running

def exact(x) -> float:
    """A float32 as the double with the same value (exact in JSON)."""
    return float(np.float32(x))


def top(logits: np.ndarray, k: int) -> list:
    order = sorted(range(len(logits)), key=lambda i: (-float(logits[i]), i))[:k]
    return [[int(i), exact(logits[i])] for i in order]


def last_logits_summary(logits: np.ndarray) -> dict:
    l32 = np.asarray(logits, dtype="<f4")
    return {
        "sha256": hashlib.sha256(l32.tobytes()).hexdigest(),
        "top10": top(l32, 10),
        "max_abs": exact(np.abs(l32).max()),
        "mean_abs": exact(np.abs(l32).mean()),
        "values": [exact(v) for v in l32],
    }


def run_prompt(path: Path, ids: list, threads: int = THREADS, repack: bool = False, logits_all: bool = True) -> dict:
    """Evaluates the prompt in one batch, then 16 greedy tokens one by one."""
    llm = load(path, threads=threads, logits_all=logits_all, repack=repack)
    n_vocab = llm.n_vocab()
    llm.eval(ids)
    if logits_all:
        scores = np.array(llm.scores[: len(ids)], dtype=np.float32)
        last = scores[-1].copy()
    else:
        scores = None
        last = np.ctypeslib.as_array(C.llama_get_logits_ith(llm.ctx, -1), shape=(n_vocab,)).astype(np.float32)
    out = {"last": last, "prompt_top5": None if scores is None else [top(row, 5) for row in scores], "greedy": []}
    cur = last
    for _ in range(N_GREEDY):
        order = top(cur, 5)
        tok = order[0][0]
        out["greedy"].append({"id": tok, "top5": order, "margin": exact(np.float32(order[0][1]) - np.float32(order[1][1]))})
        llm.eval([tok])
        cur = np.ctypeslib.as_array(C.llama_get_logits_ith(llm.ctx, -1), shape=(n_vocab,)).astype(np.float32).copy()
    return out


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tensor_types(path: Path) -> dict:
    reader = gguf.GGUFReader(str(path))
    return {t.name: t.tensor_type.name for t in reader.tensors}


def tensor_bytes(path: Path) -> dict:
    reader = gguf.GGUFReader(str(path))
    return {t.name: (t.tensor_type.name, bytes(t.data.tobytes())) for t in reader.tensors}


def machine() -> dict:
    flags = set()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    simd = sorted(f for f in flags if f.startswith(("avx", "sse", "fma", "f16c", "amx", "bmi")) or f in ("ssse3", "pclmulqdq"))
    model = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                  if l.startswith("model name")), platform.processor())
    return {"cpu": model, "cpu_flags": simd, "llama_cpp_system_info": C.llama_print_system_info().decode().strip(),
            "platform": platform.platform()}


def main() -> int:
    info = {
        "llama_cpp_python": llama_cpp.__version__,
        "gguf": importlib.metadata.version("gguf"),
        "numpy": np.__version__,
        "machine": machine(),
        "settings": {"flash_attn": True, "n_ctx": N_CTX, "n_batch": N_BATCH, "n_ubatch": N_BATCH, "n_threads": THREADS,
                     "kv_cache": "f16/f16", "use_extra_bufts": False, "logits_all": True,
                     "greedy": "argmax of the last logits, ties to the lower id, one token per llama_decode, EOG not special"},
    }
    summary = {"generator": info, "models": {}}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        subprocess.run([sys.executable, str(HERE / "make_tiny_models.py"), str(tmp)], check=True, stdout=subprocess.DEVNULL)
        for arch in tiny.MODELS:
            f32 = tmp / f"tiny-{arch}-f32.gguf"
            q8_py = tmp / f"tiny-{arch}-q8_0.gguf"
            q8_cpp = tmp / f"tiny-{arch}-q8_0-llama-cpp.gguf"
            q4km = HERE / f"tiny-{arch}-q4_k_m.gguf"
            quantize(f32, q8_cpp, C.LLAMA_FTYPE_MOSTLY_Q8_0)
            quantize(f32, q4km, C.LLAMA_FTYPE_MOSTLY_Q4_K_M)
            a, b = tensor_bytes(q8_py), tensor_bytes(q8_cpp)
            same_q8 = sorted(a) == sorted(b) and all(a[k] == b[k] for k in a)
            differing = sorted(k for k in a if k not in b or a[k] != b[k])
            prompts = prompts_for(f32)
            files = {"f32": f32, "q8_0": q8_py, "q4_k_m": q4km}
            summary["models"][arch] = {"config": tiny.MODELS[arch], "files": {}}
            for quant, path in files.items():
                record = {
                    "generator": info,
                    "arch": arch,
                    "quant": quant,
                    "file": path.name,
                    "file_sha256": sha(path),
                    "file_size": path.stat().st_size,
                    "made_by": "llama.cpp llama_model_quantize (Q4_K_M) from the F32 file" if quant == "q4_k_m"
                    else "make_tiny_models.py (gguf-py)",
                    "tensor_types": tensor_types(path),
                    "prompts": [],
                }
                if quant == "q8_0":
                    record["llama_cpp_q8_0"] = {"sha256": sha(q8_cpp), "tensor_data_identical_to_gguf_py": same_q8,
                                                "differing_tensors": differing}
                for p in prompts:
                    base = run_prompt(path, p["ids"])
                    one = run_prompt(path, p["ids"], threads=1)
                    lastonly = run_prompt(path, p["ids"], logits_all=False)
                    entry = {
                        "name": p["name"], "source": p["source"], "ids": p["ids"], "n_prompt": len(p["ids"]),
                        "last_logits": last_logits_summary(base["last"]),
                        "greedy_ids": [g["id"] for g in base["greedy"]],
                        "greedy_steps": base["greedy"],
                        "prompt_top5": base["prompt_top5"],
                        "same_with_1_thread": bool(np.array_equal(one["last"], base["last"]))
                        and [g["id"] for g in one["greedy"]] == [g["id"] for g in base["greedy"]],
                        "last_only_logits": {
                            "note": "the prompt evaluated asking llama.cpp for the last row of logits only",
                            "sha256": hashlib.sha256(np.asarray(lastonly["last"], "<f4").tobytes()).hexdigest(),
                            "max_abs_diff_vs_all_rows": exact(np.abs(lastonly["last"] - base["last"]).max()),
                            "greedy_ids": [g["id"] for g in lastonly["greedy"]],
                        },
                    }
                    if quant == "q8_0":
                        cpp = run_prompt(q8_cpp, p["ids"])
                        assert np.array_equal(cpp["last"], base["last"]), f"{arch}: llama.cpp's Q8_0 computes differently"
                    rp = run_prompt(path, p["ids"], repack=True)
                    entry["repack_on"] = {
                        "note": "llama.cpp's default (use_extra_bufts = true): weights repacked for its multi-row kernels",
                        "sha256": hashlib.sha256(np.asarray(rp["last"], "<f4").tobytes()).hexdigest(),
                        "max_abs_diff_vs_off": exact(np.abs(rp["last"] - base["last"]).max()),
                        "greedy_ids": [g["id"] for g in rp["greedy"]],
                    }
                    record["prompts"].append(entry)
                    print(f"{arch} {quant} {p['name']}: n={len(p['ids'])} greedy={entry['greedy_ids']} "
                          f"distinct={len(set(entry['greedy_ids']))} max|l|={entry['last_logits']['max_abs']:.3f} "
                          f"min margin={min(g['margin'] for g in base['greedy']):.4f} "
                          f"threads-equal={entry['same_with_1_thread']} "
                          f"repack diff={entry['repack_on']['max_abs_diff_vs_off']:.3g} "
                          f"last-only diff={entry['last_only_logits']['max_abs_diff_vs_all_rows']:.3g}", flush=True)
                    assert len(set(entry["greedy_ids"])) > 1, f"{arch} {quant} {p['name']}: degenerate greedy output"
                (HERE / f"tiny-{arch}-{quant}.json").write_text(json.dumps(record, indent=None, separators=(",", ":")) + "\n")
                summary["models"][arch]["files"][quant] = {
                    "file": path.name, "sha256": record["file_sha256"], "size": record["file_size"],
                    "tensor_type_counts": dict(sorted(Counter(record["tensor_types"].values()).items())),
                }
                if quant == "q8_0":
                    summary["models"][arch]["files"][quant]["llama_cpp_q8_0_tensor_data_identical"] = same_q8
    (HERE / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
