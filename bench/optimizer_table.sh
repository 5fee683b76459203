#!/usr/bin/env bash
# Compiles a program with each optimizer in a fresh DSPYC_HOME (no LM cache), one
# after another, and prints one JSON line per optimizer: dev score, prediction
# distribution, LM calls and wall time. The model comes from the usual cache.
#   bench/optimizer_table.sh sentiment [optimizer ...]
set -euo pipefail
cd "$(dirname "$0")/.."
program=$1; shift
optimizers=("${@:-labeled bootstrap random-search mipro ensemble}")
dspyc=$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/dspyc
models=$("$dspyc" models path | xargs dirname)
for optimizer in ${optimizers[@]}; do
    case $optimizer in
        labeled) settings=(--set k=4) ;;
        bootstrap) settings=() ;;
        random-search) settings=(--set num_candidate_programs=4 --set max_labeled_demos=4) ;;
        mipro) settings=(--set max_labeled_demos=4) ;;
        ensemble) settings=(--set num_candidate_programs=1 --set size=3 --set max_labeled_demos=4) ;;
        *) settings=() ;;
    esac
    home=$(mktemp -d)
    ln -s "$models" "$home/models"
    DSPYC_HOME=$home "$dspyc" compile "$program" --optimizer "$optimizer" ${settings[@]+"${settings[@]}"} --json 2>/dev/null |
        python3 -c "
import json, sys
d = json.load(sys.stdin)
print(json.dumps({'program': d['program'], 'optimizer': '$optimizer', 'baseline': d['baseline']['score'],
                  'baseline_distribution': d['baseline']['distribution'], 'score': d['compiled']['score'],
                  'distribution': d['compiled']['distribution'], 'errors': d['compiled']['errors'],
                  'lm_calls': d['lmCalls'], 'wall_seconds': round(d['wallSeconds'], 1)}))"
    rm -rf "$home"
done
