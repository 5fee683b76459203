#!/usr/bin/env bash
# dspyc and llama.cpp with the same GGUF LoRA adapter: greedy tokens side by side.
#   bench/lora_llama_parity.sh ADAPTER.gguf [MODEL] [PROMPT]
# ADAPTER is any llama.cpp-format LoRA adapter (one written by `LoRAAdapter.write(to:)`,
# exported by a finetune compile, or converted by llama.cpp's convert_lora_to_gguf.py); MODEL
# is a catalog name or GGUF path (default: the default model); PROMPT is raw text (special-token
# text such as <|im_start|> is read as the special token by both). Environment: TOKENS (64),
# SCALE (the adapter scale, 1), REF_PYTHON (a Python with llama-cpp-python 0.3.36; default the
# .venv-ref of bench/ref_python.sh). Both run greedily (argmax, ties to the lower id) until an
# end-of-generation token or TOKENS tokens; llama.cpp with weight repacking off (as the engine's
# fixtures: repacked Q4_K weights round differently). Exit status 0 when the prompt ids and the
# generated tokens are equal, 1 otherwise (a near tie can make long generations part).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n 2,12p "$0"; exit 2; }
adapter=$(realpath "$1")
model_arg=${2:-}
prompt=${3:-"<|im_start|>system
You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
<|im_start|>user
Write one sentence about the sea.<|im_end|>
<|im_start|>assistant
"}
tokens=${TOKENS:-64}
scale=${SCALE:-1}
source bench/ref_python.sh
dspyc=$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/dspyc
model=$("$dspyc" models path ${model_arg:+"$model_arg"} 2>/dev/null || echo "$model_arg")

ours_ids=$("$dspyc" tokenize --model "$model" "$prompt")
ours=$("$dspyc" generate --model "$model" --lora "$adapter" --lora-scale "$scale" --temperature 0 \
    --max-tokens "$tokens" --json "$prompt" | "$python" -c 'import json,sys; print(" ".join(map(str, json.load(sys.stdin)["tokens"])))')

theirs=$("$python" - "$model" "$adapter" "$scale" "$tokens" "$prompt" <<'PY' 2>/dev/null
import sys
import numpy as np
import llama_cpp.llama_cpp as C
from llama_cpp import Llama

model, adapter, scale, count, prompt = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
default = C.llama_model_default_params
def no_repack():
    params = default()
    params.use_extra_bufts = False
    return params
C.llama_model_default_params = no_repack
llm = Llama(model_path=model, lora_path=adapter, lora_scale=scale, n_ctx=2048, n_batch=512, n_ubatch=512,
            n_threads=2, flash_attn=True, verbose=False, seed=0)
ids = llm.tokenize(prompt.encode(), add_bos=True, special=True)
vocab = C.llama_model_get_vocab(llm.model)
llm.eval(ids)
out = []
for _ in range(count):
    logits = np.ctypeslib.as_array(C.llama_get_logits_ith(llm.ctx, -1), shape=(llm.n_vocab(),))
    token = int(np.argmax(logits))  # the first of equal maxima: the lower id
    if C.llama_vocab_is_eog(vocab, token):
        break
    out.append(token)
    llm.eval([token])
print(" ".join(map(str, ids)))
print(" ".join(map(str, out)))
PY
)
theirs_ids=$(sed -n 1p <<<"$theirs")
theirs=$(sed -n 2p <<<"$theirs")

echo "adapter:   $adapter (scale $scale)"
echo "model:     $model"
echo "prompt ids equal: $([ "$ours_ids" = "$theirs_ids" ] && echo yes || echo "NO (dspyc: $ours_ids; llama.cpp: $theirs_ids)")"
echo "dspyc:     $ours"
echo "llama.cpp: $theirs"
if [ "$ours_ids" = "$theirs_ids" ] && [ "$ours" = "$theirs" ]; then
    echo "greedy tokens: equal ($(wc -w <<<"$ours") tokens)"
else
    echo "greedy tokens: DIFFER"
    exit 1
fi
