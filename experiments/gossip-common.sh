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
