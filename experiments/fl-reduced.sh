#!/usr/bin/env bash
# The reduced EcoFed experiment (issue 4, docs/results.md): VGG11 EcoFed variant, split after the second conv block
# (--split-index 8), 100 clients x 400 CIFAR-10 images drawn from training images 0..40000; images 40000..50000 are the
# public split on which EcoFed's frozen front is pre-trained and which no client holds. Every method on IID and on
# label shards, then one comparison per split. PER_ROUND and ROUNDS are tuned so that each run fits 15 minutes on 2 cores.
# Usage: experiments/fl-reduced.sh [DATA_DIR] [OUT_DIR]   (run from anywhere; paths are relative to the repo root)
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${1:-../shared/data}
OUT=${2:-runs/fl-reduced}
PER_ROUND=${PER_ROUND:-5}          # clients sampled per round (the paper: 20)
ROUNDS=${ROUNDS:-24}               # rounds per run
EVAL_EVERY=${EVAL_EVERY:-8}        # the secondary test set every this many rounds (and on the last)
PRETRAIN_EPOCHS=${PRETRAIN_EPOCHS:-15}
THREADS=${THREADS:-1}              # batch 10 barely uses a second core: run two scripts side by side instead (SPLITS)
SPLITS=${SPLITS:-"iid shards"}
SEED=${SEED:-0}
METHODS=${METHODS:-"fedavg splitfed localloss fedgkt ecofed"}
FL_OPTIONS=${FL_OPTIONS:-}         # more options of every nanofed fl run (faults-reduced.sh: --dropout P)
CLIENTS=100
SAMPLES=400
# A run's live data is a few GB, but on a large machine the GC lets garbage (138 MB state-dict copies per message) pile
# up to half the memory; a hard limit of 25% (the value is hexadecimal) keeps two runs side by side within 24 GB.
export DOTNET_GCHeapHardLimitPercent=${DOTNET_GCHeapHardLimitPercent:-19}
POOL=0:40000
PUBLIC=40000:50000

# Run from a copy of the binaries, so that rebuilding the tree cannot disturb a long run.
dotnet build src/Cli -c Release 2>&1 | grep -E "error|rror\(s\)" || true
BIN=$(mktemp -d)
cp -r src/Cli/bin/Release/net10.0/. "$BIN"
nanofed() { dotnet "$BIN/nanofed.dll" "$@"; }
mkdir -p "$OUT"

# EcoFed's front: the whole VGG11 EcoFed variant trained on the public split; EcoFed keeps its first 8 layers frozen.
# Trained when the first EcoFed run needs it (two copies of this script for different SPLITS can then share it).
FRONT=${FRONT:-"$OUT/front/final.safetensors"}
ensure_front() {
  [ -f "$FRONT" ] && return
  # A front whose training stopped part-way (its last.safetensors is there) continues where it stopped; a folder with
  # no checkpoint holds at most the committed record of an earlier training, which --force lets the same run rewrite.
  if [ -f "$(dirname "$FRONT")/last.safetensors" ]; then
    nanofed train --resume --out "$(dirname "$FRONT")" --data "$DATA" --threads "$THREADS"
    return
  fi
  nanofed train --model vgg11-ecofed --data "$DATA" --train-range "$PUBLIC" --epochs "$PRETRAIN_EPOCHS" --batch 128 --lr 0.05 \
    --nesterov --schedule onecycle --seed 7 --test-files test_batch_head1017.bin --threads "$THREADS" --force --out "$(dirname "$FRONT")"
}

for SPLIT in $SPLITS; do
  for METHOD in $METHODS; do
    EXTRA=()
    if [ "$METHOD" = ecofed ]; then ensure_front; EXTRA=(--front "$FRONT" --bits 8 --period 2); fi
    RUN="$OUT/$METHOD-$SPLIT"
    # A finished run is kept (its checkpoint may not be there: run folders are committed without it); one stopped
    # part-way (killed, or a session ended) continues from its checkpoint; one killed before its first checkpoint
    # starts again.
    [ "$(( $(wc -l < "$RUN/metrics.csv" 2>/dev/null || echo 1) - 1 ))" -ge "$ROUNDS" ] && continue
    if [ -f "$RUN/checkpoint.safetensors" ]; then
      nanofed fl --resume --out "$RUN" --data "$DATA" --threads "$THREADS"
      continue
    fi
    [ -f "$RUN/config.json" ] && EXTRA+=(--force)
    nanofed fl --method "$METHOD" --model vgg11-ecofed --split-index 8 --data "$DATA" --split "$SPLIT" --shards-per-client 5 \
      --clients "$CLIENTS" --samples-per-client "$SAMPLES" --client-pool "$POOL" --per-round "$PER_ROUND" --rounds "$ROUNDS" \
      --local-epochs 1 --batch 10 --lr 0.01 --momentum 0.9 --seed "$SEED" --eval-every "$EVAL_EVERY" --threads "$THREADS" \
      "${EXTRA[@]}" $FL_OPTIONS --out "$RUN"
  done
  RUNS=()
  for METHOD in $METHODS; do RUNS+=("$OUT/$METHOD-$SPLIT"); done
  nanofed compare "${RUNS[@]}" --out "$OUT/compare-$SPLIT"
done
