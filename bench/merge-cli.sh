#!/usr/bin/env bash
# What a user of `evomerge merge` sees: each of the four MergeBench merges run as its own `./evomerge merge` process
# (fresh JVM, the launcher's flags), with wall seconds and peak RSS (GNU time's maximum resident set size, which is
# the JVM's VmHWM since the launcher execs java).
# Usage: bench/merge-cli.sh WORKDIR   (WORKDIR holds big-base, big-ft1, big-ft2: run MergeBench WORKDIR --keep first)
set -euo pipefail
work="$(cd "${1:?usage: bench/merge-cli.sh WORKDIR}" && pwd)"
root="$(cd "$(dirname "$0")/.." && pwd)"
for m in big-base big-ft1 big-ft2; do
    [[ -f "$work/$m/config.json" ]] || { echo "missing $work/$m: run MergeBench $work --keep first" >&2; exit 2; }
done
input=$(du -cb "$work"/big-{base,ft1,ft2}/*.safetensors | tail -1 | cut -f1)
one=$(du -cb "$work"/big-base/*.safetensors | tail -1 | cut -f1)
"$root/evomerge" --version >/dev/null # builds the jar first if needed
echo "| method | seconds (whole process) | input GB/s | peak RSS | peak RSS / one input |"
echo "|---|---|---|---|---|"
for method in linear task_arithmetic ties dare_ties; do
    cfg="$(mktemp)"
    if [[ $method == linear ]]; then
        printf 'merge_method: linear\nmodels:\n' > "$cfg"
    else
        printf 'merge_method: %s\nbase_model: %s\nmodels:\n' "$method" "$work/big-base" > "$cfg"
    fi
    printf '  - {model: %s, parameters: {weight: 0.4, density: 0.5}}\n' "$work/big-ft1" >> "$cfg"
    printf '  - {model: %s, parameters: {weight: 0.3, density: 0.5}}\n' "$work/big-ft2" >> "$cfg"
    [[ $method == linear ]] && printf '  - {model: %s, parameters: {weight: 0.3}}\n' "$work/big-base" >> "$cfg"
    printf 'dtype: bfloat16\n' >> "$cfg"
    out="$work/out-cli-$method"
    rm -rf "$out"
    stats="$( { /usr/bin/time -f '%e %M' "$root/evomerge" merge "$cfg" "$out" --quiet >/dev/null; } 2>&1 | tail -1)"
    read -r secs kb <<< "$stats"
    awk -v m="$method" -v s="$secs" -v kb="$kb" -v in_b="$input" -v one="$one" 'BEGIN {
        printf "| %s | %.2f | %.2f | %.2f GB | %.2f |\n", m, s, in_b / 1e9 / s, kb * 1024 / 1e9, kb * 1024 / one }'
    rm -rf "$out" "$cfg"
done
