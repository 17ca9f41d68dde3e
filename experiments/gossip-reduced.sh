#!/usr/bin/env bash
# The reduced decentralized experiment: 8 agents, ResNet-20 option B on CIFAR-10, batch 16 per agent, the same E
# epochs for every configuration, on IID data and on skew 1.0: all-reduce, SGP, D-PSGD, CHOCO, no communication,
# Sparse-Push at keep 10%, 1% and 0.1% for each gamma of the sweep, and SCSP (keep 1%). Tune E so that one
# configuration fits 15 minutes on 2 cores (time one with `E=1 ONLY=sgp-iid`).
E=${E:-2}
GAMMAS=${GAMMAS:-"0.01 0.05 0.2"}
SCSP_GAMMA=${SCSP_GAMMA:-0.05}
ONLY=${ONLY:-}
source "$(dirname "$0")/gossip-common.sh"
# No milestone inside E epochs: one warm-up epoch at 0.01 when E > 1, then 0.1.
WARMUP=$(( E > 1 ? 1 : 0 ))
COMMON=(--agents 8 --model resnet20b --batch 16 --epochs "$E" --lr 0.1 --warmup-epochs "$WARMUP" --seed 0)
run() {
  local name=$1; shift
  if [[ -z "$ONLY" || "$name" == "$ONLY" ]]; then gossip_run "reduced-E$E-$name" "$@"; fi
}
for split in iid skew1; do
  SPLIT=(); [[ $split == skew1 ]] && SPLIT=(--skew 1.0)
  # D-PSGD and CHOCO need an undirected graph (symmetric Metropolis weights): the undirected ring; the others use
  # SGP's time-varying directed exponential graph.
  for method in allreduce sgp dpsgd choco none; do
    extra=(--graph exponential)
    [[ $method == dpsgd ]] && extra=(--graph undirected-ring)
    [[ $method == choco ]] && extra=(--graph undirected-ring --compressor topk --keep 0.01 --gamma "$SCSP_GAMMA")
    run "$method-$split" --method "$method" "${extra[@]}" "${COMMON[@]}" "${SPLIT[@]}"
  done
  for keep in 0.1 0.01 0.001; do
    for gamma in $GAMMAS; do
      run "sparse-push-keep$keep-gamma$gamma-$split" --method sparse-push --graph exponential --keep "$keep" --gamma "$gamma" "${COMMON[@]}" "${SPLIT[@]}"
    done
  done
  run "scsp-keep0.01-gamma$SCSP_GAMMA-$split" --method scsp --graph exponential --keep 0.01 --gamma "$SCSP_GAMMA" --consensus-rounds 50 "${COMMON[@]}" "${SPLIT[@]}"
done
