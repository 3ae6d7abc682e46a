#!/usr/bin/env bash
# One server start and three in-place reloads of a 760M bf16 Llama through evomerge serve, then a fresh start on
# the fine-tune (docs/benchmarks.md, "Reloading weights into a running evomerge serve"). Run it under
# flock /tmp/bigmem.lock; it needs /tmp/big760m/base and /tmp/big760m/ft1.
set -u
cd "$(dirname "$(readlink -f "$0")")/.."
start_server() { # $1 model dir -> prints seconds to "listening"
  local t0=$(date +%s.%N)
  ./evomerge serve "$1" --port 0 --bf16-weights --threads 2 > /tmp/srvreload/out.txt 2>/tmp/srvreload/err.txt &
  echo $! > /tmp/srvreload/pid
  until grep -q "listening on" /tmp/srvreload/out.txt 2>/dev/null; do sleep 0.05; done
  local t1=$(date +%s.%N)
  echo "start $1: $(echo "$t1 - $t0" | bc) s"
}
reload() {
  local url=$(grep -o 'http://[0-9.:]*' /tmp/srvreload/out.txt)
  local t0=$(date +%s.%N)
  local r=$(curl -s -X POST "$url/update_weights_from_disk" -H 'Content-Type: application/json' -d "{\"model_path\":\"$1\"}")
  local t1=$(date +%s.%N)
  echo "reload $1: $(echo "$t1 - $t0" | bc) s  $r"
}
stop() { kill "$(cat /tmp/srvreload/pid)"; wait "$(cat /tmp/srvreload/pid)" 2>/dev/null; }
uptime
start_server /tmp/big760m/base
reload /tmp/big760m/ft1
reload /tmp/big760m/base
reload /tmp/big760m/ft1
stop
start_server /tmp/big760m/ft1
stop
uptime
