#!/usr/bin/env bash
# dspyc compiling through OpenAICompatibleLM against llama.cpp's server (llama-cpp-python's
# `llama_cpp.server`) on the same GGUF the embedded engine runs: ChatAdapter calls constrained
# by a GBNF grammar (--structured-output gbnf), choices scored from the server's top log-probs
# (--choice-logprobs) so the compile's calibration applies remotely. Compiles `sentiment`
# (its default optimizer), scores the test split, prints both beside the embedded engine's
# figures (README: dev 66.5 %, test 61.3 % for smollm2-135m-instruct).
#   bench/interop_llama_server.sh                 # uses $REF_PYTHON or .venv-ref
#   EMBEDDED=1 bench/interop_llama_server.sh      # also compiles with the embedded engine in this run
#   DEV=40 TEST_LIMIT=60 bench/interop_llama_server.sh   # a quicker run on the first examples
#   TRAIN=24 DEV=30 TEST_LIMIT=40 EMBEDDED=1 bench/interop_llama_server.sh
#       # sentiment as an ad-hoc program (its signature and instructions, without the output
#       # field's description) on the first 24
#       # training examples: about 130 calls, ~20 min against llama-cpp-python here
# Needs llama-cpp-python[server]==0.3.36 (bench/ref_python.sh makes the venv). Measure on an
# otherwise idle machine: the server and the client share the cores. Slow: llama-cpp-python
# computes top log-probs in Python (about 2.5 s a request on 2 cores), so the whole program
# (about 850 calls) takes over half an hour.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/ref_python.sh
port=${PORT:-8011}
logprobs=${CHOICE_LOGPROBS:-10}
program=${PROGRAM:-sentiment}
dspyc=$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/dspyc
model=$("$dspyc" models path)
test_split=programs/$program/data/test.jsonl

home=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$home"; }
trap cleanup EXIT
ln -s "$(dirname "$model")" "$home/models"

name=smollm2-135m-instruct
"$python" -m llama_cpp.server --model "$model" --model_alias "$name" --host 127.0.0.1 --port "$port" --n_ctx 4096 \
    --chat_format chatml --logits_all true --n_threads "$(nproc)" >"$home/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$home/server.log"; exit 1; }
    sleep 0.2
done

target=("$program") settings=()
if [ -n "${TRAIN:-}" ]; then
    [ "$program" = sentiment ] || { echo "TRAIN needs PROGRAM=sentiment" >&2; exit 1; }
    head -n "$TRAIN" "programs/$program/data/train.jsonl" >"$home/train.jsonl"
    target=(--signature "text -> sentiment: Literal['positive', 'negative']"
            --instructions "Classify the sentiment of a short text." --trainset "$home/train.jsonl"
            --devset "programs/$program/data/dev.jsonl")
    settings=(--set max_bootstrapped_demos=4 --set max_labeled_demos=4)
fi

remote=(--endpoint "http://127.0.0.1:$port/v1" --model "$name" --structured-output gbnf --choice-logprobs "$logprobs")
start=$(date +%s)
limits=() test_limits=()
[ -n "${DEV:-}" ] && limits=(--dev "$DEV")
[ -n "${TEST_LIMIT:-}" ] && test_limits=(--limit "$TEST_LIMIT")
DSPYC_HOME=$home "$dspyc" compile "${target[@]}" "${settings[@]}" "${remote[@]}" "${limits[@]}" --json >"$home/remote-compile.json"
DSPYC_HOME=$home "$dspyc" eval "${target[@]}" "${remote[@]}" --data "$test_split" "${test_limits[@]}" --json >"$home/remote-test.json"
remote_seconds=$(( $(date +%s) - start ))
kill "$server"; wait "$server" 2>/dev/null || true; server=

embedded_compile=null embedded_test=null
if [ "${EMBEDDED:-0}" = 1 ]; then
    DSPYC_HOME=$home "$dspyc" compile "${target[@]}" "${settings[@]}" "${limits[@]}" --json >"$home/embedded-compile.json"
    DSPYC_HOME=$home "$dspyc" eval "${target[@]}" --data "$test_split" "${test_limits[@]}" --json >"$home/embedded-test.json"
    embedded_compile=$home/embedded-compile.json embedded_test=$home/embedded-test.json
fi

python3 - "$home/remote-compile.json" "$home/remote-test.json" "$embedded_compile" "$embedded_test" "$remote_seconds" <<'PY'
import json, sys
compile_, test, e_compile, e_test, seconds = sys.argv[1:]
remote, remote_test = json.load(open(compile_)), json.load(open(test))
if e_compile != "null":
    e, et = json.load(open(e_compile)), json.load(open(e_test))
    embedded = {"dev": e["compiled"]["score"], "test": et["score"], "source": "this run"}
else:
    embedded = {"dev": 66.5, "test": 61.3, "source": "README (smollm2-135m-instruct)"}
print(json.dumps(remote, indent=1))
print(f"model: {remote['model']}")
print(f"notes: {remote.get('notes')}")
print(f"llama.cpp server (gbnf + log-prob choices): baseline dev {remote['baseline']['score']:.1f} %, "
      f"compiled dev {remote['compiled']['score']:.1f} % ({remote['compiled']['errors']} errors), "
      f"test {remote_test['score']:.1f} % ({remote_test['errors']} errors); {remote['lmCalls']} LM calls, "
      f"compile + test {seconds} s")
print(f"embedded engine ({embedded['source']}): dev {embedded['dev']:.1f} %, test {embedded['test']:.1f} %")
PY
