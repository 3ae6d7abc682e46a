"""Prints a Markdown table comparing an lm-eval results file with evomerge's, metric by metric.

usage: lmeval_compare_table.py LABEL LMEVAL_RESULTS.json EVOMERGE_RESULTS.json
Exit status 1 when a metric differs: perplexities (word_perplexity, byte_perplexity, bits_per_byte) may differ by
1e-4 relative, every other metric must be equal. Standard errors are shown but not judged. When both runs logged
their samples (samples_<task>_*.jsonl next to each results file), a row per task also compares every document's
prompt (the first request argument) and, for generation tasks, every generated text.
"""
import glob
import json
import os
import re
import sys


def samples(results_path, task):
    # samples_<task>_<date>.jsonl; the date keeps toy_arc from matching toy_arc_challenge's file
    pattern = re.compile(re.escape(f"samples_{task}_") + r"\d{4}-\d\d-\d\dT.*\.jsonl$")
    found = sorted(f for f in glob.glob(os.path.join(os.path.dirname(results_path), "samples_*.jsonl"))
                   if pattern.match(os.path.basename(f)))
    if not found:
        return None
    with open(found[-1]) as f:
        return {s["doc_id"]: s for s in map(json.loads, f)}


def first_prompt(sample):
    args = sample["arguments"]
    first = args[0] if isinstance(args, list) else args["gen_args_0"]
    if isinstance(first, dict):
        first = first.get("arg_0")
    return first[0] if isinstance(first, list) else first


def generations(sample):
    return [r[0] if isinstance(r, list) else r for r in sample["resps"]]

PERPLEXITIES = {"word_perplexity", "byte_perplexity", "bits_per_byte"}


def main(label, lmeval_path, evomerge_path):
    lm = json.load(open(lmeval_path))["results"]
    ev = json.load(open(evomerge_path))["results"]
    rows, bad = [], 0
    for task in sorted(lm):
        for key, want in lm[task].items():
            if "," not in key or "_stderr," in key or not isinstance(want, (int, float)):
                continue
            metric = key.split(",")[0]
            got = ev.get(task, {}).get(key)
            if got is None:
                ok, diff = False, "missing"
            else:
                d = abs(got - want)
                if metric in PERPLEXITIES:
                    ok = d <= 1e-4 * max(abs(want), 1e-12)
                    diff = f"{d / max(abs(want), 1e-12):.1e} rel"
                else:
                    ok = got == want
                    diff = f"{d:.1e}"
            stderr_key = key.replace(",", "_stderr,", 1)
            se = f"{lm[task].get(stderr_key, 'N/A')} / {ev.get(task, {}).get(stderr_key, 'N/A')}"
            bad += not ok
            rows.append(f"| {label} | {task} | {key} | {want!r} | {got!r} | {diff} | {'equal' if ok else 'DIFFERENT'} | {se} |")
    for task in sorted(lm):
        a, b = samples(lmeval_path, task), samples(evomerge_path, task)
        if a is None or b is None:
            continue
        same_prompts = sum(1 for d in a if d in b and first_prompt(a[d]) == first_prompt(b[d]))
        ok = same_prompts == len(a) == len(b)
        what = f"{same_prompts}/{len(a)} prompts identical"
        if json.load(open(lmeval_path))["configs"][task]["output_type"] == "generate_until":
            same_gen = sum(1 for d in a if d in b and generations(a[d]) == generations(b[d]))
            ok = ok and same_gen == len(a)
            what += f", {same_gen}/{len(a)} generations identical"
        bad += not ok
        rows.append(f"| {label} | {task} | samples | | | {what} | {'equal' if ok else 'DIFFERENT'} | |")
    # the results files' own keys, shown (not judged): lm-eval's environment keys have no evomerge meaning
    la, ea = json.load(open(lmeval_path)), json.load(open(evomerge_path))
    only_lm = [k for k in la if k not in ea]
    only_ev = [k for k in ea if k not in la]
    task_keys = sorted({k for t in la["results"] for k in la["results"][t] if k not in ea["results"].get(t, {})})
    rows.append(f"| {label} | (results file) | keys | | | only lm-eval: {', '.join(only_lm) or '-'}; only evomerge: "
                f"{', '.join(only_ev) or '-'}; task keys only lm-eval: {', '.join(task_keys) or '-'} | (shown) | |")
    print("| model | task | metric | lm-eval 0.4.13 | evomerge | difference | verdict | stderr (lm-eval / evomerge) |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 1 if bad or not rows else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
