#!/usr/bin/env python3
"""DSPy 3.4.1's GEPA on llama.cpp's server: the side-by-side figure for `dspyc compile --optimizer gepa`.

Serves the task model (and, when --reflection-model is given, a second GGUF as the reflection
LM) with llama-cpp-python's OpenAI-compatible server on loopback, runs dspy.GEPA with the same
`auto` level on the program's train split (GEPA's validation set = train, as `dspyc` does), and
scores the result on the test split. Prints DSPy's projected metric calls first (GEPA.auto_budget,
before any model call), then one JSON object: baseline and GEPA test scores, metric and LM calls,
wall times. Needs dspy==3.4.1 and llama-cpp-python[server]==0.3.36 (see bench/compare_dspy.sh).

    python bench/dspy_gepa_reference.py --dataset sentiment-tweets --auto light \
        --reflection-model ~/.cache/dspyc/models/gemma-3-270m-it-Q4_K_M.gguf
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dspy_reference import free_port, load, wait_for  # noqa: E402


def serve(model, threads):
    import subprocess
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", model, "--host", "127.0.0.1", "--port", str(port),
         "--n_threads", str(threads), "--n_ctx", "8192", "--verbose", "False"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(f"http://127.0.0.1:{port}/v1/models")
    return process, f"http://127.0.0.1:{port}/v1"


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="sentiment-tweets")
    parser.add_argument("--model", default=os.path.expanduser("~/.cache/dspyc/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    parser.add_argument("--reflection-model", default=None, help="a second GGUF for the reflection LM")
    parser.add_argument("--auto", default="light", choices=["light", "medium", "heavy"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--project-only", action="store_true", help="print the projected budget and stop")
    args = parser.parse_args()

    import dspy
    from dspy.teleprompt.gepa.gepa import AUTO_RUN_SETTINGS

    folder = os.path.join(root, "programs", {"sentiment-tweets": "sentiment"}.get(args.dataset, args.dataset), "data")
    train, test = load(os.path.join(folder, "train.jsonl")), load(os.path.join(folder, "test.jsonl"))
    inputs = [k for k in train[0] if k not in ("sentiment", "region", "capital")]
    output = [k for k in train[0] if k not in inputs][0]
    labels = sorted({row[output] for row in train})
    literal = "Literal[" + ", ".join(repr(label) for label in labels) + "]" if len(labels) <= 8 else "str"
    signature = f"{', '.join(inputs)} -> {output}: {literal}"
    trainset = [dspy.Example(**row).with_inputs(*inputs) for row in train]
    testset = [dspy.Example(**row).with_inputs(*inputs) for row in test]

    projected = dspy.GEPA(metric=lambda *a, **k: 0, auto=args.auto, reflection_lm=object()).auto_budget(
        num_preds=1, num_candidates=AUTO_RUN_SETTINGS[args.auto]["n"], valset_size=len(trainset))
    print(json.dumps({"projected_metric_calls": projected, "auto": args.auto, "valset": len(trainset)}),
          file=sys.stderr, flush=True)
    if args.project_only:
        return

    def metric(gold, pred, trace=None, pred_name=None, pred_trace=None):
        got = str(getattr(pred, output, "") or "").strip().lower()
        score = float(got == str(gold[output]).strip().lower())
        feedback = f"The answer is correct: {gold[output]}." if score else \
            f"The answer '{got}' is wrong; the correct {output} is '{gold[output]}'."
        return dspy.Prediction(score=score, feedback=feedback)

    servers = []
    try:
        task_server, task_base = serve(args.model, args.threads)
        servers.append(task_server)
        lm = dspy.LM("openai/task", api_base=task_base, api_key="none", temperature=0.0, max_tokens=256, cache=False)
        reflection = lm
        if args.reflection_model:
            reflection_server, reflection_base = serve(args.reflection_model, args.threads)
            servers.append(reflection_server)
            reflection = dspy.LM("openai/reflection", api_base=reflection_base, api_key="none",
                                 temperature=1.0, max_tokens=2048, cache=False)
        dspy.configure(lm=lm)
        evaluate = dspy.Evaluate(devset=testset, metric=lambda g, p, t=None: metric(g, p).score,
                                 num_threads=4, display_progress=False, max_errors=len(testset) + 1)
        program = dspy.Predict(signature)
        start = time.time()
        baseline = evaluate(program).score
        baseline_seconds = time.time() - start
        calls_before, start = len(lm.history), time.time()
        optimizer = dspy.GEPA(metric=metric, auto=args.auto, reflection_lm=reflection, seed=0,
                              track_stats=True, num_threads=4)
        compiled = optimizer.compile(program, trainset=trainset)
        compile_seconds, compile_calls = time.time() - start, len(lm.history) - calls_before
        start = time.time()
        score = evaluate(compiled).score
        print(json.dumps({
            "dataset": args.dataset, "dspy": dspy.__version__, "auto": args.auto, "projected_metric_calls": projected,
            "baseline_test": baseline, "baseline_seconds": round(baseline_seconds, 1),
            "gepa_test": score, "compile_seconds": round(compile_seconds, 1), "compile_task_lm_calls": compile_calls,
            "reflection_lm_calls": len(reflection.history) if reflection is not lm else None,
            "metric_calls": getattr(getattr(compiled, "detailed_results", None), "total_metric_calls", None),
            "instruction": compiled.predictors()[0].signature.instructions,
            "test_seconds": round(time.time() - start, 1)}, indent=2))
    finally:
        for server in servers:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
