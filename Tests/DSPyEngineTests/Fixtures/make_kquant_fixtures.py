"""Records llama.cpp's own matrix products for every weight type the engine supports.

The oracle is ggml itself, the copy llama-cpp-python ships (libggml-base.so, libggml-cpu.so), called
through ctypes: weights are quantized with ggml_quantize_chunk from seeded random floats, activations
are converted with the CPU backend's from_float of each type's vec_dot_type (Q8_0, Q8_1, Q8_K, F16,
BF16), and products are computed by a one-node ggml graph, ggml_mul_mat, on the CPU backend, exactly
the operation llama.cpp runs for a weight matrix. So each product took the path llama.cpp takes for
that shape: vec_dot for one token; llamafile's tinyBLAS for two or more tokens (F32, F16, BF16,
Q4_0, Q5_0, Q8_0); for K-quants with eight or more tokens the "tiled" matmul unless
GGML_CPU_TILED_MM=0. Plain CPU buffers are used, so weights are never repacked (llama.cpp repacks
Q4_0 and Q4_K matrices with a multiple of 8 rows on AVX2 unless the model is loaded without extra
buffer types).

Products are computed twice, in two processes: with GGML_CPU_TILED_MM=0 (`products`: vec_dot and
tinyBLAS only) and as llama.cpp ships (`products_tiled`, kept only where it differs: K-quants with
eight or more tokens). Every product is also computed with 1 and 2 threads and must agree.

    /work/venv-ref/bin/python make_kquant_fixtures.py > kquant_fixtures.json

Floats and bytes are stored as hex: floats as 8-digit little-endian bit patterns, byte arrays as one
hex string. Results depend on the CPU's SIMD level; `cpu` records llama.cpp's system info.
"""
import ctypes, json, os, pathlib, subprocess, sys

import numpy as np
import llama_cpp

LIB = pathlib.Path(llama_cpp.__file__).parent / "lib"
base = ctypes.CDLL(str(LIB / "libggml-base.so"), mode=ctypes.RTLD_GLOBAL)
cpu = ctypes.CDLL(str(LIB / "libggml-cpu.so"), mode=ctypes.RTLD_GLOBAL)

TYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q5_0": 6, "Q5_1": 7, "Q8_0": 8, "Q8_1": 9,
         "Q4_K": 12, "Q5_K": 13, "Q6_K": 14, "Q8_K": 15, "BF16": 30}
WEIGHT_TYPES = ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"]
# (rows, cols) per case: quantized types one shape; float types also shapes whose columns are not
# a multiple of 32 (vec_dot's leftover loop) or of 8, and whose rows are not a multiple of 4 (no tinyBLAS).
SHAPES = {t: [(8, 512)] for t in WEIGHT_TYPES}
for t in ["F32", "F16", "BF16"]:
    SHAPES[t] = [(8, 256), (8, 40), (8, 47), (6, 64)]
TOKEN_COUNTS = [1, 3, 9]
COLS = 512
NAMES = {v: k for k, v in TYPES.items()}
TOKENS = 9


class InitParams(ctypes.Structure):
    _fields_ = [("mem_size", ctypes.c_size_t), ("mem_buffer", ctypes.c_void_p), ("no_alloc", ctypes.c_bool)]


class TraitsCPU(ctypes.Structure):
    _fields_ = [("from_float", ctypes.c_void_p), ("vec_dot", ctypes.c_void_p), ("vec_dot_type", ctypes.c_int),
                ("nrows", ctypes.c_int64)]


FROM_FLOAT = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)
vp, i64 = ctypes.c_void_p, ctypes.c_int64
base.ggml_init.restype = vp
base.ggml_init.argtypes = [InitParams]
base.ggml_free.argtypes = [vp]
base.ggml_new_tensor_2d.restype = vp
base.ggml_new_tensor_2d.argtypes = [vp, ctypes.c_int, i64, i64]
base.ggml_mul_mat.restype = vp
base.ggml_mul_mat.argtypes = [vp, vp, vp]
base.ggml_new_graph.restype = vp
base.ggml_new_graph.argtypes = [vp]
base.ggml_build_forward_expand.argtypes = [vp, vp]
base.ggml_get_data.restype = vp
base.ggml_get_data.argtypes = [vp]
base.ggml_row_size.restype = ctypes.c_size_t
base.ggml_row_size.argtypes = [ctypes.c_int, i64]
base.ggml_quantize_chunk.restype = ctypes.c_size_t
base.ggml_quantize_chunk.argtypes = [ctypes.c_int, vp, vp, i64, i64, i64, vp]
base.ggml_fp32_to_bf16_row.argtypes = [vp, vp, i64]
cpu.ggml_graph_compute_with_ctx.restype = ctypes.c_int
cpu.ggml_graph_compute_with_ctx.argtypes = [vp, vp, ctypes.c_int]
cpu.ggml_get_type_traits_cpu.restype = ctypes.POINTER(TraitsCPU)
cpu.ggml_get_type_traits_cpu.argtypes = [ctypes.c_int]
cpu.ggml_cpu_init()


def hex_floats(a):
    return [f"{v:08x}" for v in np.asarray(a, dtype="<f4").view("<u4").tolist()]


def weights_for(name, rows, cols, rng):
    """Seeded weights in `name`'s encoding, as llama.cpp's quantizer makes them."""
    w = (rng.standard_normal((rows, cols)) * 0.05).astype(np.float32)
    w[rng.random((rows, cols)) < 0.01] *= 8  # a few outliers, as real weights have
    if name == "F32":
        return w.tobytes()
    if name == "F16":
        return w.astype(np.float16).tobytes()
    out = ctypes.create_string_buffer(base.ggml_row_size(TYPES[name], cols) * rows)
    if name == "BF16":
        base.ggml_fp32_to_bf16_row(w.ctypes.data, out, rows * cols)
    else:
        base.ggml_quantize_chunk(TYPES[name], w.ctypes.data, out, 0, rows, cols, None)
    return out.raw


def activations(cols, rng):
    """Nine tokens: scaled normals, one with exact rounding ties for Q8_K, one with an all-zero block."""
    x = np.empty((TOKENS, cols), dtype=np.float32)
    for t in range(7):
        x[t] = rng.standard_normal(cols) * (0.5 + t)
    x[7] = (np.arange(cols) % 254) - 126.5  # iscale = -1 with the 127 below: every value a tie
    x[7][0] = 127
    x[8] = rng.standard_normal(cols)
    x[8][: min(256, cols)] = 0
    return x


def convert(vec_type, x):
    """One token converted by the CPU backend to `vec_type` (from_float), as mul_mat does."""
    n = x.shape[0]
    out = ctypes.create_string_buffer(base.ggml_row_size(vec_type, n))
    FROM_FLOAT(cpu.ggml_get_type_traits_cpu(vec_type).contents.from_float)(x.ctypes.data, out, n)
    return out.raw


def mul_mat(type_id, weights, rows, cols, x, threads):
    ctx = base.ggml_init(InitParams(64 * 1024 * 1024, None, False))
    a = base.ggml_new_tensor_2d(ctx, type_id, cols, rows)
    ctypes.memmove(base.ggml_get_data(a), weights, len(weights))
    b = base.ggml_new_tensor_2d(ctx, 0, cols, x.shape[0])
    xc = np.ascontiguousarray(x, dtype=np.float32)
    ctypes.memmove(base.ggml_get_data(b), xc.ctypes.data, xc.nbytes)
    c = base.ggml_mul_mat(ctx, a, b)
    graph = base.ggml_new_graph(ctx)
    base.ggml_build_forward_expand(graph, c)
    assert cpu.ggml_graph_compute_with_ctx(ctx, graph, threads) == 0
    out = np.ctypeslib.as_array(ctypes.cast(base.ggml_get_data(c), ctypes.POINTER(ctypes.c_float)),
                                shape=(x.shape[0] * rows,)).copy()
    base.ggml_free(ctx)
    return out


def cases():
    """The activations (every case uses their first `cols` columns), each activation type's
    conversion of them, and every case's weights and products, in this process's mode."""
    rng = np.random.default_rng(20250515)
    x = activations(COLS, rng)
    result = []
    for name in WEIGHT_TYPES:
        for rows, cols in SHAPES[name]:
            w = weights_for(name, rows, cols, rng)
            products = {}
            for n in TOKEN_COUNTS:
                part = np.ascontiguousarray(x[:n, :cols])
                one, two = mul_mat(TYPES[name], w, rows, cols, part, 1), mul_mat(TYPES[name], w, rows, cols, part, 2)
                assert one.view("<u4").tolist() == two.view("<u4").tolist(), f"{name} {n}: thread counts differ"
                products[str(n)] = hex_floats(one)
            vec_type = cpu.ggml_get_type_traits_cpu(TYPES[name]).contents.vec_dot_type
            result.append({"type": name, "rows": rows, "cols": cols, "weights": w.hex(),
                           "activation_type": NAMES[vec_type], "products": products})
    converted = {NAMES[t]: [convert(t, row).hex() for row in x] for t in (1, 8, 9, 15, 30)}
    return {"activations": [hex_floats(row) for row in x], "converted": converted, "cases": result}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--mode-only":
        json.dump(cases(), sys.stdout)
        sys.exit(0)
    env = dict(os.environ, GGML_CPU_TILED_MM="0")
    out = json.loads(subprocess.run([sys.executable, __file__, "--mode-only"], env=env, check=True,
                                    capture_output=True, text=True).stdout)
    default = cases()
    assert default["converted"] == out["converted"]
    for case, d in zip(out["cases"], default["cases"]):
        assert case["weights"] == d["weights"]
        tiled = {n: p for n, p in d["products"].items() if p != case["products"][n]}
        if tiled:
            case["products_tiled"] = tiled
    out = {"llama_cpp_python": llama_cpp.__version__, "cpu": llama_cpp.llama_print_system_info().decode().strip(),
           "token_counts": TOKEN_COUNTS, **out}
    json.dump(out, sys.stdout, separators=(",", ":"))
    print()
