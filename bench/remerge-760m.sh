#!/usr/bin/env bash
# The in-memory re-merge at real size (docs/benchmarks.md, "In-memory candidates at real size"): prints
#  1. MergeBench's resident rows on three 760M-parameter bf16 Llamas (bench/big760m.sh): per merge, seconds, GB/s of
#     input, the ratio to the 1- and 2-thread memory copy measured in the same run, peak anonymous / file-backed RSS;
#  2. `evomerge evolve` on the same models (task_arithmetic, 2 layer groups, a 2-document task, random search,
#     8 candidates), in memory and with --no-in-memory: median merge and evaluation seconds per candidate, the
#     per-candidate overhead (all but the scoring itself) and their ratio, the process's peak RssAnon/RssFile
#     sampled from /proc/PID/status every 0.1 s, and the in-memory median merge in GB/s of input against the
#     two-thread memory copy measured just before and just after the in-memory run (MergeBench --copy-only).
# Usage: bench/remerge-760m.sh [WORK]  (default /tmp/remerge-bench; models from MODELS, default /tmp/big760m).
# Every step that holds gigabytes runs under `flock /tmp/bigmem.lock`. SKIP_BUILD=1 reuses the built jars;
# METHODS (default linear,task_arithmetic,ties) and CANDIDATES (default 8) shorten a run; SKIP_MERGEBENCH=1 runs
# part 2 only.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
work="${1:-/tmp/remerge-bench}"
models="${MODELS:-/tmp/big760m}"
# shellcheck source=../scripts/find-jdk.sh
source "$root/scripts/find-jdk.sh"
use_jdk25 remerge-760m
cd "$root"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    mvn -B -q -o -pl cli,bench -am package -DskipTests
fi
# the launcher's JVM flags, on a copy of the jar (a rebuild by another command cannot change it under a run)
mkdir -p "$work"
cp cli/target/evomerge.jar "$work/evomerge.jar"
kernels='dev.evomerge.merge.method.*::*'
java_cmd=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
    -XX:CompileCommand=quiet "-XX:CompileCommand=CompileThresholdScaling,$kernels,0.01"
    "-XX:CompileCommand=BackgroundCompilation,$kernels,false" --sun-misc-unsafe-memory-access=allow
    -Djava.awt.headless=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -XX:MaxRAMPercentage=75)
EVOMERGE="${java_cmd[*]} -jar $work/evomerge.jar" bench/big760m.sh "$models" >/dev/null
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ "${SKIP_MERGEBENCH:-0}" != 1 ]]; then
echo "== 1. MergeBench resident rows ($models)"
flock /tmp/bigmem.lock "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
    -cp bench/target/benchmarks.jar dev.evomerge.bench.MergeBench "$work/mergebench" --keep --only-resident \
    --models "$models" --methods "${METHODS:-linear,task_arithmetic,ties}" 2>&1 | grep -v "^WARNING: Using incubator"
fi

candidates="${CANDIDATES:-8}"
echo "== 2. evomerge evolve, $candidates candidates, in memory vs on disk"
if [[ ! -f "$work/task/synth_mc.yaml" ]]; then
    rm -rf "$work/task"
    ${java_cmd[*]} -jar "$work/evomerge.jar" synth task mc --rows 2 --seed 1 "$work/task" >/dev/null 2>&1
fi
cat >"$work/genome.yml" <<YAML
genome:
  models: ["$models/ft1", "$models/ft2"]
  merge_method: task_arithmetic
  base_model: "$models/base"
  layer_granularity: 13
tasks:
  - name: synth_mc
    metric: "acc,none"
limit: 2
YAML
# the two-thread memory copy just before and just after the in-memory run (this VM's copy moves by 2x within an hour)
copy2() {
    flock /tmp/bigmem.lock "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
        -cp bench/target/benchmarks.jar dev.evomerge.bench.MergeBench "$work/copy" --copy-only 2>/dev/null \
        | sed -n 's/.*GB\/s (1 thread), \([0-9.]*\) GB\/s.*/\1/p'
}
input_bytes=$(cat "$models"/{base,ft1,ft2}/*.safetensors | wc -c)
median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
declare -A merge eval
for mode in in-memory no-in-memory; do
    run="$work/run-$mode"
    rm -rf "$run"
    [[ "$mode" == in-memory ]] && copy_before=$(copy2)
    flock /tmp/bigmem.lock ${java_cmd[*]} -jar "$work/evomerge.jar" evolve "$work/genome.yml" --storage-path "$run" \
        --include-path "$work/task" --optimizer random --max-evaluations "$candidates" --random-seed 1 "--$mode" --quiet \
        >"$work/$mode.log" 2>&1 &
    pid=""
    for _ in $(seq 1 600); do # the JVM starts once the lock is held
        pid="$(pgrep -f -- "--storage-path $run" | while read -r p; do
            [[ "$(cat /proc/"$p"/comm 2>/dev/null)" == java ]] && echo "$p"; done | head -n1 || true)"
        [[ -n "$pid" ]] && break
        sleep 0.5
    done
    anon=0; file=0
    # sampled with bash builtins only (read, and a read with a timeout on a pipe nobody writes as the pause): two awk
    # processes and a sleep per sample took CPU from the two-core run being measured
    exec {pause}<> <(:)
    while [[ -n "$pid" && -r /proc/$pid/status ]]; do
        while read -r key kb _; do
            [[ "$key" == RssAnon: ]] && (( kb > anon )) && anon=$kb
            [[ "$key" == RssFile: ]] && (( kb > file )) && file=$kb
        done < /proc/"$pid"/status 2>/dev/null || true
        read -rt 0.1 -u "$pause" _ || true
    done
    exec {pause}<&-
    wait || { echo "evolve --$mode failed:"; tail -5 "$work/$mode.log"; exit 1; }
    [[ "$mode" == in-memory ]] && copy_after=$(copy2)
    merge[$mode]="$(sqlite3 "$run/run.db" "SELECT merge_seconds FROM candidates WHERE error IS NULL" | median)"
    eval[$mode]="$(sqlite3 "$run/run.db" "SELECT eval_seconds FROM candidates WHERE error IS NULL" | median)"
    n="$(sqlite3 "$run/run.db" "SELECT count(*) FROM candidates WHERE error IS NULL")"
    printf -- '--%s: %s candidates, median merge %.2f s, median evaluation %.2f s, peak RssAnon %.2f GB, peak RssFile %.2f GB\n' \
        "$mode" "$n" "${merge[$mode]}" "${eval[$mode]}" "$(echo "$anon/1048576" | bc -l)" "$(echo "$file/1048576" | bc -l)"
    # the run's best model (1.5 GB) is not measured; run.db and the logs stay
    rm -rf "$run/final_model"
done
# overhead per candidate = everything but the scoring itself; the in-memory evaluation is the scoring alone
mem=$(echo "${merge[in-memory]}" | bc -l)
disk=$(echo "${merge[no-in-memory]} + ${eval[no-in-memory]} - ${eval[in-memory]}" | bc -l)
gbps=$(echo "$input_bytes / ${merge[in-memory]} / 1000000000" | bc -l)
printf 'in-memory merge: %.2f GB/s of input (%.2f GB); two-thread copy just before the run %.2f GB/s, just after %.2f GB/s: ratio %.2f / %.2f\n' \
    "$gbps" "$(echo "$input_bytes / 1000000000" | bc -l)" "$copy_before" "$copy_after" \
    "$(echo "$gbps / $copy_before" | bc -l)" "$(echo "$gbps / $copy_after" | bc -l)"
printf 'per-candidate overhead: in memory %.2f s, on disk %.2f s (merge, write, load): ratio %.1f\n' "$mem" "$disk" \
    "$(echo "$disk / $mem" | bc -l)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
