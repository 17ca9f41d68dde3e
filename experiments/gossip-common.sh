#!/usr/bin/env bash
# Shared by the gossip-*.sh experiments: builds nanofed once and runs one configuration into runs/gossip/NAME,
# resuming from the folder's checkpoint when it holds one (the folder's config.json then applies).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DATA=${DATA:-../shared/data}
THREADS=${THREADS:-2}
OUT=${OUT:-runs/gossip}
dotnet build src/Cli -c Release 2>&1 | grep -E " error |rror\(s\)" || true
# Run from a copy of the binaries, so that rebuilding the tree cannot disturb a long run.
BIN=$(mktemp -d)
cp -r src/Cli/bin/Release/net10.0/. "$BIN"
NANOFED=(dotnet "$BIN/nanofed.dll")
# The long runs' 30-epoch protocol (gossip-long.sh, gossip-noniid.sh): 8 agents on the exponential graph, ResNet-20
# option B, batch 16, lr 0.1 after one warm-up epoch at 0.01, x0.1 at 15 and 23 (the paper's 100 and 150 of 200),
# both test sets every 5 epochs.
LONG_PROTOCOL=(--agents 8 --graph exponential --model resnet20b --batch 16 --epochs "${EPOCHS:-30}" --lr 0.1 --warmup-epochs 1
  --milestones 15,23 --seed 0 --eval-every 5)

# gossip_run NAME OPTION... : one configuration; prints the time it took.
gossip_run() {
  local name=$1; shift
  local dir="$OUT/$name"
  local start=$SECONDS
  local code=0
  if [[ -f "$dir/checkpoint.safetensors" ]]; then
    echo "== $name (resuming)"
    "${NANOFED[@]}" gossip --resume --out "$dir" --data "$DATA" --threads "$THREADS" || code=$?
  else
    echo "== $name"
    "${NANOFED[@]}" gossip "$@" --out "$dir" --data "$DATA" --threads "$THREADS" || code=$?
  fi
  # Ctrl-C (130) stops the whole experiment; another failure (e.g. a method missing from this build) skips one configuration.
  if (( code == 130 )); then exit 130; fi
  echo "== $name: exit $code, $((SECONDS - start)) s"
}
