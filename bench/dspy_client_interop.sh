#!/usr/bin/env bash
# Python DSPy 3.4.1 as the client of three OpenAI-compatible servers on the same GGUF:
# llama.cpp's server (llama-cpp-python), `dspyc serve`, and `dspyc serve --dspy-structured`.
# For each: zero-shot evaluation on dev, BootstrapFewShot (4 + 4 demos) on train, and the
# compiled program on dev, with DSPy's ChatAdapter; prints each run's JSON and a table of
# dev scores and format failures (replies DSPy's ChatAdapter cannot parse).
#   bench/dspy_client_interop.sh                 # sentiment, all 200 dev examples
#   bench/dspy_client_interop.sh country-region --dev 50
# REF_PYTHON names a Python with dspy==3.4.1 and llama-cpp-python[server]==0.3.36 (see
# bench/ref_python.sh for the setup it makes when unset).
set -euo pipefail
cd "$(dirname "$0")/.."
program=${1:-sentiment}
case $program in
    sentiment) dataset=sentiment-tweets ;;
    *) dataset=$program ;;
esac
source bench/ref_python.sh
dspyc=$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/dspyc
model=$("$dspyc" models path)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() {
    local label=$1; shift
    echo "== $label" >&2
    "$python" bench/dspy_reference.py --dataset "$dataset" --model "$model" --dspyc "$dspyc" "$@" \
        "${extra[@]}" > "$out/$label.json"
    cat "$out/$label.json"
}
extra=("${@:2}")
run llama-cpp --server llama
run dspyc-serve --server dspyc
run dspyc-serve-structured --server dspyc --serve-arg=--dspy-structured
python3 - "$out" <<'PY'
import json, os, sys
folder = sys.argv[1]
print(f"{'server':<26} {'zero-shot dev':>13} {'fmt fail':>8} {'bootstrap dev':>13} {'fmt fail':>8} {'demos':>5} {'wall s':>7}")
for label in ("llama-cpp", "dspyc-serve", "dspyc-serve-structured"):
    r = json.load(open(os.path.join(folder, label + ".json")))
    z, b = r["zero_shot"], r.get("bootstrap", {})
    wall = z["seconds"] + r["compile"]["seconds"] + b.get("seconds", 0)
    print(f"{label:<26} {z['score']:>13} {z['format_failures']:>8} {b.get('score', '-'):>13} "
          f"{b.get('format_failures', '-'):>8} {len(r['compile'].get('demo_labels', [])):>5} {wall:>7.1f}")
PY
