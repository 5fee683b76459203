"""llama.cpp's Q4_K_M quantization in NumPy, bit for bit (used by make_tiny_models.py).

`quantize(data, type)` returns the bytes llama.cpp's reference quantizers write for a
float32 matrix (Q4_K, Q6_K, Q5_0, Q8_0), and `q4_k_m_types(tensors, n_layer)` the type
llama.cpp's `LLAMA_FTYPE_MOSTLY_Q4_K_M` picks for each tensor, in the order llama.cpp
writes them. Together they reproduce `llama_model_quantize(..., Q4_K_M)` without an
importance matrix byte for byte (checked with `make_llama_cpp_fixtures.py --check-quantizer`).

The algorithms follow llama.cpp (ggml 0.25.3, as in llama-cpp-python 0.3.36):
`ggml/src/ggml-quants.c` (`quantize_row_q4_K_ref` with `make_qkx2_quants`,
`quantize_row_q6_K_ref` with `make_qx_quants`, `quantize_row_q5_0_ref`, `nearest_int`) and
`src/llama-quant.cpp` (`llama_tensor_get_type_impl`, `tensor_type_fallback`, the tensor order
of `llama_model_loader::weights_map`). This is our own NumPy code written from reading them.

Equality needs the C code's float32 arithmetic exactly: every operation is done in
float32 in the C code's order (left to right; no fused multiply-add: ggml-base is built
without FMA), sums are sequential (a loop of float32 adds, never NumPy's pairwise `sum`),
rounding to an integer is `nearest_int`'s add-1.5*2^23 trick (ties to even), and float16
conversion rounds to nearest even (NumPy's cast, like ggml's). Work is vectorized over
all blocks of a tensor: a 256-wide model quantizes in well under a second.
"""
import numpy as np

import gguf
from gguf import GGMLQuantizationType as QT

F32 = np.float32
BLOCK_SIZE = {QT.Q4_K: 256, QT.Q6_K: 256, QT.Q5_0: 32, QT.Q8_0: 32, QT.F16: 1, QT.F32: 1}
GROUP_MAX_EPS = F32(1e-15)

# ---------------------------------------------------------------------------
# Float helpers with the C code's semantics


def nearest_int(values: np.ndarray) -> np.ndarray:
    """llama.cpp's `nearest_int`: adds 1.5*2^23 in float32 and reads the low mantissa bits (ties to even)."""
    shifted = (np.asarray(values, dtype=F32) + F32(12582912.0)).astype(F32)
    return (shifted.view(np.int32) & 0x007FFFFF) - 0x00400000


def seq_sum(terms: np.ndarray, start_at_zero: bool = True) -> np.ndarray:
    """`float s = 0; for i: s += terms[i]` along axis 0, in float32 and in order.

    With `start_at_zero` false, `float s = terms[0]; for i >= 1: s += terms[i]` (differs only in the sign of a zero).
    """
    total = (F32(0.0) + terms[0]) if start_at_zero else terms[0].copy()
    for row in terms[1:]:
        np.add(total, row, out=total)
    return total.astype(F32, copy=False)


def running_max(values: np.ndarray) -> np.ndarray:
    """`float m = 0; for i: if (v[i] > m) m = v[i]` along axis 0."""
    best = np.zeros(values.shape[1:], dtype=F32)
    for v in values:
        best = np.where(v > best, v, best)
    return best


def first_abs_max(x: np.ndarray) -> tuple:
    """(amax, max) along axis 0 as `if (amax < fabsf(v)) { amax = fabsf(v); max = v; }` from 0, 0."""
    amax = np.zeros(x.shape[1:], dtype=F32)
    vmax = np.zeros(x.shape[1:], dtype=F32)
    for v in x:
        bigger = amax < np.abs(v)
        amax = np.where(bigger, np.abs(v), amax)
        vmax = np.where(bigger, v, vmax)
    return amax, vmax


def to_f16_bits(values: np.ndarray) -> np.ndarray:
    """float32 -> IEEE half (round to nearest even) as uint16 bits, as GGML_FP32_TO_FP16."""
    return np.asarray(values, dtype=F32).astype(np.float16).view(np.uint16)


def from_f16_bits(bits: np.ndarray) -> np.ndarray:
    return bits.view(np.float16).astype(F32)


# ---------------------------------------------------------------------------
# Q4_K: 8 sub-blocks of 32 with a 6-bit scale and min each, 4-bit quants.


def _make_qkx2_quants(x: np.ndarray, w: np.ndarray, nmax: int, rmin: float, rdelta: float, nstep: int):
    """`make_qkx2_quants` (use_mad false) for each column of x, w: shape [n, rows].

    Returns (scale, the_min, L) as float32 [rows], float32 [rows], int32 [n, rows].
    """
    fn = F32(nmax)
    xmin = x.min(axis=0)
    xmax = x.max(axis=0)
    xmin = np.where(xmin > 0, F32(0.0), xmin)
    sum_w = seq_sum(w, start_at_zero=False)  # the C code starts these from the first term
    sum_x = seq_sum(w * x, start_at_zero=False)
    flat = xmax == xmin
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        span = (xmax - xmin).astype(F32)
        iscale = (fn / span).astype(F32)
        scale = (F32(1.0) / iscale).astype(F32)
        L = np.clip(nearest_int(iscale * (x - xmin)), 0, nmax)
        diff = scale * L.astype(F32) + xmin - x
        best_error = seq_sum(w * (diff * diff))
        the_min = xmin.copy()  # the C code's `min`: each step starts from the best so far
        for step in range(nstep + 1):
            factor = F32(F32(rmin) + F32(rdelta) * F32(step)) + fn
            iscale = (factor / (xmax - the_min)).astype(F32)
            laux = np.clip(nearest_int(iscale * (x - the_min)), 0, nmax)
            lf = laux.astype(F32)
            wl = w * lf
            sum_l = seq_sum(wl)
            sum_l2 = seq_sum(wl * lf)
            sum_xl = seq_sum(wl * x)
            D = sum_w * sum_l2 - sum_l * sum_l
            this_scale = (sum_w * sum_xl - sum_x * sum_l) / D
            this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D
            positive = this_min > 0
            this_min = np.where(positive, F32(0.0), this_min)
            this_scale = np.where(positive, sum_xl / sum_l2, this_scale)
            diff = this_scale * lf + this_min - x
            cur_error = seq_sum(w * (diff * diff))
            better = (D > 0) & (cur_error < best_error)
            L = np.where(better, laux, L)
            best_error = np.where(better, cur_error, best_error)
            scale = np.where(better, this_scale, scale)
            the_min = np.where(better, this_min, the_min)
    scale = np.where(flat, F32(0.0), scale).astype(F32)
    the_min = np.where(flat, xmin, the_min)
    L = np.where(flat, 0, L)
    return scale, (-the_min).astype(F32), L


def quantize_q4_k(data: np.ndarray) -> np.ndarray:
    """`quantize_row_q4_K_ref` over a float32 matrix whose rows are multiples of 256: uint8 [rows, bytes]."""
    rows = data.shape[0]
    x = np.ascontiguousarray(data, dtype=F32).reshape(-1, 8, 32)  # [blocks, sub-block, element]
    nb = x.shape[0]
    xs = x.reshape(nb * 8, 32).T  # [element, sub-block]: sums run along axis 0
    sum_x2 = seq_sum(xs * xs)
    av_x = np.sqrt(sum_x2 / F32(32.0)).astype(F32)
    weights = av_x + np.abs(xs)
    scales, mins, L = _make_qkx2_quants(xs, weights, 15, -1.0, 0.1, 20)
    scales = scales.reshape(nb, 8).T  # [sub-block, block]
    mins = mins.reshape(nb, 8).T
    L = L.T.reshape(nb, 8, 32)
    max_scale = running_max(scales)
    max_min = running_max(mins)
    with np.errstate(divide="ignore"):
        inv_scale = np.where(max_scale > 0, F32(63.0) / max_scale, F32(0.0)).astype(F32)
        inv_min = np.where(max_min > 0, F32(63.0) / max_min, F32(0.0)).astype(F32)
    ls = np.minimum(nearest_int(inv_scale * scales) & 0xFF, 63)  # [sub-block, block], uint8 then MIN(63, .)
    lm = np.minimum(nearest_int(inv_min * mins) & 0xFF, 63)
    packed = np.zeros((12, nb), dtype=np.int64)
    packed[0:4] = ls[0:4] | ((ls[4:8] >> 4) << 6)
    packed[4:8] = lm[0:4] | ((lm[4:8] >> 4) << 6)
    packed[8:12] = (ls[4:8] & 0xF) | ((lm[4:8] & 0xF) << 4)
    d = to_f16_bits(max_scale / F32(63.0))
    dmin = to_f16_bits(max_min / F32(63.0))
    sub_d = (from_f16_bits(d) * ls.astype(F32)).T[:, :, None]  # [block, sub-block, 1]
    sub_m = (from_f16_bits(dmin) * lm.astype(F32)).T[:, :, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        requant = np.clip(nearest_int((x + sub_m) / sub_d), 0, 15)
    L = np.where(sub_d != 0, requant, L).reshape(nb, 4, 2, 32)  # a zero sub-scale keeps make_qkx2's L
    qs = (L[:, :, 0, :] | (L[:, :, 1, :] << 4)).reshape(nb, 128)
    out = np.empty((nb, 144), dtype=np.uint8)
    out[:, 0:2] = d.view(np.uint8).reshape(nb, 2)
    out[:, 2:4] = dmin.view(np.uint8).reshape(nb, 2)
    out[:, 4:16] = packed.T.astype(np.uint8)
    out[:, 16:144] = qs.astype(np.uint8)
    return out.reshape(rows, -1)


# ---------------------------------------------------------------------------
# Q6_K: 16 sub-blocks of 16 with an 8-bit signed scale each, 6-bit quants.


def _make_qx_quants_rmse1(x: np.ndarray, nmax: int):
    """`make_qx_quants(n, nmax, x, L, rmse_type = 1, NULL)` for each column of x [n, rows]: (scale, L)."""
    amax, vmax = first_abs_max(x)
    zero = amax < GROUP_MAX_EPS
    w = x * x
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        iscale = (F32(-nmax) / vmax).astype(F32)
        lv = np.clip(nearest_int(iscale * x), -nmax, nmax - 1)
        lf = lv.astype(F32)
        sumlx = seq_sum(w * x * lf)
        suml2 = seq_sum(w * lf * lf)
        scale = np.where(suml2 != 0, sumlx / suml2, F32(0.0)).astype(F32)
        best = scale * sumlx
        L = lv + nmax
        for step in range(-9, 10):
            if step == 0:
                continue
            iscale = (-(F32(nmax) + F32(0.1) * F32(step)) / vmax).astype(F32)
            lv = np.clip(nearest_int(iscale * x), -nmax, nmax - 1)
            lf = lv.astype(F32)
            sumlx = seq_sum(w * x * lf)
            suml2 = seq_sum(w * lf * lf)
            better = (suml2 > 0) & (sumlx * sumlx > best * suml2)
            L = np.where(better, lv + nmax, L)
            scale = np.where(better, sumlx / suml2, scale)
            best = np.where(better, scale * sumlx, best)
    return np.where(zero, F32(0.0), scale).astype(F32), np.where(zero, 0, L)


def quantize_q6_k(data: np.ndarray) -> np.ndarray:
    """`quantize_row_q6_K_ref` over a float32 matrix whose rows are multiples of 256: uint8 [rows, bytes]."""
    rows = data.shape[0]
    x = np.ascontiguousarray(data, dtype=F32).reshape(-1, 16, 16)
    nb = x.shape[0]
    xs = x.reshape(nb * 16, 16).T
    scales, L = _make_qx_quants_rmse1(xs, 32)
    scales = scales.reshape(nb, 16).T  # [sub-block, block]
    L = L.T.reshape(nb, 16, 16)
    max_abs, max_scale = first_abs_max(scales)
    zero = max_abs < GROUP_MAX_EPS
    with np.errstate(divide="ignore", invalid="ignore"):
        iscale = (F32(-128.0) / max_scale).astype(F32)
        d = to_f16_bits(F32(1.0) / iscale)
        q_scales = np.minimum(127, nearest_int(iscale * scales))  # [sub-block, block], stored as int8
        sub_d = (from_f16_bits(d) * q_scales.astype(np.int8).astype(F32)).T[:, :, None]
        requant = np.clip(nearest_int(x / sub_d), -32, 31) + 32
    L = np.where(sub_d != 0, requant, L).reshape(nb, 2, 4, 32)  # [block, half, quarter, element]
    ql = (L[:, :, 0:2, :] & 0xF) | ((L[:, :, 2:4, :] & 0xF) << 4)
    qh = (L[:, :, 0] >> 4) | ((L[:, :, 1] >> 4) << 2) | ((L[:, :, 2] >> 4) << 4) | ((L[:, :, 3] >> 4) << 6)
    out = np.empty((nb, 210), dtype=np.uint8)
    out[:, 0:128] = ql.reshape(nb, 128).astype(np.uint8)
    out[:, 128:192] = qh.reshape(nb, 64).astype(np.uint8)
    out[:, 192:208] = q_scales.T.astype(np.int8).view(np.uint8)
    out[:, 208:210] = d.view(np.uint8).reshape(nb, 2)
    out[zero] = 0  # an all-zero block is written as zeros with d = +0
    return out.reshape(rows, -1)


# ---------------------------------------------------------------------------
# Q5_0 and Q8_0: blocks of 32.


def quantize_q5_0(data: np.ndarray) -> np.ndarray:
    """`quantize_row_q5_0_ref` over a float32 matrix whose rows are multiples of 32: uint8 [rows, bytes]."""
    rows = data.shape[0]
    x = np.ascontiguousarray(data, dtype=F32).reshape(-1, 32)
    nb = x.shape[0]
    _, vmax = first_abs_max(x.T)
    d = (vmax / F32(-16.0)).astype(F32)
    with np.errstate(divide="ignore"):
        inv = np.where(d != 0, F32(1.0) / d, F32(0.0)).astype(F32)
    q = np.minimum(31, np.trunc(x * inv[:, None] + F32(16.5)).astype(np.int64))  # (int8_t) truncates
    lo, hi = q[:, :16], q[:, 16:]
    qs = (lo & 0xF) | ((hi & 0xF) << 4)
    bits = np.concatenate([(lo >> 4) & 1, (hi >> 4) & 1], axis=1).astype(np.uint64)
    qh = (bits << np.arange(32, dtype=np.uint64)).sum(axis=1).astype("<u4")  # integer sum: exact
    out = np.empty((nb, 22), dtype=np.uint8)
    out[:, 0:2] = to_f16_bits(d).view(np.uint8).reshape(nb, 2)
    out[:, 2:6] = qh.view(np.uint8).reshape(nb, 4)
    out[:, 6:22] = qs.astype(np.uint8)
    return out.reshape(rows, -1)


def quantize(data: np.ndarray, qtype: QT) -> np.ndarray:
    """The bytes of llama.cpp's reference quantizer for `qtype` (no importance matrix), uint8 [rows, bytes]."""
    if qtype == QT.Q4_K:
        return quantize_q4_k(data)
    if qtype == QT.Q6_K:
        return quantize_q6_k(data)
    if qtype == QT.Q5_0:
        return quantize_q5_0(data)
    if qtype == QT.Q8_0:
        return gguf.quants.quantize(data, QT.Q8_0)  # gguf-py's Q8_0 is llama.cpp's quantize_row_q8_0_ref
    raise ValueError(f"no quantizer for {qtype.name}")


# ---------------------------------------------------------------------------
# The Q4_K_M mix (llama.cpp's llama_tensor_get_type for LLAMA_FTYPE_MOSTLY_Q4_K_M, no imatrix,
# dense models: no experts, not Falcon, not 70B).


def loader_order(names: list) -> list:
    """Tensor names in llama.cpp's loader order (`weight_name_comparer`): tensors outside blocks by
    name, then block by block (numerically), each block's tensors by name. The quantizer writes this order."""
    def key(name: str):
        layer = -1
        if name.startswith("blk."):
            digits = name[4:].split(".", 1)[0]
            if digits.isdigit():
                layer = int(digits)
        return (layer, name.encode())
    return sorted(names, key=key)


def _allows_quantization(name: str, ndim: int) -> bool:
    """llama.cpp's tensor_allows_quantization for the tensor names a dense text model has."""
    return ndim >= 2 and name.endswith("weight") and "_norm.weight" not in name and "ffn_gate_inp.weight" not in name


def _use_more_bits(i_layer: int, n_layers: int) -> bool:
    return i_layer < n_layers // 8 or i_layer >= 7 * n_layers // 8 or (i_layer - n_layers // 8) % 3 == 2


def q4_k_m_types(tensors: list, n_layer: int) -> list:
    """(name, float32 array [ne1, ne0], GGML type) in the order llama.cpp's Q4_K_M quantizer writes them.

    `tensors` are (name, array) pairs; `n_layer` is the model's block count.
    """
    by_name = dict(tensors)
    names = loader_order(list(by_name))
    tied = "output.weight" not in by_name
    n_attn_v = sum(1 for n in names if "attn_v.weight" in n or "attn_qkv.weight" in n or "attn_kv_b.weight" in n)
    i_attn_v = i_ffn_down = 0
    out = []
    for name in names:
        data = by_name[name]
        if not _allows_quantization(name, data.ndim):
            out.append((name, data, QT.F32))
            continue
        ne0 = data.shape[-1]
        qtype = QT.Q4_K
        if name == "output.weight" or (tied and name == "token_embd.weight"):
            qtype = QT.Q8_0 if ne0 % BLOCK_SIZE[QT.Q4_K] else QT.Q6_K
        elif name == "token_embd.weight":
            pass
        elif "attn_qkv.weight" in name or "attn_kv_b.weight" in name or "attn_v.weight" in name:
            if _use_more_bits(i_attn_v, n_attn_v):
                qtype = QT.Q6_K
            i_attn_v += 1
        elif "attn_k.weight" in name or "attn_q.weight" in name or "attn_output.weight" in name:
            pass
        elif "ffn_up" in name or "ffn_gate" in name:
            pass
        elif "ffn_down" in name:
            if _use_more_bits(i_ffn_down, n_layer):
                qtype = QT.Q6_K
            i_ffn_down += 1
        if ne0 % BLOCK_SIZE[qtype]:  # tensor_type_fallback
            qtype = {QT.Q4_K: QT.Q5_0, QT.Q6_K: QT.Q8_0}.get(qtype, qtype)
            if ne0 % BLOCK_SIZE[qtype]:
                raise ValueError(f"{name}: ne0 {ne0} needs llama.cpp's F16 fallback, which is not implemented")
        out.append((name, data, qtype))
    return out
