#!/usr/bin/env python3
"""Prints the per-epoch markdown table of docs/results.md's long non-IID runs from run folders, side by side.

usage: gossip-epochs.py [--epochs 1,5,10,...] LABEL=FOLDER...   (each FOLDER a `nanofed gossip` run folder). One row per
listed epoch that any run has reached, and a last row for SCSP's consensus phase; per run: the averaged model's
accuracy, the agents' mean [min, max] (exact test head, %) and the consensus distance. A run that has not reached an
epoch shows "-"."""
import argparse, csv, os

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", default="1,5,10,15,16,20,25,30")
parser.add_argument("runs", nargs="+", metavar="LABEL=FOLDER")
args = parser.parse_args()
epochs = [int(e) for e in args.epochs.split(",")]
runs = []
for spec in args.runs:
    label, _, folder = spec.partition("=")
    if not folder or not os.path.isfile(os.path.join(folder, "metrics.csv")):
        parser.error(f"{spec}: want LABEL=FOLDER, FOLDER holding metrics.csv")
    runs.append((label, list(csv.DictReader(open(os.path.join(folder, "metrics.csv"))))))

def pct(v):
    return f"{100 * float(v):.1f}" if v not in (None, "") else "-"

def cells(r):
    if r is None:
        return ["-", "-", "-"]
    t = "test_batch_head1017"
    return [pct(r[t + "_averaged"]), f"{pct(r[t + '_mean'])} [{pct(r[t + '_min'])}, {pct(r[t + '_max'])}]",
            f"{float(r['consensus_distance']):.3g}"]

header = ["epoch", "lr"] + [f"{label} {c}" for label, _ in runs for c in ("averaged", "agents [min, max]", "consensus")]
print("| " + " | ".join(header) + " |")
print("|---:|---:|" + "---:|---|---:|" * len(runs))
for epoch in epochs:
    found = [next((r for r in rows if r["phase"] == "training" and int(r["epoch"]) == epoch), None) for _, rows in runs]
    if not any(found):
        continue
    lr = next(f"{float(r['lr']):g}" for r in found if r)
    print(f"| {epoch} | {lr} | " + " | ".join(c for r in found for c in cells(r)) + " |")
final = [next((r for r in reversed(rows) if r["phase"] == "consensus"), None) for _, rows in runs]
if any(final):
    rounds = next(r["consensus_rounds"] for r in final if r)
    print(f"| + {rounds} consensus rounds | - | " + " | ".join(c for r in final for c in cells(r)) + " |")
