#!/usr/bin/env bash
# The reduced decentralized experiment: 8 agents, ResNet-20 option B on CIFAR-10, batch 16 per agent, lr 0.1, the same
# E epochs for every configuration (E = 1 by default: one configuration takes 4-5 minutes on one core), on IID data
# and on skew 1.0: all-reduce, SGP, D-PSGD, CHOCO, no communication, Sparse-Push at keep 10%, 1% and 0.1%, and SCSP.
# On IID data Sparse-Push runs every gamma of its keep's sweep (GAMMAS_10, GAMMAS_1, GAMMAS_01); on skewed data, and
# for CHOCO and SCSP, each keep uses the sweep's best (BEST_10, BEST_1, BEST_01): the best averaged model on the JPEG
# test set, ties broken by the agents' mean there. SCSP runs with the agents' BatchNorm statistics local during its
# consensus rounds (the spec's default) and gossiped (--consensus-bn gossip). ONLY="NAME..." runs only those
# configurations (names as below, without the reduced-E$E- prefix). Sparse-Push with AdaGossip's per-coordinate
# consensus step runs at keep 1% and 0.1% on IID data (ADA_1, ADA_01).
E=${E:-1}
GAMMAS_10=${GAMMAS_10:-"0.05 0.5 1"}
GAMMAS_1=${GAMMAS_1:-"0.002 0.01 0.05 0.2 0.5"}
GAMMAS_01=${GAMMAS_01:-"0.002 0.01 0.05"}
BEST_10=${BEST_10:-0.5}
BEST_1=${BEST_1:-0.05}
BEST_01=${BEST_01:-0.002}
# AdaGossip (--consensus-step adagossip) at the consensus-step tuner's best gamma for it (docs/results.md), IID only.
ADA_1=${ADA_1:-0.01}
ADA_01=${ADA_01:-0.005}
ONLY=${ONLY:-}
GOSSIP_OPTIONS=${GOSSIP_OPTIONS:-} # more options of every configuration (faults-reduced.sh: --message-loss Q)
source "$(dirname "$0")/gossip-common.sh"
# No milestone inside E epochs: one warm-up epoch at 0.01 when E > 1, then 0.1.
WARMUP=$(( E > 1 ? 1 : 0 ))
COMMON=(--agents 8 --model resnet20b --batch 16 --epochs "$E" --lr 0.1 --warmup-epochs "$WARMUP" --seed 0
  --test-files test_batch_head1017.bin,test_batch_jpeg75.bin $GOSSIP_OPTIONS)
run() {
  local name=$1; shift
  if [[ -z "$ONLY" || " $ONLY " == *" $name "* ]]; then gossip_run "reduced-E$E-$name" "$@"; fi
}
sparse_push() { # sparse_push KEEP GAMMA SPLIT OPTION...
  local keep=$1 gamma=$2 split=$3; shift 3
  run "sparse-push-keep$keep-gamma$gamma-$split" --method sparse-push --graph exponential --keep "$keep" --gamma "$gamma" "${COMMON[@]}" "$@"
}
for split in iid skew1; do
  SPLIT=(); [[ $split == skew1 ]] && SPLIT=(--skew 1.0)
  # D-PSGD and CHOCO need an undirected graph (symmetric Metropolis weights): the undirected ring; the others use
  # SGP's time-varying directed exponential graph.
  for method in allreduce sgp dpsgd choco none; do
    extra=(--graph exponential)
    [[ $method == dpsgd ]] && extra=(--graph undirected-ring)
    [[ $method == choco ]] && extra=(--graph undirected-ring --compressor topk --keep 0.01 --gamma "$BEST_1")
    run "$method-$split" --method "$method" "${extra[@]}" "${COMMON[@]}" "${SPLIT[@]}"
  done
  if [[ $split == iid ]]; then
    for gamma in $GAMMAS_10; do sparse_push 0.1 "$gamma" $split; done
    for gamma in $GAMMAS_1; do sparse_push 0.01 "$gamma" $split; done
    for gamma in $GAMMAS_01; do sparse_push 0.001 "$gamma" $split; done
    run "sparse-push-keep0.01-gamma$ADA_1-adagossip-$split" --method sparse-push --graph exponential --keep 0.01 --gamma "$ADA_1" --consensus-step adagossip "${COMMON[@]}"
    run "sparse-push-keep0.001-gamma$ADA_01-adagossip-$split" --method sparse-push --graph exponential --keep 0.001 --gamma "$ADA_01" --consensus-step adagossip "${COMMON[@]}"
  else
    sparse_push 0.1 "$BEST_10" $split "${SPLIT[@]}"
    sparse_push 0.01 "$BEST_1" $split "${SPLIT[@]}"
    sparse_push 0.001 "$BEST_01" $split "${SPLIT[@]}"
  fi
  for bn in local gossip; do
    name="scsp-keep0.01-gamma$BEST_1-$split"; [[ $bn == gossip ]] && name="scsp-bn-gossip-keep0.01-gamma$BEST_1-$split"
    run "$name" --method scsp --graph exponential --keep 0.01 --gamma "$BEST_1" --consensus-rounds 50 --consensus-bn $bn "${COMMON[@]}" "${SPLIT[@]}"
  done
done
