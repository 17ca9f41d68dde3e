#!/usr/bin/env bash
# Issue 18's Must-show 1 with local steps between gossips (--gossip-every H; docs/decentralized.md): the 30-epoch IID
# protocol of gossip-long.sh (8 agents, exponential graph, ResNet-20 with BatchNorm, batch 16), the compressed
# differences quantized to 4 bits (7.9x fewer bytes than dense SGP per exchange, gamma 1: the tuner's best with
# H = 16, e(T)/e(0) = 3e-10 after 30 gossips) and exchanged every H iterations: H = 16 is 126x fewer bytes than dense
# SGP, H = 64 about 500x. ONLY=NAME runs one configuration (the run folder's name without "long-"); rerun after an
# interruption: each continues from its last epoch checkpoint.
source "$(dirname "$0")/gossip-common.sh"
ONLY=${ONLY:-}
run() { [[ -z "$ONLY" || "$ONLY" == "$1" ]] && gossip_run "long-$@" || true; }
Q4=(--method sparse-push --compressor quantize --bits 4 --gamma 1)
run sparse-push-q4-gamma1-every16-iid "${Q4[@]}" --gossip-every 16 "${LONG_PROTOCOL[@]}"
run sparse-push-q4-gamma1-every64-iid "${Q4[@]}" --gossip-every 64 "${LONG_PROTOCOL[@]}"
