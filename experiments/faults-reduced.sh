#!/usr/bin/env bash
# Must-show 3 (issue 20): accuracy under injected faults on the reduced setups. FedAvg and EcoFed of
# experiments/fl-reduced.sh (IID split) at 0, 10 and 30% device dropout (nanofed fl --dropout), and SGP and Sparse-Push
# (keep 1%, gamma BEST_1) of experiments/gossip-reduced.sh (IID data) at 0, 5 and 20% message loss (nanofed gossip
# --message-loss). Every fault level is its own run folder; one `nanofed report` per method then compares its levels,
# the fault-free run first (the baseline of the ratios). The 0% runs are bit-identical to the plain reduced runs.
# Usage: experiments/faults-reduced.sh [DATA_DIR] [OUT_DIR]   (run from anywhere; paths are relative to the repo root)
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${1:-../shared/data}
OUT=${2:-runs/faults-reduced}
DROPOUTS=${DROPOUTS:-"0 0.1 0.3"}
LOSSES=${LOSSES:-"0 0.05 0.2"}
BEST_1=${BEST_1:-0.05}
export THREADS=${THREADS:-1}

for p in $DROPOUTS; do
  # One pre-trained EcoFed front for every dropout level (the front sees no client, so no fault).
  FL_OPTIONS="--dropout $p" METHODS="fedavg ecofed" SPLITS=iid FRONT="$OUT/front/final.safetensors" \
    experiments/fl-reduced.sh "$DATA" "$OUT/fl-dropout$p"
done

for q in $LOSSES; do
  GOSSIP_OPTIONS="--message-loss $q" ONLY="sgp-iid sparse-push-keep0.01-gamma$BEST_1-iid" GAMMAS_1="$BEST_1" BEST_1="$BEST_1" \
    DATA="$DATA" OUT="$OUT/gossip-loss$q" experiments/gossip-reduced.sh
done

dotnet build src/Cli -c Release 2>&1 | grep -E " error |rror\(s\)" || true
BIN=$(mktemp -d)
cp -r src/Cli/bin/Release/net10.0/. "$BIN"
# A report names each run after its folder: link every run under a name that says its fault level.
mkdir -p "$OUT/named"
report() { # report NAME LEVEL-PREFIX FOLDER-PATTERN LEVEL... (FOLDER-PATTERN holds @ where the level goes)
  local name=$1 prefix=$2 pattern=$3; shift 3
  local runs=() level
  for level in "$@"; do
    ln -sfnr "${pattern//@/$level}" "$OUT/named/$name-$prefix$level"
    runs+=("$OUT/named/$name-$prefix$level")
  done
  dotnet "$BIN/nanofed.dll" report "${runs[@]}" --title "$name under injected faults" --out "$OUT/report-$name"
}
for method in fedavg ecofed; do
  report "$method" dropout "$OUT/fl-dropout@/$method-iid" $DROPOUTS
done
E=${E:-1}
for name in sgp-iid "sparse-push-keep0.01-gamma$BEST_1-iid"; do
  report "$name" loss "$OUT/gossip-loss@/reduced-E$E-$name" $LOSSES
done
echo "tables: $OUT/report-*/report.md"
