#!/usr/bin/env bash
# Issue 21's measured cluster runs (docs/cluster.md): each run on two silo processes of one machine (--threads 1
# each), then the same command in one process (--threads 2); the resident memory of every process sampled every 3 s
# (ps -o rss) with the load average, the wall time of each run, and the run folders compared with cmp.
#   population: FedAvg, SmallCnn on Fashion-MNIST, 10,000 clients of 6 images, 100 per round, 20 rounds
#   gossip:     Sparse-Push, 4 agents of SmallCnn, 2 epochs (gossip --cluster against gossip)
#   ecofed:     EcoFed's reduced CIFAR-10 setup (experiments/fl-reduced.sh) at 100 clients, 20 per round, 2 rounds,
#               with no pre-trained front (a frozen random one: training one takes over half an hour on this host)
# Usage: experiments/cluster-runs.sh [OUT_DIR] [WHICH...]   (WHICH: population gossip ecofed; default all)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=$(realpath -m "${1:-runs/cluster}")
shift || true
WHICH=${*:-"population gossip ecofed"}
FASHION=${FASHION:-/usr/share/datasets}
CIFAR=${CIFAR:-../shared/data}

dotnet build src/Cli -c Release 2>&1 | grep -E "error|rror\(s\)" || true
BIN=$(mktemp -d)
cp -r src/Cli/bin/Release/net10.0/. "$BIN"
nanofed() { dotnet "$BIN/nanofed.dll" "$@"; }
mkdir -p "$OUT"
cd "$OUT"

# Every 3 s until process $1 ends: epoch seconds, 1-minute load average, then "pid rss_kB" of each pid in $2 (comma-separated).
sample() { while kill -0 "$1" 2>/dev/null; do echo "$(date +%s) $(cut -d' ' -f1 /proc/loadavg) $(ps -o pid=,rss= -p "$2" | tr '\n' ' ')"; sleep 3; done; }
silos() {
  nanofed silo --cluster "$1" --silo-port 21151 --gateway-port 31051 --data "$2" --threads 1 --state "$OUT/state-$1" > "silo1-$1.log" 2>&1 & S1=$!
  sleep 8
  nanofed silo --cluster "$1" --silo-port 21152 --gateway-port 31052 --primary-port 21151 --data "$2" --threads 1 --state "$OUT/state-$1" > "silo2-$1.log" 2>&1 & S2=$!
  sleep 8
}
# $1 name, $2 command (fl|gossip), $3 cluster id, $4 data root, $5... options: the cluster run, then the simulation.
compare() {
  local name=$1 verb=$2 id=$3 data=$4; shift 4
  silos "$id" "$data"
  echo "$name cluster start $(date -u +%T) load $(cat /proc/loadavg)"
  local t0=$(date +%s.%N)
  nanofed "$verb" "$@" --cluster "$id" --gateway-port 31051 --threads 1 --out "$OUT/$name-cluster" > "$name-cluster.log" 2>&1 & local f=$!
  sample $f "$S1,$S2,$f" > "rss-$name-cluster.log"
  wait $f; echo "$name cluster rc $? wall $(echo "$(date +%s.%N) - $t0" | bc) s, load $(cat /proc/loadavg)"
  kill $S1 $S2; wait $S1 $S2 2>/dev/null
  echo "$name simulation start $(date -u +%T) load $(cat /proc/loadavg)"
  t0=$(date +%s.%N)
  nanofed "$verb" "$@" --threads 2 --out "$OUT/$name-sim" > "$name-sim.log" 2>&1 & f=$!
  sample $f "$f" > "rss-$name-sim.log"
  wait $f; echo "$name simulation rc $? wall $(echo "$(date +%s.%N) - $t0" | bc) s, load $(cat /proc/loadavg)"
  for file in checkpoint.safetensors ledger.csv metrics.csv; do
    [ -f "$name-sim/$file" ] && cmp "$name-sim/$file" "$name-cluster/$file" && echo "$name $file identical"
  done
}

for W in $WHICH; do
  case $W in
    population) compare population fl pop "$FASHION" --method fedavg --model smallcnn --clients 10000 --per-round 100 --rounds 20 \
      --samples-per-client 6 --seed 3 --data "$FASHION" ;;
    gossip) compare gossip gossip gos "$FASHION" --method sparse-push --agents 4 --graph exponential --model smallcnn --limit 2048 \
      --test-limit 500 --batch 16 --epochs 2 --lr 0.05 --keep 0.1 --seed 5 --data "$FASHION" ;;
    ecofed) compare ecofed fl eco "$CIFAR" --method ecofed --model vgg11-ecofed --split-index 8 --data "$CIFAR" --split iid --clients 100 \
      --samples-per-client 400 --client-pool 0:40000 --per-round 20 --rounds 2 --local-epochs 1 --batch 10 --lr 0.01 --momentum 0.9 \
      --seed 0 --bits 8 --period 2 --test-files test_batch_head1017.bin ;;
    *) echo "unknown run $W (population, gossip, ecofed)"; exit 2 ;;
  esac
done
