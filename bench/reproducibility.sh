#!/usr/bin/env bash
# Compiles a program three times — cold cache, warm cache (--force: every LM call replayed
# from the cache), and cold with --concurrency 1 — and checks that the summaries, the
# exported programs and every logged completion (with its choice scores) are identical.
#
#   bench/reproducibility.sh [PROGRAM]        (default: sentiment; a few minutes each)
set -euo pipefail
cd "$(dirname "$0")/.."
program=${1:-sentiment}
dspyc="$(swift build -c release --show-bin-path)/dspyc"
model="$("$dspyc" models path)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

compile() { # HOME LABEL ARGS...
    local home=$work/$1 label=$2; shift 2
    mkdir -p "$home/models" && ln -sf "$model" "$home/models/"
    DSPYC_HOME=$home "$dspyc" compile "$program" --json "$@" > "$work/$label.json"
    DSPYC_HOME=$home "$dspyc" export "$program" > "$work/$label.export.json"
    DSPYC_HOME=$home "$dspyc" inspect --jsonl --run "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["runID"])' "$work/$label.json")" \
        > "$work/$label.calls.jsonl"
}
compile a cold
compile a warm --force
compile b concurrency1 --concurrency 1

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
labels = ["cold", "warm", "concurrency1"]
summary = {l: json.load(open(f"{work}/{l}.json")) for l in labels}
same = ["baseline", "compiled", "demos", "notes", "fingerprint", "lmCalls"]
ok = True
for key in same:
    values = {json.dumps(summary[l].get(key), sort_keys=True) for l in labels}
    ok &= len(values) == 1
    print(f"{'same' if len(values) == 1 else 'DIFFERENT'}: {key}")
exports = {open(f"{work}/{l}.export.json").read() for l in labels}
ok &= len(exports) == 1
print(f"{'same' if len(exports) == 1 else 'DIFFERENT'}: exported program")
def calls(label):
    result = {}
    for line in open(f"{work}/{label}.calls.jsonl"):
        a = json.loads(line)["attributes"]
        result[a["dspyc.cache_key"]] = (a.get("gen_ai.output.messages"), a.get("dspyc.constraint"))
    return result
reference = calls("cold")
for label in labels[1:]:
    other = calls(label)
    equal = sum(1 for k, v in reference.items() if other.get(k) == v)
    ok &= equal == len(reference) == len(other)
    print(f"{label}: {equal} of {len(reference)} calls with identical completions and choice scores")
for l in labels:
    s = summary[l]
    print(f"{l}: dev {s['compiled']['score']} %, {s['lmCalls']} calls, {s['cacheHits']} cache hits, {s['wallSeconds']:.1f} s")
sys.exit(0 if ok else 1)
PY
