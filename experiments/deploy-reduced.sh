#!/usr/bin/env bash
# Issue 16, Must-show 5: the reduced CIFAR-10 setup of experiments/fl-reduced.sh (VGG11 EcoFed variant, split after
# the second conv block, 400 images per client from images 0..39,999, E = 1, B = 10, lr 0.01, momentum 0.9) run twice
# per method: as the in-process simulation, and as 1 `nanofed server` + DEVICES `nanofed device` processes on
# 127.0.0.1 over TLS with tokens. DEVICES clients, all sampled every round. Prints the wall time of each round (from
# the time stamps of the round lines), checks that both runs end with the same checkpoint and ledger, and counts the
# bytes that crossed the loopback interface during the deployed run (TLS, HTTP/2, TCP/IP included) beside the ledger
# and the gRPC framing of deploy.json. Run it on a quiet machine: the loopback count takes everything on `lo`.
# Usage: experiments/deploy-reduced.sh [DATA_DIR] [OUT_DIR]   (EcoFed needs FRONT, the front of fl-reduced.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${1:-../shared/data}
OUT=${2:-runs/deploy-reduced}
DEVICES=${DEVICES:-8}
ROUNDS=${ROUNDS:-3}
METHODS=${METHODS:-"fedavg ecofed"}
FRONT=${FRONT:-runs/fl-reduced/front/final.safetensors}
SIM_THREADS=${SIM_THREADS:-2}     # the simulation gets the whole machine, as each device process gets one thread
SERVER_THREADS=${SERVER_THREADS:-2}  # the server works while the devices wait (EcoFed's training, the evaluations)
PORT=${PORT:-5601}
# Without a limit each process's GC lets garbage (copies of the 138 MB model, one per message) grow to gigabytes, and
# 8 devices and the server exceed 24 GB (the kernel killed the server); a device's live data is under 1 GB.
DEVICE_HEAP=${DEVICE_HEAP:-0x50000000}   # 1.25 GiB
SERVER_HEAP=${SERVER_HEAP:-0x100000000}  # 4 GiB

dotnet build src/Cli -c Release 2>&1 | grep -E " error |rror\(s\)" || true
BIN=$(mktemp -d)
cp -r src/Cli/bin/Release/net10.0/. "$BIN"
nanofed() { dotnet "$BIN/nanofed.dll" "$@"; }
# Prefixes every line with the seconds since the epoch, so that round times can be read off the log.
stamp() { while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done; }
lo_bytes() { awk '$1 == "lo:" { print $2 }' /proc/net/dev; }
# round_times LOG START: the wall seconds of each round line of LOG, the first counted from START (start-up included).
round_times() { awk -v s="$2" '$2 == "round" { printf "  round %s %.1f s\n", $3, $1 - s; s = $1 }' "$1"; }

KEYS="$OUT/keys"
mkdir -p "$KEYS"
if [[ ! -f "$KEYS/node.pfx" ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$KEYS/node.key" -out "$KEYS/node.crt" \
    -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
  openssl pkcs12 -export -passout pass: -inkey "$KEYS/node.key" -in "$KEYS/node.crt" -out "$KEYS/node.pfx"
  { echo "-1 $(openssl rand -hex 32)"; for ((i = 0; i < DEVICES; i++)); do echo "$i $(openssl rand -hex 32)"; done; } > "$KEYS/tokens.txt"
  chmod 600 "$KEYS/tokens.txt" "$KEYS/node.key"
fi

for METHOD in $METHODS; do
  EXTRA=()
  if [[ "$METHOD" == ecofed ]]; then
    EXTRA=(--bits 8 --period 2)
    if [[ -f "$FRONT" ]]; then EXTRA+=(--front "$(realpath "$FRONT")"); else echo "== ecofed: $FRONT not found, EcoFed starts from a random front"; fi
  fi
  DIR="$OUT/$METHOD"
  rm -rf "$DIR" && mkdir -p "$DIR"
  nanofed fl --method "$METHOD" --model vgg11-ecofed --split-index 8 --data "$DATA" --split iid --clients "$DEVICES" \
    --samples-per-client 400 --client-pool 0:40000 --per-round "$DEVICES" --rounds "$ROUNDS" --local-epochs 1 --batch 10 \
    --lr 0.01 --momentum 0.9 --seed 0 --eval-every "$ROUNDS" "${EXTRA[@]}" --out "$DIR/sim" --dry-run > "$DIR/run.json"

  echo "== $METHOD: in-process simulation, $SIM_THREADS threads"
  start=$(date +%s.%N)
  nanofed fl --config "$DIR/run.json" --data "$DATA" --threads "$SIM_THREADS" --out "$DIR/sim" 2>&1 | stamp > "$DIR/sim.log"
  round_times "$DIR/sim.log" "$start" | tee "$DIR/sim-rounds.txt"

  echo "== $METHOD: 1 server + $DEVICES device processes"
  before=$(lo_bytes)
  start=$(date +%s.%N)
  DOTNET_GCHeapHardLimit=$SERVER_HEAP nanofed server --config "$DIR/run.json" --listen "https://127.0.0.1:$PORT" --tokens "$KEYS/tokens.txt" \
    --cert "$KEYS/node.pfx" --out "$DIR/deployed" --data "$DATA" --threads "$SERVER_THREADS" 2>&1 | stamp > "$DIR/server.log" &
  server=$!
  devices=()
  for ((i = 0; i < DEVICES; i++)); do
    DOTNET_GCHeapHardLimit=$DEVICE_HEAP nanofed device --server "https://127.0.0.1:$PORT" --client "$i" --token-file "$KEYS/tokens.txt" --config "$DIR/run.json" \
      --cert "$KEYS/node.pfx" --data "$DATA" --threads 1 > "$DIR/device$i.log" 2>&1 &
    devices+=($!)
  done
  wait "$server"
  for d in "${devices[@]}"; do wait "$d" || echo "a device exited with $?"; done
  after=$(lo_bytes)
  round_times "$DIR/server.log" "$start" | tee "$DIR/deployed-rounds.txt"
  echo "$((after - before))" > "$DIR/loopback-bytes.txt"

  for f in checkpoint.safetensors ledger.csv; do
    if cmp -s "$DIR/sim/$f" "$DIR/deployed/$f"; then echo "$METHOD: $f identical"; else echo "$METHOD: $f DIFFERS"; fi
  done
  echo "$METHOD: loopback bytes $((after - before)); deploy.json: $(tr -d '\n ' < "$DIR/deployed/deploy.json")"
done
