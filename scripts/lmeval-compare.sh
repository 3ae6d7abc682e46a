#!/usr/bin/env bash
# Compares `evomerge eval` with the real lm-evaluation-harness on the bundled toy tasks, on a synthetic Llama and a
# synthetic Qwen2 model, and prints one table row per task metric. Exit status 0 only when every metric is equal
# (perplexities: within 1e-4 relative). See docs/evaluation.md ("Checking against lm-evaluation-harness").
#
#   scripts/lmeval-compare.sh PYTHON [WORK_DIR]
#
# PYTHON is a Python that has lm_eval 0.4.13, torch and transformers (docs/evaluation.md says how to make one);
# WORK_DIR (default: a new temporary directory) receives the models, the exported tasks and every results file.
set -euo pipefail

python=${1:?usage: scripts/lmeval-compare.sh PYTHON [WORK_DIR]}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${2:-$(mktemp -d /tmp/evomerge-lmeval-compare.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
max_length=${MAX_LENGTH:-64} # short enough that every perplexity document spans several windows
tasks=toy,toy_arc_challenge,toy_gsm8k,toy_wikitext

"$python" -c 'import lm_eval, torch, transformers' 2>/dev/null || {
    echo "lmeval-compare: $python cannot import lm_eval, torch and transformers" >&2
    exit 2
}

# The bundled task YAMLs, with their data files made absolute (lm-eval resolves them against its working
# directory) and a utils.py for `!function utils.macro_f1_score` (evomerge has it built in).
rm -rf "$work/tasks"
mkdir -p "$work/tasks"
cp -r "$root/eval/src/main/resources/dev/evomerge/eval/tasks/toy" "$work/tasks/toy"
sed -i "s#: data/#: $work/tasks/toy/data/#" "$work"/tasks/toy/*.yaml
cat > "$work/tasks/toy/utils.py" <<'PY'
def macro_f1_score(items):
    # items are (gold, prediction) pairs; the unweighted mean of the per-class F1 scores
    from sklearn.metrics import f1_score
    golds, preds = zip(*items)
    return f1_score(golds, preds, average="macro")
PY

# lm-eval prints its table with pytablewriter, which is not installable here; a minimal stand-in lets it print
# (the results file is written before that either way).
mkdir -p "$work/pystub"
cat > "$work/pystub/pytablewriter.py" <<'PY'
class _Writer:
    def __init__(self):
        self.headers, self.value_matrix = [], []

    def dumps(self):
        rows = [self.headers] + [[str(v) for v in r] for r in self.value_matrix]
        return "\n".join("|" + "|".join(str(c) for c in r) + "|" for r in rows)


class MarkdownTableWriter(_Writer):
    pass


class LatexTableWriter(_Writer):
    pass
PY
export PYTHONPATH="$work/pystub${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
status=0
for arch in llama qwen2; do
    model="$work/$arch"
    if [ ! -f "$model/config.json" ]; then
        "$root/evomerge" synth model "$model" --arch "$arch" --dtype fp32 --seed 1 >/dev/null
        if [ "$arch" = qwen2 ]; then
            # transformers 5 builds a Qwen2 tokenizer from the vocabulary and merges with Qwen2's own NFC
            # normalizer and split regex (digits one by one), whatever tokenizer.json says; real Qwen2 checkpoints
            # carry those in tokenizer.json, the synthetic one carries GPT-2's. Give it Qwen2's, so that both tools
            # read the same tokenization rules (checked below).
            "$python" - "$model/tokenizer.json" <<'PY'
import json
import sys

path = sys.argv[1]
tok = json.load(open(path))
tok["normalizer"] = {"type": "NFC"}
tok["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""},
     "behavior": "Isolated", "invert": False},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]}
json.dump(tok, open(path, "w"), ensure_ascii=False)
PY
        fi
    fi
    # both tools must tokenize every task text alike (transformers' tokenizer class against tokenizer.json)
    "$python" - "$model" "$work/tasks/toy/data" <<'PY' || exit 1
import glob
import json
import sys

from tokenizers import Tokenizer
from transformers import AutoTokenizer

model, data = sys.argv[1], sys.argv[2]
hf = AutoTokenizer.from_pretrained(model)
raw = Tokenizer.from_file(model + "/tokenizer.json")
for f in glob.glob(data + "/*.jsonl"):
    for line in open(f, encoding="utf-8"):
        for text in [v for v in json.loads(line).values() if isinstance(v, str)]:
            if hf(text, add_special_tokens=False).input_ids != raw.encode(text, add_special_tokens=False).ids:
                sys.exit(f"lmeval-compare: transformers and tokenizer.json tokenize {text[:40]!r} of {f} "
                         f"differently for {model}")
PY
    out="$work/out/$arch"
    rm -rf "$out"
    mkdir -p "$out"
    mkdir -p "$out/evomerge"
    "$root/evomerge" eval --model "$model" --tasks "$tasks" --max-length "$max_length" --quiet --log-samples \
        --output-path "$out/evomerge/results.json" >/dev/null
    (cd "$work" && "$python" -m lm_eval run --model hf \
        --model_args "pretrained=$model,dtype=float32,max_length=$max_length" --device cpu --batch_size 1 \
        --tasks "$tasks" --include_path "$work/tasks" --output_path "$out/lmeval" --log_samples \
        >"$out/lmeval.log" 2>&1) || {
        echo "lmeval-compare: lm_eval failed on $arch; see $out/lmeval.log" >&2
        exit 1
    }
    lmeval_json=$(find "$out/lmeval" -name 'results_*.json' | head -1)
    "$python" "$root/scripts/lmeval_compare_table.py" "$arch" "$lmeval_json" "$out/evomerge/results.json" \
        || status=1
done
echo "results in $work/out"
exit $status
