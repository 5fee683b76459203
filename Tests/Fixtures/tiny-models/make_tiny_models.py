#!/usr/bin/env python3
"""Writes tiny random-weight GGUF models, one per architecture the engine runs.

    python3 -m pip install gguf==0.19.0 numpy
    python3 make_tiny_models.py OUT_DIR [ARCH ...]

For each of llama (Llama 3 style), qwen2, qwen3, gemma3 and phi3 this writes
`OUT_DIR/tiny-ARCH-f32.gguf` (every tensor F32), `OUT_DIR/tiny-ARCH-q8_0.gguf`
(the same model with every 2-D weight quantized to Q8_0 by gguf-py, which is
bit-exact with llama.cpp's reference Q8_0 quantizer; norms and rope factors stay
F32, as llama.cpp's own quantizer leaves them) and `OUT_DIR/tiny-ARCH-q4_k_m.gguf`
(byte for byte the file llama.cpp's quantizer makes from the F32 file with
LLAMA_FTYPE_MOSTLY_Q4_K_M: llama_cpp_quants.py beside this file reimplements its
Q4_K, Q6_K and Q5_0 quantizers and type choices in NumPy). It prints each file's
size and SHA-256. The bytes are the same on every machine and run: the weights
come from a counter-based SplitMix64 turned into floats with integer arithmetic
and one correctly rounded multiply (no libm, no NumPy random streams), the
quantizers do the C code's float32 operations in its order, and the GGUF writer
emits keys and tensors in the order given here. It takes a few seconds.

`TINY_MODELS_CONTEXT_LENGTH=N` (default 256) writes a longer context length (and,
for phi3, sliding window) for tests that need long prompts, such as DSPy's
ChatAdapter prompts; the weights are the same, the files' hashes are not those of
`summary.json`, and llama.cpp's fixtures are for the default.

Shapes follow the real families at a small scale (see README.md beside this
file): width 256 so that K-quants apply (128 for gemma3, whose 270M model is
also K-quant-incompatible in its input width), grouped-query attention, a
GPT-2 byte-level BPE vocabulary (llama, qwen2, qwen3) or a SentencePiece
vocabulary with byte fallback (gemma3, phi3), and each family's chat template.
"""
import functools
import hashlib
import math
import os
import re
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as QT
from gguf import TokenType

sys.path.insert(0, str(Path(__file__).resolve().parent))
import llama_cpp_quants  # noqa: E402  (beside this file)

# ---------------------------------------------------------------------------
# Deterministic weights

_MASK64 = (1 << 64) - 1


def _seed_for(model: str, tensor: str) -> int:
    """A 64-bit seed from the model and tensor names (stable across runs and machines)."""
    return int.from_bytes(hashlib.sha256(f"{model}/{tensor}".encode()).digest()[:8], "little")


def _splitmix64(seed: int, count: int) -> np.ndarray:
    """The first `count` outputs of SplitMix64 seeded with `seed`, as uint64."""
    gamma = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + (np.arange(1, count + 1, dtype=np.uint64) * gamma)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return z


# Four 16-bit uniforms summed (Irwin-Hall): bell-shaped, bounded, exact in integers.
_IH_CENTER = 2 * 65535
_IH_STD = math.sqrt(4 * (65536.0 * 65536.0 - 1.0) / 12.0)


def normalish(model: str, tensor: str, shape: tuple, std: float, mean: float = 0.0) -> np.ndarray:
    """Float32 values with the given mean and standard deviation, bell-shaped, in NumPy shape `shape`."""
    n = int(np.prod(shape))
    z = _splitmix64(_seed_for(model, tensor), n)
    m = np.uint64(0xFFFF)
    s = ((z & m) + ((z >> np.uint64(16)) & m) + ((z >> np.uint64(32)) & m) + (z >> np.uint64(48))).astype(np.int64)
    centered = (s - _IH_CENTER).astype(np.float64)  # exact integers
    values = centered * (std / _IH_STD)  # one correctly rounded multiply
    if mean != 0.0:
        values = values + mean  # one correctly rounded add
    return values.astype(np.float32).reshape(shape)


# ---------------------------------------------------------------------------
# Tokenizers

TRAINING_TEXT = """\
The quick brown fox jumps over the lazy dog. The capital of France is Paris, and the capital of
Japan is Tokyo. What is the capital of Italy? Rome is the capital of Italy. Hello world! Hello there.
You are a helpful assistant. Answer the question in one word. The answer is yes; the answer is no.
Your input fields are: `question` (str). Your output fields are: `answer` (str).
[[ ## question ## ]] [[ ## answer ## ]] [[ ## completed ## ]] [[ ## reasoning ## ]]
Respond with the corresponding output fields, starting with the field, and then ending with the marker.
In adhering to this structure, your objective is: Given the fields, produce the fields.
The sentiment of this text is positive. The sentiment of that text is negative. It was a good day.
This is a test of the tokenizer and the model. Numbers: 1 2 3 10 20 100 2024 3.14 42.
def main(): return 0  # code in the corpus: if x == 1: print("one") else: print("other")
She said that they would not go there, but he went anyway; then they all went home together.
"""


def bytes_to_unicode() -> dict:
    """GPT-2's reversible map from the 256 byte values to printable Unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def train_merges(words: list, count: int) -> list:
    """Byte-pair merges learned greedily from `words` (lists of symbols); ties go to the smaller pair."""
    from collections import Counter

    vocab = Counter(tuple(w) for w in words)
    merges = []
    for _ in range(count):
        pairs = Counter()
        for word, freq in vocab.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += freq
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        merged = Counter()
        for word, freq in vocab.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += freq
        vocab = merged
    return merges


def bpe_vocab(specials: list, size: int) -> dict:
    """A GPT-2 byte-level BPE vocabulary of exactly `size` tokens: 256 bytes, merges, then `specials` (control)."""
    b2u = bytes_to_unicode()
    pieces = re.findall(r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+", TRAINING_TEXT)
    words = [[b2u[b] for b in p.encode("utf-8")] for p in pieces]
    tokens = [b2u[b] for b in range(256)]
    merges = []
    for a, b in train_merges(words, size - 256 - len(specials)):
        merges.append(f"{a} {b}")
        if a + b not in tokens:
            tokens.append(a + b)
    assert len(tokens) + len(specials) <= size, "too many merges"
    types = [TokenType.NORMAL] * len(tokens)
    filler = 0
    while len(tokens) + len(specials) < size:  # pad with reserved control tokens
        specials = specials + [f"<|reserved_special_token_{filler}|>"]
        filler += 1
    tokens += specials
    types += [TokenType.CONTROL] * len(specials)
    assert len(set(tokens)) == len(tokens) == size
    return {"model": "gpt2", "tokens": tokens, "types": types, "merges": merges}


def spm_vocab(head: list, tail: list, size: int) -> dict:
    """A SentencePiece (BPE-type) vocabulary of exactly `size` pieces with byte fallback.

    `head` and `tail` are (text, TokenType) pairs placed before the 256 `<0xXX>` byte
    pieces and after the learned pieces. Learned pieces (words split at spaces, a
    space becoming a leading '▁') score -index as sentencepiece writes them.
    """
    text = TRAINING_TEXT.replace("\n", " ")
    words = [list("▁" + w) for w in text.split(" ") if w]
    chars = sorted(set("▁" + "".join(chr(c) for c in range(0x21, 0x7F)) + "".join("".join(w) for w in words)))
    n_pieces = size - len(head) - 256 - len(tail)
    merged = []
    for a, b in train_merges(words, n_pieces):
        if a + b not in merged and a + b not in chars:
            merged.append(a + b)
    learned = merged[: n_pieces - len(chars)] + chars
    assert len(learned) == n_pieces, f"need {n_pieces} pieces, learned {len(learned)}"
    tokens, types, scores = [], [], []
    for t, ty in head:
        tokens.append(t); types.append(ty); scores.append(-1000.0 if ty != TokenType.UNKNOWN else 0.0)
    for b in range(256):
        tokens.append(f"<0x{b:02X}>"); types.append(TokenType.BYTE); scores.append(0.0)
    for i, t in enumerate(learned):
        tokens.append(t); types.append(TokenType.NORMAL); scores.append(float(-i))
    for t, ty in tail:
        tokens.append(t); types.append(ty); scores.append(-1000.0)
    assert len(set(tokens)) == len(tokens) == size
    return {"model": "llama", "tokens": tokens, "types": types, "scores": scores}


# ---------------------------------------------------------------------------
# Chat templates (text-only forms of each family's Jinja template)

LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)
QWEN2_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if loop.first and message['role'] != 'system' %}"
    "{{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}"
    "{%- endif %}"
    "{{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %}"
)
QWEN3_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\n\n</think>\n\n' }}{%- endif %}"
    "{%- endif %}"
)
GEMMA3_TEMPLATE = (
    "{{ bos_token }}"
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}{%- set first_user_prefix = \"\" -%}{%- set loop_messages = messages -%}{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}"
    "{{ raise_exception(\"Conversation roles must alternate user/assistant/user/assistant/...\") }}{%- endif -%}"
    "{%- if (message['role'] == 'assistant') -%}{%- set role = \"model\" -%}{%- else -%}{%- set role = message['role'] -%}{%- endif -%}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else \"\") }}"
    "{{ message['content'] | trim }}{{ '<end_of_turn>\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{'<start_of_turn>model\n'}}{%- endif -%}"
)
PHI3_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}"
    "{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}"
    "{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"
)

# ---------------------------------------------------------------------------
# Model definitions

LLAMA3_SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                   "<|eom_id|>", "<|eot_id|>", "<|python_tag|>", "<|finetune_right_pad_id|>"]
QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]

MODELS = {
    # Llama 3.x: rope_freqs (llama3 rope scaling), untied output, llama-bpe.
    "llama": dict(n_embd=256, n_layer=2, n_head=4, n_head_kv=2, head_dim=64, n_ff=512, n_vocab=512,
                  rope_base=500000.0, eps=1e-5, tied=False, rope_freqs=True, tokenizer="llama3",
                  emb_std=0.02, out_std=3.0, qk_gain=2.0),
    # Qwen 2.5: Q/K/V biases, NEOX RoPE, tied embeddings (as the 0.5B-3B models), qwen2 pre-tokenizer.
    "qwen2": dict(n_embd=256, n_layer=2, n_head=4, n_head_kv=2, head_dim=64, n_ff=512, n_vocab=512,
                  rope_base=1000000.0, eps=1e-6, tied=True, qkv_bias=True, tokenizer="qwen2",
                  emb_std=0.02, out_norm=6.0, qk_gain=2.0),
    # Qwen 3: per-head Q/K RMS norms, no biases, untied output (as the 8B+ models).
    "qwen3": dict(n_embd=256, n_layer=2, n_head=4, n_head_kv=2, head_dim=64, n_ff=512, n_vocab=512,
                  rope_base=1000000.0, eps=1e-6, tied=False, qk_norm=True, tokenizer="qwen3",
                  emb_std=0.02, out_std=3.0, qk_gain=2.0),
    # Gemma 3 (text): width 128 (not a multiple of 256, like 270M's 640), key_length 64 != 128/4,
    # 6 layers so layer 5 is global, sliding window 8, SPM vocabulary, tied embeddings.
    "gemma3": dict(n_embd=128, n_layer=6, n_head=4, n_head_kv=1, head_dim=64, n_ff=256, n_vocab=512,
                   rope_base=1000000.0, rope_base_swa=10000.0, eps=1e-6, tied=True, sliding_window=8,
                   tokenizer="gemma", emb_std=0.03, out_norm=8.0, post_norm=2.0, qk_gain=2.0),
    # Phi-3.5-mini style: fused QKV, fused gate|up, partial rotary (n_rot 48 of 64, as Phi-4-mini),
    # longrope factors with original context 4096, Llama 2 SPM vocabulary, untied output.
    "phi3": dict(n_embd=256, n_layer=2, n_head=4, n_head_kv=2, head_dim=64, n_ff=512, n_vocab=512,
                 n_rot=48, rope_base=10000.0, eps=1e-5, tied=False, tokenizer="phi3",
                 emb_std=0.02, out_std=3.0, qk_gain=2.0),
}
CONTEXT_LENGTH = int(os.environ.get("TINY_MODELS_CONTEXT_LENGTH", "256"))
# Weight scales. Embeddings are small (std 0.02-0.03, as trained models have), so the
# residual stream is carried by the blocks (linear weights have std 1/sqrt(fan_in)) and
# decoding depends on the context instead of echoing the current token. Logits have a
# standard deviation near 3: an untied output has std out_std/sqrt(n_embd); a tied one
# gets its spread from a final norm weight near out_norm (trained models' final norms are
# also well above 1). Gemma's post-attention/post-FFN norms near post_norm make the blocks
# outweigh the sqrt(n_embd)-scaled embedding. Q and K weights (or Q/K norm weights) are
# qk_gain times larger, so attention scores have a spread near 4 as in trained models:
# with diffuse attention (gain 1) greedy decoding of a random model falls into one-token
# loops within 16 tokens on some prompts. Other norms are near 1, biases have std 0.1.


@functools.lru_cache(maxsize=None)
def tokenizer_for(kind: str, n_vocab: int) -> dict:
    """The vocabulary, special ids, flags and chat template of one family (computed once; do not modify it)."""
    if kind == "llama3":
        v = bpe_vocab(LLAMA3_SPECIALS, n_vocab)
        ids = {t: i for i, t in enumerate(v["tokens"])}
        v.update(pre="llama-bpe", bos=ids["<|begin_of_text|>"], eos=ids["<|eot_id|>"], add_bos=True,
                 template=LLAMA3_TEMPLATE)
    elif kind in ("qwen2", "qwen3"):
        v = bpe_vocab(QWEN_SPECIALS, n_vocab)
        ids = {t: i for i, t in enumerate(v["tokens"])}
        v.update(pre="qwen2", bos=ids["<|endoftext|>"], eos=ids["<|im_end|>"], pad=ids["<|endoftext|>"],
                 add_bos=False, template=QWEN2_TEMPLATE if kind == "qwen2" else QWEN3_TEMPLATE)
    elif kind == "gemma":
        head = [("<pad>", TokenType.CONTROL), ("<eos>", TokenType.CONTROL), ("<bos>", TokenType.CONTROL),
                ("<unk>", TokenType.CONTROL), ("<mask>", TokenType.CONTROL), ("[multimodal]", TokenType.USER_DEFINED),
                ("<start_of_turn>", TokenType.CONTROL), ("<end_of_turn>", TokenType.CONTROL),
                ("\n", TokenType.USER_DEFINED), ("\n\n", TokenType.USER_DEFINED), ("\n\n\n", TokenType.USER_DEFINED),
                ("  ", TokenType.USER_DEFINED), ("   ", TokenType.USER_DEFINED), ("    ", TokenType.USER_DEFINED),
                ("<table>", TokenType.USER_DEFINED), ("</table>", TokenType.USER_DEFINED)]
        v = spm_vocab(head, [], n_vocab)
        v.update(pre="default", bos=2, eos=1, unk=3, pad=0, add_bos=True, add_eos=False, add_space_prefix=False,
                 template=GEMMA3_TEMPLATE)
    elif kind == "phi3":
        head = [("<unk>", TokenType.UNKNOWN), ("<s>", TokenType.CONTROL), ("</s>", TokenType.CONTROL)]
        tail = [("<|endoftext|>", TokenType.CONTROL), ("<|assistant|>", TokenType.CONTROL),
                ("<|placeholder1|>", TokenType.CONTROL), ("<|placeholder2|>", TokenType.CONTROL),
                ("<|system|>", TokenType.CONTROL), ("<|end|>", TokenType.CONTROL), ("<|user|>", TokenType.CONTROL)]
        v = spm_vocab(head, tail, n_vocab)
        ids = {t: i for i, t in enumerate(v["tokens"])}
        v.update(pre=None, bos=1, eos=ids["<|endoftext|>"], unk=0, pad=ids["<|endoftext|>"], add_bos=False,
                 add_eos=False, template=PHI3_TEMPLATE)
    else:
        raise ValueError(kind)
    return v


def llama3_rope_freqs(head_dim: int, base: float) -> np.ndarray:
    """Llama 3.1's rope_freqs (factor 8, low 1, high 4, original context 8192), as llama.cpp's converter computes it."""
    factor, low, high, old_ctx = 8.0, 1.0, 4.0, 8192
    low_wl, high_wl = old_ctx / low, old_ctx / high
    out = []
    for i in range(0, head_dim, 2):
        freq = 1.0 / (base ** (i / head_dim))
        wavelen = 2 * math.pi / freq
        if wavelen < high_wl:
            out.append(1.0)
        elif wavelen > low_wl:
            out.append(factor)
        else:
            smooth = (old_ctx / wavelen - low) / (high - low)
            out.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def tensors_for(arch: str, c: dict) -> list:
    """(name, float32 array in NumPy order [rows=ne1, cols=ne0]) for every tensor, in file order."""
    E, H, KV, hd, F, V = c["n_embd"], c["n_head"], c["n_head_kv"], c["head_dim"], c["n_ff"], c["n_vocab"]
    q_dim, kv_dim = H * hd, KV * hd
    g = c.get("qk_gain", 1.0)
    w = lambda name, rows, cols, std=None: (name, normalish(arch, name, (rows, cols), std or 1.0 / math.sqrt(cols)))
    norm = lambda name, n, mean=1.0: (name, normalish(arch, name, (n,), 0.1 * mean, mean))
    bias = lambda name, n: (name, normalish(arch, name, (n,), 0.1))
    out = [w("token_embd.weight", V, E, c["emb_std"])]
    if c.get("rope_freqs"):
        out.append(("rope_freqs.weight", llama3_rope_freqs(hd, c["rope_base"])))
    if arch == "phi3":
        n_half = c["n_rot"] // 2
        short = 1.0 + np.arange(n_half, dtype=np.float32) / np.float32(n_half)  # 1 ... ~2, like Phi-3.5's short factors
        out.append(("rope_factors_long.weight", (short * np.float32(4.0)).astype(np.float32)))
        out.append(("rope_factors_short.weight", short.astype(np.float32)))
    for il in range(c["n_layer"]):
        p = f"blk.{il}."
        out.append(norm(p + "attn_norm.weight", E))
        if arch == "phi3":
            parts = [w(p + "attn_qkv.weight/q", q_dim, E, g / math.sqrt(E)), w(p + "attn_qkv.weight/k", kv_dim, E, g / math.sqrt(E)),
                     w(p + "attn_qkv.weight/v", kv_dim, E)]
            out.append((p + "attn_qkv.weight", np.concatenate([part for _, part in parts], axis=0)))
        else:
            out.append(w(p + "attn_q.weight", q_dim, E, g / math.sqrt(E)))
            out.append(w(p + "attn_k.weight", kv_dim, E, g / math.sqrt(E)))
            out.append(w(p + "attn_v.weight", kv_dim, E))
            if c.get("qkv_bias"):
                out += [bias(p + "attn_q.bias", q_dim), bias(p + "attn_k.bias", kv_dim), bias(p + "attn_v.bias", kv_dim)]
        if arch in ("qwen3", "gemma3"):
            out += [norm(p + "attn_q_norm.weight", hd, g), norm(p + "attn_k_norm.weight", hd, g)]
        out.append(w(p + "attn_output.weight", E, q_dim))
        if arch == "gemma3":
            out.append(norm(p + "post_attention_norm.weight", E, c["post_norm"]))
        out.append(norm(p + "ffn_norm.weight", E))
        if arch == "phi3":
            out.append(w(p + "ffn_up.weight", 2 * F, E))
        else:
            out.append(w(p + "ffn_gate.weight", F, E))
            out.append(w(p + "ffn_up.weight", F, E))
        out.append(w(p + "ffn_down.weight", E, F))
        if arch == "gemma3":
            out.append(norm(p + "post_ffw_norm.weight", E, c["post_norm"]))
    out.append(norm("output_norm.weight", E, c.get("out_norm", 1.0)))
    if not c["tied"]:
        out.append(w("output.weight", V, E, c["out_std"] / math.sqrt(E)))
    return out


QUANTS = ("f32", "q8_0", "q4_k_m")


def write_model(arch: str, path: Path, quant: str) -> None:
    """Writes one model in `quant` (one of QUANTS).

    f32: every tensor F32. q8_0: every 2-D weight Q8_0 (norms and rope factors stay F32).
    q4_k_m: the bytes llama.cpp's `llama_model_quantize(f32 file, LLAMA_FTYPE_MOSTLY_Q4_K_M)`
    writes (llama_cpp_quants.py): its per-tensor types and order, and its key order, which
    copies the F32 file's keys, then adds `general.quantization_version` and moves
    `general.file_type` to the end.
    """
    c = MODELS[arch]
    tok = tokenizer_for(c["tokenizer"], c["n_vocab"])
    wr = gguf.GGUFWriter(path, arch)
    wr.add_type("model")
    wr.add_name(f"tiny-{arch}")
    if quant == "f32":
        wr.add_file_type(gguf.LlamaFileType.ALL_F32)
    elif quant == "q8_0":
        wr.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    wr.add_context_length(CONTEXT_LENGTH)
    wr.add_embedding_length(c["n_embd"])
    wr.add_block_count(c["n_layer"])
    wr.add_feed_forward_length(c["n_ff"])
    wr.add_head_count(c["n_head"])
    wr.add_head_count_kv(c["n_head_kv"])
    wr.add_layer_norm_rms_eps(c["eps"])
    wr.add_key_length(c["head_dim"])
    wr.add_value_length(c["head_dim"])
    wr.add_rope_freq_base(c["rope_base"])
    if arch == "llama":
        wr.add_vocab_size(c["n_vocab"])
        wr.add_rope_dimension_count(c["head_dim"])
    if arch == "gemma3":
        wr.add_sliding_window(c["sliding_window"])
        wr.add_float32(f"{arch}.rope.freq_base_swa", c["rope_base_swa"])  # gguf 0.17 has no helper for this key
    if arch == "phi3":
        wr.add_rope_dimension_count(c["n_rot"])
        # longrope's mscale sqrt(1 + ln(s)/ln(L)) for s = 32, L = 4096: sqrt(1 + 5/12), without libm's log.
        wr.add_rope_scaling_attn_factors(math.sqrt(17.0 / 12.0))
        wr.add_rope_scaling_orig_ctx_len(4096)
        wr.add_sliding_window(CONTEXT_LENGTH)
    wr.add_tokenizer_model(tok["model"])
    if tok.get("pre"):
        wr.add_tokenizer_pre(tok["pre"])
    wr.add_token_list(tok["tokens"])
    if "scores" in tok:
        wr.add_token_scores(tok["scores"])
    wr.add_token_types(tok["types"])
    if "merges" in tok:
        wr.add_token_merges(tok["merges"])
    wr.add_bos_token_id(tok["bos"])
    wr.add_eos_token_id(tok["eos"])
    if "unk" in tok:
        wr.add_unk_token_id(tok["unk"])
    if "pad" in tok:
        wr.add_pad_token_id(tok["pad"])
    wr.add_add_bos_token(tok["add_bos"])
    if "add_eos" in tok:
        wr.add_add_eos_token(tok["add_eos"])
    if "add_space_prefix" in tok:
        wr.add_add_space_prefix(tok["add_space_prefix"])
    wr.add_chat_template(tok["template"])
    if quant == "q8_0":
        wr.add_quantization_version(gguf.GGML_QUANT_VERSION)
    if quant == "q4_k_m":
        wr.add_quantization_version(gguf.GGML_QUANT_VERSION)
        wr.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_K_M)
        for name, data, qtype in llama_cpp_quants.q4_k_m_types(tensors_for(arch, c), c["n_layer"]):
            if qtype == QT.F32:
                wr.add_tensor(name, data)
            else:
                wr.add_tensor(name, llama_cpp_quants.quantize(data, qtype), raw_dtype=qtype)
    else:
        for name, data in tensors_for(arch, c):
            if quant == "q8_0" and data.ndim == 2:
                wr.add_tensor(name, gguf.quants.quantize(data, QT.Q8_0), raw_dtype=QT.Q8_0)
            else:
                wr.add_tensor(name, data)
    wr.write_header_to_file()
    wr.write_kv_data_to_file()
    wr.write_tensors_to_file()
    wr.close()


def main(argv: list) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = Path(argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    archs = argv[2:] or list(MODELS)
    for arch in archs:
        if arch not in MODELS:
            print(f"unknown architecture {arch!r} (known: {', '.join(MODELS)})", file=sys.stderr)
            return 2
        for quant in QUANTS:
            path = out_dir / f"tiny-{arch}-{quant}.gguf"
            write_model(arch, path, quant)
            data = path.read_bytes()
            print(f"{path.name}\t{len(data)}\t{hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
