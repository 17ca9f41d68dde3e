#!/usr/bin/env bash
# The Sparse-Push paper's setup (Aketi et al., arXiv 2102.05715): 8 agents, ResNet-20 option B on CIFAR-10, batch 16
# per agent, 200 epochs, lr 0.1 after one warm-up epoch at 0.01, x0.1 at epochs 100 and 150, one-peer exponential
# graph; SGP, Sparse-Push at keep 1% and SCSP, on IID data and on skew 1.0. Days of compute on 2 cores.
source "$(dirname "$0")/gossip-common.sh"
EPOCHS=${EPOCHS:-200}
GAMMA=${GAMMA:-0.01}
COMMON=(--agents 8 --graph exponential --model resnet20b --batch 16 --epochs "$EPOCHS" --lr 0.1 --warmup-epochs 1 --milestones 100,150
  --seed 0 --eval-every 10)
for split in iid skew1; do
  SPLIT=(); [[ $split == skew1 ]] && SPLIT=(--skew 1.0)
  gossip_run "paper-sgp-$split" --method sgp "${COMMON[@]}" "${SPLIT[@]}"
  gossip_run "paper-sparse-push-keep0.01-$split" --method sparse-push --keep 0.01 --gamma "$GAMMA" "${COMMON[@]}" "${SPLIT[@]}"
  gossip_run "paper-scsp-keep0.01-$split" --method scsp --keep 0.01 --gamma "$GAMMA" --consensus-rounds 50 "${COMMON[@]}" "${SPLIT[@]}"
done
