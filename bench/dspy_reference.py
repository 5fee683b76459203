#!/usr/bin/env python3
"""DSPy 3.4.1 + an OpenAI-compatible server on the same GGUF: the reference dspyc is measured against.

The server is llama.cpp's (llama-cpp-python's, the default) or `dspyc serve` (--server dspyc,
with --serve-arg --dspy-structured to constrain DSPy's ChatAdapter replies).

Runs zero-shot evaluation, optionally LabeledFewShot(k=4) (--labeled), BootstrapFewShot (max_bootstrapped_demos=4,
max_labeled_demos=4) on the train split and evaluation of the compiled program
on the dev split, with the model served by llama-cpp-python's OpenAI-compatible
server on loopback. Prints one JSON object: scores, label distributions of the
predictions, LM calls, parse failures and wall times.

Set up once (not needed by CI):
    python3 -m venv .venv-ref
    .venv-ref/bin/pip install dspy==3.4.1 'llama-cpp-python[server]==0.3.36'
    .venv-ref/bin/python bench/dspy_reference.py --dataset sentiment-tweets
"""
import argparse
import collections
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def wait_for(url, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.5)
    raise SystemExit(f"llama.cpp server did not answer at {url}")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="sentiment-tweets")
    parser.add_argument("--data", default=None, help="folder holding DATASET/{train,dev}.jsonl "
                        "(default: the repository's programs/*/data)")
    parser.add_argument("--model", default=os.path.expanduser("~/.cache/dspyc/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    parser.add_argument("--dev", type=int, default=100, help="dev examples to score")
    parser.add_argument("--train", type=int, default=None, help="train examples to bootstrap from (default: all)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=1, help="Evaluate num_threads")
    parser.add_argument("--max-errors", type=int, default=None,
                        help="BootstrapFewShot max_errors (DSPy's default, 10, when omitted)")
    parser.add_argument("--server", choices=["llama", "dspyc"], default="llama",
                        help="which server DSPy talks to: llama-cpp-python's or `dspyc serve`")
    parser.add_argument("--dspyc", default=None, help="the dspyc binary (--server dspyc)")
    parser.add_argument("--serve-arg", action="append", default=[],
                        help="extra argument for `dspyc serve` (repeatable), e.g. --serve-arg=--dspy-structured")
    parser.add_argument("--labeled", action="store_true",
                        help="also compile and score LabeledFewShot(k=4)")
    args = parser.parse_args()

    import dspy

    if args.data:
        folder = os.path.join(args.data, args.dataset)
    else:
        program_folder = {"sentiment-tweets": "sentiment"}.get(args.dataset, args.dataset)
        folder = os.path.join(root, "programs", program_folder, "data")
    train, dev = load(os.path.join(folder, "train.jsonl"))[: args.train], load(os.path.join(folder, "dev.jsonl"))[: args.dev]
    inputs = [k for k in train[0] if k not in ("sentiment", "region", "capital")]
    output = [k for k in train[0] if k not in inputs][0]
    labels = sorted({row[output] for row in train + dev})
    literal = "Literal[" + ", ".join(repr(label) for label in labels) + "]" if len(labels) <= 8 else "str"
    signature = f"{', '.join(inputs)} -> {output}: {literal}"

    port = free_port()
    if args.server == "llama":
        command = [sys.executable, "-m", "llama_cpp.server", "--model", args.model, "--host", "127.0.0.1",
                   "--port", str(port), "--n_threads", str(args.threads), "--n_ctx", "4096", "--verbose", "False"]
    else:
        if not args.dspyc:
            raise SystemExit("--server dspyc needs --dspyc PATH")
        command = [args.dspyc, "serve", "--model", args.model, "--port", str(port), *args.serve_arg]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/v1/models")
        lm = dspy.LM("openai/smollm2", api_base=f"http://127.0.0.1:{port}/v1", api_key="none",
                     temperature=0.0, max_tokens=256, cache=False)
        dspy.configure(lm=lm)
        trainset = [dspy.Example(**row).with_inputs(*inputs) for row in train]
        devset = [dspy.Example(**row).with_inputs(*inputs) for row in dev]

        def metric(example, prediction, trace=None):
            return str(getattr(prediction, output, "")).strip().lower() == str(example[output]).strip().lower()

        def evaluate(program):
            calls_before = len(lm.history)
            start = time.time()
            predictions, failures = [], 0
            history_before = len(lm.history)
            # Every example is scored (an error scores 0), so no error count may cancel the run.
            # DSPy's executor re-submits an example still running after 120 s when at most three
            # remain, and each failed attempt counts: a slow server can pass len(devset) errors.
            evaluator = dspy.Evaluate(devset=devset, metric=metric, num_threads=args.parallel,
                                      display_progress=False, max_errors=10 * len(devset) + 1)
            result = evaluator(program)
            for _, prediction, _ in result.results:
                value = getattr(prediction, output, None)
                if value is None:
                    failures += 1
                predictions.append(str(value))
            return {"score": result.score, "seconds": round(time.time() - start, 1),
                    "lm_calls": len(lm.history) - calls_before, "failures": failures,
                    "format_failures": format_failures(lm.history[history_before:], program),
                    "distribution": dict(collections.Counter(predictions))}

        def format_failures(entries, module):
            # Replies DSPy's ChatAdapter cannot parse: each one costs DSPy a JSONAdapter retry
            # (or, if that fails too, the example). Counted on the raw replies in the LM history.
            adapter, count = dspy.ChatAdapter(), 0
            target = module.predictors()[0].signature
            for entry in entries:
                for text in entry.get("outputs") or []:
                    if isinstance(text, dict):
                        text = text.get("text")
                    if not isinstance(text, str):
                        continue
                    try:
                        adapter.parse(target, text)
                    except Exception:
                        count += 1
            return count

        program = dspy.Predict(signature)
        report = {"dataset": args.dataset, "signature": signature, "dev": len(devset), "dspy": dspy.__version__}
        report["zero_shot"] = evaluate(program)
        print(json.dumps({"zero_shot": report["zero_shot"]}), file=sys.stderr, flush=True)
        if args.labeled:
            labeled = dspy.LabeledFewShot(k=4).compile(program, trainset=trainset)
            report["labeled"] = evaluate(labeled)
            print(json.dumps({"labeled": report["labeled"]}), file=sys.stderr, flush=True)
        start, calls_before = time.time(), len(lm.history)
        optimizer = dspy.BootstrapFewShot(metric=metric, max_bootstrapped_demos=4, max_labeled_demos=4,
                                          max_errors=args.max_errors)
        try:
            with contextlib.redirect_stdout(sys.stderr):  # DSPy prints its bootstrap summary
                compiled = optimizer.compile(program, trainset=trainset)
        except Exception as error:  # DSPy re-raises the teacher's error once max_errors are reached
            report["compile"] = {"seconds": round(time.time() - start, 1), "lm_calls": len(lm.history) - calls_before,
                                 "error": f"{type(error).__name__}: {str(error)[:300]}"}
            print(json.dumps(report, indent=2))
            return
        report["compile"] = {"seconds": round(time.time() - start, 1), "lm_calls": len(lm.history) - calls_before,
                             "max_errors": args.max_errors,
                             "demo_labels": [d.get(output) for d in compiled.predictors()[0].demos]}
        report["bootstrap"] = evaluate(compiled)
        print(json.dumps(report, indent=2))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
