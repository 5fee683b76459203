#!/usr/bin/env python3
"""Records what llama.cpp computes on the tiny models: the oracle for the engine's tests.

Run by developers, not in CI (it needs llama.cpp):

    python3 -m pip install 'llama-cpp-python==0.3.36' 'gguf==0.19.0' numpy
    python3 make_llama_cpp_fixtures.py                     # writes beside this file
    python3 make_llama_cpp_fixtures.py --check-quantizer   # only step 2 below, writes nothing

For each architecture in make_tiny_models.py this
1. writes the F32, gguf-py Q8_0 and NumPy Q4_K_M models (make_tiny_models.py) to a
   temporary folder;
2. quantizes the F32 model with llama.cpp's own quantizer (`llama_model_quantize`) to
   Q8_0 and Q4_K_M, compares llama.cpp's Q8_0 tensor by tensor with gguf-py's, and asserts
   llama.cpp's Q4_K_M file has the SHA-256 of make_tiny_models.py's (on a difference it
   names the differing tensors); `--check-quantizer` does only this, and also compares
   llama_cpp_quants.py's Q4_K, Q6_K and Q5_0 with llama.cpp's reference quantizers
   (`quantize_row_*_ref` in libggml-base) on random and edge-case blocks;
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


def differing_tensors(a: Path, b: Path) -> list:
    """Names of tensors whose type or bytes differ (or that only one file has), and a note if the headers differ."""
    x, y = tensor_bytes(a), tensor_bytes(b)
    names = sorted(set(x) | set(y))
    out = [n for n in names if x.get(n) != y.get(n)]
    ra, rb = gguf.GGUFReader(str(a)), gguf.GGUFReader(str(b))
    if [t.name for t in ra.tensors] != [t.name for t in rb.tensors]:
        out.append("(tensor order)")
    if a.read_bytes()[: ra.data_offset] != b.read_bytes()[: rb.data_offset]:
        out.append("(header: keys, tensor infos or padding)")
    return out


def check_q4_k_m(arch: str, tmp: Path) -> tuple:
    """(SHA-256 of make_tiny_models.py's Q4_K_M file, of llama.cpp's, differing tensors) for one model in `tmp`."""
    ours = tmp / f"tiny-{arch}-q4_k_m.gguf"
    theirs = tmp / f"tiny-{arch}-q4_k_m-llama-cpp.gguf"
    quantize(tmp / f"tiny-{arch}-f32.gguf", theirs, C.LLAMA_FTYPE_MOSTLY_Q4_K_M)
    a, b = sha(ours), sha(theirs)
    return a, b, ([] if a == b else differing_tensors(ours, theirs))


def check_reference_quantizers() -> list:
    """llama_cpp_quants.py against llama.cpp's quantize_row_{q4_K,q6_K,q5_0}_ref on random and edge-case rows.

    Returns the failures as text (empty when every block is byte-identical).
    """
    import llama_cpp_quants as q
    from gguf import GGMLQuantizationType as QT

    libs = sorted((Path(llama_cpp.__file__).parent / "lib").glob("libggml-base.*"))
    lib = ctypes.CDLL(str(libs[0]))
    rng = np.random.default_rng(20261207)
    n = 256 * 64
    cases = {
        "normal": rng.standard_normal(n),
        "offset": rng.standard_normal(n) * 1e-3 + 0.5,
        "positive": np.abs(rng.standard_normal(n)),
        "negative": -np.abs(rng.standard_normal(n)),
        "every third zero": np.where(np.arange(n) % 3 == 0, 0.0, rng.standard_normal(n)),
        "two nonzeros": np.where(np.isin(np.arange(n), [5, 300]), np.where(np.arange(n) == 5, 1.0, -2.0), 0.0),
        "quarters": np.round(rng.standard_normal(n) * 4) / 4,
        "scales 1e-8..1e3": rng.standard_normal(n) * np.repeat(10.0 ** rng.uniform(-8, 3, n // 16), 16),
        "cauchy": rng.standard_cauchy(n),
        "constant": np.where(np.arange(n) < 32, 0.0, -3.0),
        "tiny block": np.where((np.arange(n) >= 1024) & (np.arange(n) < 2048), 1e-20, rng.standard_normal(n)),
    }
    failures = []
    for label, values in cases.items():
        rows = values.astype(np.float32).reshape(-1, 256)
        for qtype, symbol, block, size in ((QT.Q4_K, "quantize_row_q4_K_ref", 256, 144),
                                           (QT.Q6_K, "quantize_row_q6_K_ref", 256, 210),
                                           (QT.Q5_0, "quantize_row_q5_0_ref", 32, 22)):
            flat = np.ascontiguousarray(rows).ravel()
            expected = np.zeros(flat.size // block * size, np.uint8)
            getattr(lib, symbol)(flat.ctypes.data_as(ctypes.c_void_p), expected.ctypes.data_as(ctypes.c_void_p),
                                 ctypes.c_int64(flat.size))
            got = q.quantize(rows, qtype).ravel()
            bad = np.flatnonzero((got.reshape(-1, size) != expected.reshape(-1, size)).any(axis=1))
            if len(bad):
                failures.append(f"{qtype.name} on {label}: {len(bad)} of {flat.size // block} blocks differ (first {bad[:5].tolist()})")
    return failures


def check_quantizer() -> int:
    """--check-quantizer: make_tiny_models.py's Q4_K_M files against llama.cpp's quantizer, and the block quantizers."""
    ok = True
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        subprocess.run([sys.executable, str(HERE / "make_tiny_models.py"), str(tmp)], check=True, stdout=subprocess.DEVNULL)
        for arch in tiny.MODELS:
            ours, theirs, differing = check_q4_k_m(arch, tmp)
            ok &= ours == theirs
            print(f"tiny-{arch}-q4_k_m.gguf  make_tiny_models.py {ours}  llama.cpp {theirs}  "
                  + ("identical" if ours == theirs else f"DIFFERENT: {', '.join(differing)}"), flush=True)
    failures = check_reference_quantizers()
    for line in failures:
        print(line)
    print(f"block quantizers against libggml-base: {'all identical' if not failures else f'{len(failures)} failures'}")
    return 0 if ok and not failures else 1


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
            q4km = tmp / f"tiny-{arch}-q4_k_m.gguf"
            quantize(f32, q8_cpp, C.LLAMA_FTYPE_MOSTLY_Q8_0)
            ours, theirs, differing = check_q4_k_m(arch, tmp)
            assert ours == theirs, f"{arch}: make_tiny_models.py's Q4_K_M differs from llama.cpp's in {differing}"
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
                    "made_by": "make_tiny_models.py (llama_cpp_quants.py), byte-identical to llama.cpp's "
                    "llama_model_quantize (Q4_K_M) of the F32 file" if quant == "q4_k_m"
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
    sys.exit(check_quantizer() if sys.argv[1:] == ["--check-quantizer"] else main())
