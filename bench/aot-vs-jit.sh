#!/bin/bash
# Times the NativeAOT binary against the JIT build on one training command, alternating the two so that a shared
# machine's load falls on both alike; prints each run's wall time and the load average before and after it, then
# each build's median and the ratio of the medians.
# Usage: bench/aot-vs-jit.sh AOT_BINARY JIT_DLL RUNS -- nanofed arguments
# e.g.   bench/aot-vs-jit.sh out/nanofed/nanofed src/Cli/bin/Release/net10.0/nanofed.dll 3 -- \
#          train --model smallcnn --data /usr/share/datasets --epochs 1 --limit 10000 --threads 2
set -u
if [ $# -lt 5 ] || [ "$4" != "--" ]; then echo "usage: $0 AOT_BINARY JIT_DLL RUNS -- nanofed arguments" >&2; exit 2; fi
aot=$1 jit=$2 runs=$3
shift 4
out=$(mktemp -d)
declare -A times
trap 'rm -rf "$out"' EXIT
for i in $(seq 1 "$runs"); do
  for build in aot jit; do
    if [ $build = aot ]; then cmd=("$aot"); else cmd=(dotnet "$jit"); fi
    load=$(cut -d' ' -f1 /proc/loadavg)
    start=$(date +%s.%N)
    "${cmd[@]}" "$@" --out "$out/$build-$i" --force > /dev/null 2>&1 || { echo "$build run $i failed" >&2; exit 1; }
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc)
    times[$build]+="$t "
    echo "$build run $i: $t s (load $load -> $(cut -d' ' -f1 /proc/loadavg)); last epoch: $(tail -n 1 "$out/$build-$i/metrics.csv")"
  done
done
median() { tr ' ' '\n' <<< "$1" | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
aot_median=$(median "${times[aot]}") jit_median=$(median "${times[jit]}")
echo "median: aot $aot_median s, jit $jit_median s, aot/jit $(echo "scale=2; $aot_median / $jit_median" | bc)"
