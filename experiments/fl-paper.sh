#!/usr/bin/env bash
# The paper's setup (specs/ecofed.md; Wu et al., arXiv 2304.05495): VGG11 EcoFed variant split after the second conv
# block (--split-index 8), 100 clients x 500 CIFAR-10 images, 20 sampled per round, one local epoch, batch 10, SGD
# lr 0.01 momentum 0.9; IID and label shards (500 shards of 100, 5 per client); every method, then one comparison per
# split. All 50,000 training images go to clients, so EcoFed's front must come from elsewhere: FRONT names a
# safetensors file (the authors pre-train on down-sampled ImageNet); without it EcoFed runs from a random front.
# Days of compute on 2 cores: this file documents the setup; fl-reduced.sh is what runs here.
# Usage: experiments/fl-paper.sh [DATA_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${1:-../shared/data}
OUT=${2:-runs/fl-paper}
ROUNDS=${ROUNDS:-200}
FRONT=${FRONT:-}
THREADS=${THREADS:-2}
SEED=${SEED:-0}
METHODS=${METHODS:-"fedavg splitfed localloss fedgkt ecofed"}

dotnet build src/Cli -c Release 2>&1 | grep -E "error|rror\(s\)" || true
BIN=$(mktemp -d)
cp -r src/Cli/bin/Release/net10.0/. "$BIN"
nanofed() { dotnet "$BIN/nanofed.dll" "$@"; }
mkdir -p "$OUT"

for SPLIT in iid shards; do
  for METHOD in $METHODS; do
    EXTRA=()
    if [ "$METHOD" = ecofed ]; then
      EXTRA=(--bits 8 --period 2)
      [ -n "$FRONT" ] && EXTRA+=(--front "$FRONT")
    fi
    nanofed fl --method "$METHOD" --model vgg11-ecofed --split-index 8 --data "$DATA" --split "$SPLIT" --shards-per-client 5 \
      --shard-size 100 --clients 100 --samples-per-client 500 --per-round 20 --rounds "$ROUNDS" --local-epochs 1 --batch 10 \
      --lr 0.01 --momentum 0.9 --seed "$SEED" --eval-every 5 --threads "$THREADS" "${EXTRA[@]}" --out "$OUT/$METHOD-$SPLIT"
  done
  RUNS=()
  for METHOD in $METHODS; do RUNS+=("$OUT/$METHOD-$SPLIT"); done
  nanofed compare "${RUNS[@]}" --out "$OUT/compare-$SPLIT"
done
