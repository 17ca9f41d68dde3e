#!/usr/bin/env bash
# Issue 18's Must-show 1 with local steps between gossips (--gossip-every H; docs/decentralized.md): the 30-epoch IID
# protocol of gossip-long.sh (8 agents, exponential graph, ResNet-20 with BatchNorm, batch 16), the compressed
# differences quantized to 4 bits (7.9x fewer bytes than dense SGP per exchange, gamma 1: the tuner's best with
# H = 16, e(T)/e(0) = 3e-10 after 30 gossips) and exchanged every H iterations: H = 16 is 126x fewer bytes than dense
# SGP. Run as SCSP with three consensus rounds after training: dense push-sum over the hops 1, 2
# and 4 of the exponential graph averages the 8 agents exactly, so every agent ends with the averaged model for the
# bytes of three dense messages (counted in the consensus phase's bytes). ONLY=NAME runs one configuration (the run
# folder's name without "long-"); rerun after an interruption: each continues from its last epoch checkpoint.
source "$(dirname "$0")/gossip-common.sh"
ONLY=${ONLY:-}
run() { [[ -z "$ONLY" || "$ONLY" == "$1" ]] && gossip_run "long-$@" || true; }
Q4=(--method scsp --consensus-rounds 3 --compressor quantize --bits 4 --gamma 1)
run scsp-q4-gamma1-every16-rounds3-iid "${Q4[@]}" --gossip-every 16 "${LONG_PROTOCOL[@]}"
# One period per learning-rate phase (Kong et al. 2021: the consensus distance matters most at the largest rate):
# 8 local steps per gossip until epoch 15, 128 after (118x by the byte formula); 32 then 512 (433x).
run scsp-q4-gamma1-every8-128-rounds3-iid "${Q4[@]}" --gossip-every 8,128 "${LONG_PROTOCOL[@]}"
run scsp-q4-gamma1-every32-512-rounds3-iid "${Q4[@]}" --gossip-every 32,512 "${LONG_PROTOCOL[@]}"
