#!/usr/bin/env python3
"""Deterministic random LoRA adapters for the tiny models and SmolLM2-135M, and what llama.cpp
computes with them: the oracle for the engine's adapter tests.

Two modes:

    # tests (needs only gguf and numpy): write the adapter of each model file given
    # (--rank R: that rank instead of the fixtures', e.g. for `dspyc bench --lora`)
    python3 make_lora_fixtures.py write OUT_DIR [--rank R] MODEL.gguf...

    # developers (needs llama-cpp-python 0.3.36): regenerate the tiny models, write the
    # adapters, run llama.cpp with and without them, and write lora-fixtures.json here
    /work/venv-ref/bin/python make_lora_fixtures.py [--smollm2 PATH]

Each adapter depends only on the base model's file name (its stem picks the configuration
below) and its tensor shapes: values come from make_tiny_models.normalish (a SplitMix64
counter per tensor, no NumPy random streams), so the bytes are the same on every machine and
the tests regenerate the very files llama.cpp ran on (the JSON records their SHA-256).
Adapters are written as llama.cpp's converter writes them: general.type "adapter",
general.architecture, adapter.type "lora", adapter.lora.alpha (FLOAT32), and for each base
matrix W ([inputs, outputs] in ggml order) `W.lora_a` [inputs, rank] and `W.lora_b`
[rank, outputs], F32.

llama.cpp settings are those of the tiny-model fixtures (flash attention, n_ctx 256, n_batch
512, 2 threads, F16 KV cache, weight repacking off); greedy = argmax, ties to the lower id,
16 tokens, end-of-generation not special, one llama_decode per token.
"""
import hashlib
import importlib.metadata
import json
import sys
from pathlib import Path

import numpy as np
import gguf

HERE = Path(__file__).resolve().parent
TINY = HERE.parent / "tiny-models"
sys.path.insert(0, str(TINY))
import make_tiny_models as tiny  # noqa: E402

ALL = ["attn_q", "attn_k", "attn_v", "attn_qkv", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]

# Adapter per base model (by file stem): rank, alpha, targeted matrices, and B's scale c
# (A has std 1/sqrt(inputs), B std c/sqrt(rank), so scale * B A x is roughly
# scale * c times the size of W x for the tiny models' weights).
CONFIGS = {
    "tiny-llama-f32": {"rank": 8, "alpha": 16.0, "targets": ALL, "c": 0.25},
    "tiny-qwen2-f32": {"rank": 4, "alpha": 0.0, "targets": ["attn_q", "attn_v"], "c": 0.5},
    "tiny-qwen3-f32": {"rank": 8, "alpha": 8.0, "targets": ALL, "c": 0.5},
    "tiny-gemma3-f32": {"rank": 8, "alpha": 16.0, "targets": ALL, "c": 0.25},
    "tiny-phi3-f32": {"rank": 8, "alpha": 16.0, "targets": ALL, "c": 0.25},
    "SmolLM2-135M-Instruct.Q4_1": {"rank": 8, "alpha": 16.0, "targets": ALL, "c": 0.3},
}
# Runs: (model stem, llama.cpp lora scale).
RUNS = [("tiny-llama-f32", 1.0), ("tiny-llama-f32", 0.5), ("tiny-qwen2-f32", 1.0), ("tiny-qwen3-f32", 1.0),
        ("tiny-gemma3-f32", 1.0), ("tiny-phi3-f32", 1.0)]
N_CTX = 256
N_BATCH = 512
THREADS = 2
N_GREEDY = 16
SMOL_QUESTION = "What is the capital of France? Answer in one sentence."


def adapter_path(out_dir: Path, model: Path) -> Path:
    return out_dir / f"{model.stem}.lora.gguf"


def write_adapter(model: Path, out: Path) -> dict:
    """Writes the adapter for `model` to `out`; returns its configuration and SHA-256."""
    stem = model.stem
    config = CONFIGS[stem]
    reader = gguf.GGUFReader(str(model))
    arch = bytes(reader.fields["general.architecture"].parts[-1]).decode()
    writer = gguf.GGUFWriter(str(out), arch)
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", config["alpha"])
    rank = config["rank"]
    names = []
    for tensor in reader.tensors:
        parts = tensor.name.split(".")
        if len(parts) != 4 or parts[0] != "blk" or parts[3] != "weight" or parts[2] not in config["targets"]:
            continue
        n_in, n_out = int(tensor.shape[0]), int(tensor.shape[1])
        names.append(tensor.name)
        a = tiny.normalish(f"lora/{stem}", tensor.name + ".lora_a", (rank, n_in), 1.0 / np.sqrt(n_in))
        b = tiny.normalish(f"lora/{stem}", tensor.name + ".lora_b", (n_out, rank), config["c"] / np.sqrt(rank))
        writer.add_tensor(tensor.name + ".lora_a", a)  # NumPy (rank, n_in) = ggml ne [n_in, rank]
        writer.add_tensor(tensor.name + ".lora_b", b)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {"rank": rank, "alpha": config["alpha"], "targets": config["targets"], "tensors": len(names),
            "sha256": hashlib.sha256(out.read_bytes()).hexdigest(), "bytes": out.stat().st_size}


def write_main(argv: list) -> int:
    if "--rank" in argv:  # another rank for every model (e.g. 32 for `dspyc bench --lora`)
        at = argv.index("--rank")
        rank = int(argv[at + 1])
        del argv[at:at + 2]
        for config in CONFIGS.values():
            config["rank"] = rank
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    for model in map(Path, argv[1:]):
        info = write_adapter(model, adapter_path(out_dir, model))
        print(f"{adapter_path(out_dir, model).name} {info['bytes']} {info['sha256']}")
    return 0


# ---------------------------------------------------------------------------
# llama.cpp (developers only)

def exact(x) -> float:
    return float(np.float32(x))


def top(logits: np.ndarray, k: int) -> list:
    order = sorted(range(len(logits)), key=lambda i: (-float(logits[i]), i))[:k]
    return [[int(i), exact(logits[i])] for i in order]


def run(model: Path, ids: list, lora: Path | None, scale: float, all_values: bool) -> dict:
    import llama_cpp.llama_cpp as C
    from llama_cpp import Llama

    llm = Llama(model_path=str(model), n_ctx=N_CTX if all_values else 1024, n_batch=N_BATCH, n_ubatch=N_BATCH,
                n_threads=THREADS, n_threads_batch=THREADS, flash_attn=True, verbose=False, seed=0,
                lora_path=str(lora) if lora else None, lora_scale=scale)
    n_vocab = llm.n_vocab()

    def last() -> np.ndarray:
        return np.ctypeslib.as_array(C.llama_get_logits_ith(llm.ctx, -1), shape=(n_vocab,)).astype(np.float32).copy()

    llm.eval(ids)
    first = last()
    cur = first
    steps = []
    for _ in range(N_GREEDY):
        order = top(cur, 5)
        steps.append({"id": order[0][0], "top5": order, "margin": exact(np.float32(order[0][1]) - np.float32(order[1][1]))})
        llm.eval([order[0][0]])
        cur = last()
    l32 = np.asarray(first, dtype="<f4")
    logits = {"sha256": hashlib.sha256(l32.tobytes()).hexdigest(), "top20": top(l32, 20),
              "max_abs": exact(np.abs(l32).max()), "mean_abs": exact(np.abs(l32).mean())}
    if all_values:
        logits["values"] = [exact(v) for v in l32]
    llm.close()
    return {"greedy_ids": [s["id"] for s in steps], "greedy_steps": steps, "last_logits": logits}


def fixtures_main(argv: list) -> int:
    import llama_cpp
    import llama_cpp.llama_cpp as C
    import tempfile

    _default = C.llama_model_default_params

    def no_repack():
        params = _default()
        params.use_extra_bufts = False
        return params

    C.llama_model_default_params = no_repack

    smol = Path.home() / ".cache/dspyc/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    if "--smollm2" in argv:
        smol = Path(argv[argv.index("--smollm2") + 1])
    tmp = Path(tempfile.mkdtemp(prefix="lora-fixtures-"))
    models_dir = tmp / "models"
    models_dir.mkdir()
    for arch in sorted({stem.split("-")[1] for stem, _ in RUNS}):
        tiny.write_model(arch, models_dir / f"tiny-{arch}-f32.gguf", "f32")
    cases = []
    for stem, scale in RUNS + [("SmolLM2-135M-Instruct.Q4_1", 1.0)]:
        model = smol if stem.startswith("SmolLM2") else models_dir / f"{stem}.gguf"
        adapter = adapter_path(tmp, model)
        info = write_adapter(model, adapter)
        if stem.startswith("SmolLM2"):
            from llama_cpp import Llama
            probe = Llama(model_path=str(model), verbose=False, vocab_only=True)
            text = ("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                    f"<|im_start|>user\n{SMOL_QUESTION}<|im_end|>\n<|im_start|>assistant\n")
            prompts = [{"name": "capital_chat", "text": text,
                        "ids": probe.tokenize(text.encode(), add_bos=False, special=True)}]
            probe.close()
        else:
            oracle = json.loads((TINY / f"{stem}.json").read_text())
            prompts = [{"name": p["name"], "ids": p["ids"]} for p in oracle["prompts"] if p["name"] != "id_spread"]
        all_values = not stem.startswith("SmolLM2")
        for prompt in prompts:
            base = run(model, prompt["ids"], None, 1.0, all_values)
            with_adapter = run(model, prompt["ids"], adapter, scale, all_values)
            assert base["greedy_ids"] != with_adapter["greedy_ids"], f"{stem} {prompt['name']}: the adapter changes nothing"
            prompt["base_greedy_ids"] = base["greedy_ids"]
            prompt.update(with_adapter)
            print(f"{stem} x{scale} {prompt['name']}: base {base['greedy_ids']} adapter {with_adapter['greedy_ids']}",
                  file=sys.stderr)
        cases.append({"model": model.name, "adapter": adapter.name, "adapter_info": info, "lora_scale": scale,
                      "model_sha256": hashlib.sha256(model.read_bytes()).hexdigest() if all_values else None,
                      "prompts": prompts})
    out = {
        "generator": {"llama_cpp_python": llama_cpp.__version__, "gguf": importlib.metadata.version("gguf"),
                      "numpy": np.__version__,
                      "settings": {"flash_attn": True, "n_ctx": N_CTX, "n_ctx_smollm2": 1024, "n_batch": N_BATCH,
                                   "threads": THREADS, "kv_cache": "f16/f16", "use_extra_bufts": False,
                                   "greedy_tokens": N_GREEDY}},
        "cases": cases,
    }
    (HERE / "lora-fixtures.json").write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "write":
        sys.exit(write_main(sys.argv[2:]))
    sys.exit(fixtures_main(sys.argv[1:]))
