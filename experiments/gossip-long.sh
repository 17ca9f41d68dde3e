#!/usr/bin/env bash
# The long run: dense SGP and Sparse-Push at keep 1% on IID data, 8 agents, ResNet-20 option B, batch 16, 30 epochs
# (lr 0.1 after one warm-up epoch, no drop inside 30 epochs). Run it in the background; rerun it after an
# interruption and each configuration continues from its last epoch checkpoint.
source "$(dirname "$0")/gossip-common.sh"
EPOCHS=${EPOCHS:-30}
GAMMA=${GAMMA:-0.01}
COMMON=(--agents 8 --graph exponential --model resnet20b --batch 16 --epochs "$EPOCHS" --lr 0.1 --warmup-epochs 1 --seed 0 --eval-every 5)
gossip_run long-sgp-iid --method sgp "${COMMON[@]}"
gossip_run long-sparse-push-keep0.01-iid --method sparse-push --keep 0.01 --gamma "$GAMMA" "${COMMON[@]}"
