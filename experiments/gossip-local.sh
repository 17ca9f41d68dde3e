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
# Bursts (--gossip-burst 3): the last three iterations of every period gossip over the hops 1, 2 and 4, which average
# the 8 agents exactly (local SGD's periodic averaging, by gossip); every 96 iterations, then 768 after the first
# decay: 412x by the byte formula with the consensus rounds. Stopped after epoch 5, behind every 32 then 512 (the same
# bytes at lr 0.1) in training loss and accuracy.
run scsp-q4-gamma1-burst3-every96-768-rounds3-iid "${Q4[@]}" --gossip-every 96,768 --gossip-burst 3 "${LONG_PROTOCOL[@]}"
# The codes entropy-coded (--entropy-coding, lossless: the run of every 8 then 128 bit for bit, in fewer bytes), and
# every 8 then 48 after the decay, where every 8 then 128 trails dense SGP (consensus distance 1.4). The consensus
# rounds also average the BatchNorm statistics (--consensus-bn gossip): with local statistics the agents of every 8
# then 128 ended 0.4 points below their averaged model although their parameters agreed to 2e-6.
run scsp-q4rans-gamma1-every8-128-rounds3bn-iid "${Q4[@]}" --entropy-coding --consensus-bn gossip --gossip-every 8,128 "${LONG_PROTOCOL[@]}"
run scsp-q4rans-gamma1-every8-48-rounds3bn-iid "${Q4[@]}" --entropy-coding --consensus-bn gossip --gossip-every 8,48 "${LONG_PROTOCOL[@]}"
# The coding's headroom spent on more frequent gossip: every 5, then 32 (about 110x with the coding).
run scsp-q4rans-gamma1-every5-32-rounds3bn-iid "${Q4[@]}" --entropy-coding --consensus-bn gossip --gossip-every 5,32 "${LONG_PROTOCOL[@]}"
# Toward 400x (session 26): the phase before the first decay holds about nine tenths of the bytes, so fewer of its
# gossips (every 20: 411x by the byte formula with every 8 then 128's 82 KB per coded message) or cheaper ones (3-bit
# codes, whose entropy-coded messages are smaller, every 12 then 256).
run scsp-q4rans-gamma1-every20-128-rounds3bn-iid "${Q4[@]}" --entropy-coding --consensus-bn gossip --gossip-every 20,128 "${LONG_PROTOCOL[@]}"
Q3=(--method scsp --consensus-rounds 3 --compressor quantize --bits 3 --gamma 1)
run scsp-q3rans-gamma1-every12-256-rounds3bn-iid "${Q3[@]}" --entropy-coding --consensus-bn gossip --gossip-every 12,256 "${LONG_PROTOCOL[@]}"
# The consensus rounds as six rounds of 8-bit codes (--consensus-compressor quantize --consensus-bits 8, 1.44 MB
# instead of the dense rounds' 3.29), and the 3-bit run with every 128 after the decay. Run as forks (a copy of the
# folder at the epoch-29 or epoch-15 checkpoint, config.json edited); from scratch each is the same run.
Q8ROUNDS=(--method scsp --consensus-rounds 6 --consensus-compressor quantize --consensus-bits 8 --consensus-bn gossip --compressor quantize
  --entropy-coding --gamma 1)
run scsp-q4rans-gamma1-every20-128-rounds6q8bn-iid "${Q8ROUNDS[@]}" --bits 4 --gossip-every 20,128 "${LONG_PROTOCOL[@]}"
run scsp-q3rans-gamma1-every12-256-rounds6q8bn-iid "${Q8ROUNDS[@]}" --bits 3 --gossip-every 12,256 "${LONG_PROTOCOL[@]}"
run scsp-q3rans-gamma1-every12-128-rounds6q8bn-iid "${Q8ROUNDS[@]}" --bits 3 --gossip-every 12,128 "${LONG_PROTOCOL[@]}"
