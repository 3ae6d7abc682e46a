#!/usr/bin/env bash
# Makes three synthetic 760M-parameter bf16 Llamas (a base and two fine-tunes, 1.5 GB each) under DIR
# (default /tmp/big760m): DIR/base, DIR/ft1, DIR/ft2. Reuses what exists. Holds /tmp/bigmem.lock while it writes,
# since other memory-hungry runs on this machine take the same lock.
# Shape: vocab 32000 x hidden 1536 (untied), 26 layers, intermediate 4096, 12 heads / 4 KV heads: 752M parameters.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
dir="${1:-/tmp/big760m}"
# EVOMERGE: the command to run (default: the launcher, which rebuilds when sources changed)
evomerge="${EVOMERGE:-$root/evomerge}"
mkdir -p "$dir"
if [[ -f "$dir/base/config.json" && -f "$dir/ft1/config.json" && -f "$dir/ft2/config.json" ]]; then
    exit 0 # made already: no need to wait for the lock
fi
make_one() { # NAME COMMAND...
    local name="$1"; shift
    [[ -f "$dir/$name/config.json" ]] && return 0
    rm -rf "$dir/$name.tmp"
    "$@" "$dir/$name.tmp"
    mv "$dir/$name.tmp" "$dir/$name"
}
flock /tmp/bigmem.lock bash -c "$(declare -f make_one); dir='$dir'; set -euo pipefail
make_one base $evomerge synth model --vocab 32000 --hidden 1536 --layers 26 --intermediate 4096 \
    --heads 12 --kv-heads 4 --dtype bf16 --seed 1
make_one ft1 $evomerge synth finetune --seed 2 --scale 0.05 '$dir/base'
make_one ft2 $evomerge synth finetune --seed 3 --scale 0.05 '$dir/base'"
du -sh "$dir"/*
