#!/usr/bin/env bash
# Proves a process that used the GPU exits cleanly, every time: runs `wgml selfcheck` N times
# (default 50) and counts exit statuses. Dawn's Node binding crashes at exit (SIGSEGV, SIGABRT, or a
# hang) when its instance or adapter is collected before the device; src/gpu/device.ts prevents it.
# Usage: scripts/exit-check.sh [N] [selfcheck options, e.g. --model cnn]
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
shift || true
[ -f dist/wgml.js ] || npm run --silent build:cli
declare -A seen=()
for ((i = 1; i <= runs; i++)); do
  timeout 300 node dist/wgml.js selfcheck "$@" >/dev/null 2>&1
  status=$?
  seen[$status]=$((${seen[$status]:-0} + 1))
  [ "$status" -eq 0 ] || echo "run $i: exit status $status"
done
summary=""
for s in "${!seen[@]}"; do summary+=" status $s: ${seen[$s]} runs;"; done
echo "exit-check: $runs runs of selfcheck $*:$summary"
[ "${seen[0]:-0}" -eq "$runs" ]
