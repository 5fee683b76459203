#!/usr/bin/env bash
# Speculative decoding (prompt lookup) on whole evaluations: each program is evaluated with
# guesses (--draft-tokens 6, the default) and without (--draft-tokens 0), each on a fresh
# DSPYC_HOME so nothing comes from the LM cache. Prints wall time, the guesses kept (summed
# from the engine's debug lines) and both scores, which must be equal: guesses never change
# an output.
#
#   bench/speculation.sh [--concurrency N] [--limit N]
#
# Programs: country-capital uncompiled (ChainOfThought: free-text reasoning, then the
# answer) on its dev split, and a copy-heavy ad-hoc program that corrects typos in the
# sentiment program's dev tweets (typos injected deterministically by this script).
set -euo pipefail
cd "$(dirname "$0")/.."

concurrency=8
limit=60
while (($#)); do
  case "$1" in
    --concurrency) concurrency="$2"; shift 2 ;;
    --limit) limit="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

dspyc="$(swift build -c release --show-bin-path)/dspyc"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
models="${DSPYC_HOME:-$HOME/.cache/dspyc}/models"

# The spelling set: every fourth word of a tweet of 6+ words gets two inner letters swapped.
python3 - "$work/spelling.jsonl" <<'PY'
import json, sys
out = open(sys.argv[1], "w")
for line in open("programs/sentiment/data/dev.jsonl"):
    text = json.loads(line)["text"]
    words = text.split()
    if len(words) < 6:
        continue
    typo = []
    for i, w in enumerate(words):
        if i % 4 == 1 and len(w) >= 4 and w.isalpha():
            w = w[0] + w[2] + w[1] + w[3:]
        typo.append(w)
    out.write(json.dumps({"text": " ".join(typo), "corrected": text}) + "\n")
PY

run() {  # run NAME DRAFT ARGS...: one evaluation on a fresh store
  local name="$1" draft="$2"; shift 2
  local home="$work/home-$name-$draft"
  mkdir -p "$home" && ln -s "$models" "$home/models"
  local start end
  start=$(date +%s.%N)
  DSPYC_HOME="$home" DSPYC_LOG_LEVEL=debug "$dspyc" eval "$@" --draft-tokens "$draft" --concurrency "$concurrency" \
    --limit "$limit" --json >"$work/$name-$draft.json" 2>"$work/$name-$draft.log"
  end=$(date +%s.%N)
  python3 - "$work/$name-$draft.json" "$work/$name-$draft.log" "$name" "$draft" "$start" "$end" <<'PY'
import json, re, sys
result = json.load(open(sys.argv[1]))
drafted = accepted = tokens = calls = 0
for line in open(sys.argv[2], errors="replace"):
    if " generated" not in line:
        continue
    fields = dict(re.findall(r"(\w+)=(\S+)", line))
    calls += 1
    tokens += int(fields.get("tokens", 0))
    drafted += int(fields.get("drafted", 0))
    accepted += int(fields.get("accepted", 0))
score = result.get("score", result.get("average"))
wall = float(sys.argv[6]) - float(sys.argv[5])
kept = f"{accepted}/{drafted} guesses kept" if drafted else "no guesses"
print(f"{sys.argv[3]:16} draft {sys.argv[4]}: {wall:7.1f} s, score {score}, {calls} calls, {tokens} tokens, {kept}")
PY
}

for draft in 0 6; do run country-capital "$draft" country-capital --uncompiled; done
for draft in 0 6; do
  run spelling "$draft" --signature "text -> corrected" --instructions "Rewrite the text with its spelling mistakes corrected." \
    --devset "$work/spelling.jsonl" --trainset "$work/spelling.jsonl" --metric f1 --uncompiled
done
