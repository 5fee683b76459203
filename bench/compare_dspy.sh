#!/usr/bin/env bash
# dspyc against DSPy 3.4.1 + llama.cpp's server, end to end, on one program's data:
# zero-shot evaluation, BootstrapFewShot (4 bootstrapped + 4 labeled demos) on train and
# evaluation on dev, for both, one after the other on the same GGUF. dspyc runs from a
# fresh DSPYC_HOME (no LM cache); DSPy runs with its cache off. Prints each side's JSON
# and one summary line with the wall-time ratio.
#   bench/compare_dspy.sh sentiment            # dataset sentiment-tweets, all of dev
#   REF_PYTHON=/path/to/python bench/compare_dspy.sh country-region --labeled
# Arguments after the name go to bench/dspy_reference.py (--labeled, --max-errors N).
# Without REF_PYTHON, a virtual environment .venv-ref gets dspy==3.4.1 and
# llama-cpp-python[server]==0.3.36 from PyPI (llama.cpp compiles for a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
program=$1
case $program in
    sentiment) dataset=sentiment-tweets ;;
    *) dataset=$program ;;
esac
source bench/ref_python.sh
dspyc=$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/dspyc
model=$("$dspyc" models path)
dev=$(grep -c . "../shared/data/$dataset/dev.jsonl")

home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
ln -s "$(dirname "$model")" "$home/models"
DSPYC_HOME=$home "$dspyc" compile "$program" --optimizer bootstrap --json 2>/dev/null > "$home/dspyc.json"
"$python" bench/dspy_reference.py --dataset "$dataset" --model "$model" --dev "$dev" --parallel 8 "${@:2}" > "$home/dspy.json"
cat "$home/dspyc.json" "$home/dspy.json"
python3 - "$home/dspyc.json" "$home/dspy.json" <<'PY'
import json, sys
ours, theirs = (json.load(open(path)) for path in sys.argv[1:])
dspy_wall = theirs["zero_shot"]["seconds"] + theirs["compile"]["seconds"] + theirs["bootstrap"]["seconds"]
print(json.dumps({
    "program": ours["program"],
    "dspyc": {"zero_shot": ours["baseline"]["score"], "compiled": ours["compiled"]["score"],
              "distribution": ours["compiled"]["distribution"], "wall_seconds": round(ours["wallSeconds"], 1)},
    "dspy": {"zero_shot": theirs["zero_shot"]["score"], "compiled": theirs["bootstrap"]["score"],
             "distribution": theirs["bootstrap"]["distribution"], "wall_seconds": round(dspy_wall, 1)},
    "speedup": round(dspy_wall / ours["wallSeconds"], 1)}))
PY
