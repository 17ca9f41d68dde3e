#!/usr/bin/env python3
"""Prints docs/results.md's long-run table: dense SGP against Sparse-Push, epoch by epoch, with the accuracy gap.

usage: gossip-gap.py SGP_FOLDER SPARSE_PUSH_FOLDER   (two `nanofed gossip` run folders of the same schedule)
Accuracies are on the exact test head (the averaged model and the agents' mean); JPEG-75 columns are the averaged
model on the 10,000-image set; the gap is SGP minus Sparse-Push (agents' mean, exact head), in points."""
import csv, sys

def rows(folder):
    return {int(r["epoch"]): r for r in csv.DictReader(open(f"{folder}/metrics.csv")) if r["phase"] == "training"}

def pct(v):
    return f"{100 * float(v):.1f}" if v not in (None, "") else "-"

sgp, sp = rows(sys.argv[1]), rows(sys.argv[2])
print("| epoch | lr | SGP averaged | SGP agents mean [min, max] | SP averaged | SP agents mean [min, max] | gap (agents) "
      "| SGP consensus | SP consensus | JPEG averaged SGP / SP |")
print("|---:|---:|---:|---|---:|---|---:|---:|---:|---|")
h = "test_batch_head1017"
for e in sorted(set(sgp) | set(sp)):
    a, b = sgp.get(e), sp.get(e)
    def cells(r):
        if r is None:
            return ["-", "-"]
        return [pct(r[h + "_averaged"]), f"{pct(r[h + '_mean'])} [{pct(r[h + '_min'])}, {pct(r[h + '_max'])}]"]
    gap = f"{100 * (float(a[h + '_mean']) - float(b[h + '_mean'])):.1f}" if a and b else "-"
    lr = (a or b)["lr"]
    cons = [f"{float(r['consensus_distance']):.3g}" if r else "-" for r in (a, b)]
    jpeg = " / ".join(pct(r.get("test_batch_jpeg75_averaged")) if r else "-" for r in (a, b))
    print(f"| {e} | {float(lr):g} | {' | '.join(cells(a))} | {' | '.join(cells(b))} | {gap} | {cons[0]} | {cons[1]} | {jpeg} |")
