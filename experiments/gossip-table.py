#!/usr/bin/env python3
"""Prints the markdown table of docs/results.md's reduced decentralized experiment from run folders.

usage: gossip-table.py FOLDER...   (each a `nanofed gossip` run folder: metrics.csv, config.json, and evaluation.csv
when its metrics hold the first test set only). One row per run: its last training epoch, or for SCSP its consensus
phase (its training phase is the Sparse-Push run of the same options, bit for bit). Bytes per agent are the whole
training run's, a consensus row's its rounds' alone."""
import csv, json, os, sys

def pct(v):
    return f"{100 * float(v):.1f}" if v not in (None, "") else "-"

def agents(r, t):
    return f"{pct(r[t + '_mean'])} [{pct(r[t + '_min'])}, {pct(r[t + '_max'])}]"

def megabytes(b):
    return f"{float(b) / 1e6:,.2f} MB"

print("| split | method | keep | gamma | bytes/agent | x vs SGP | head: averaged | head: agents mean [min, max] "
      "| JPEG: averaged | JPEG: agents mean [min, max] | consensus distance |")
print("|---|---|---:|---:|---:|---:|---:|---|---:|---|---:|")
for folder in sys.argv[1:]:
    config = json.load(open(os.path.join(folder, "config.json")))
    rows = list(csv.DictReader(open(os.path.join(folder, "metrics.csv"))))
    evaluation = os.path.join(folder, "evaluation.csv")
    if "test_batch_jpeg75_mean" not in rows[0] and os.path.exists(evaluation):
        for e in csv.DictReader(open(evaluation)):
            for k in ("averaged", "mean", "min", "max"):
                rows[-1][f"{e['test_set']}_{k}"] = e[k]
    method = config["method"] + (f" over the {config['graph']}" if config.get("graph", "exponential") != "exponential" else "") + (f", {config['norm']}" if config.get("norm") not in (None, "", "batch") else "") + (f", form {config['form']}" if config["method"] == "sparse-push" and config["form"] != "B" else "") + (", quasi-global momentum" if config.get("quasi-global-momentum") else "") + (f", update tracking {config['update-tracking']:g}" if config.get("update-tracking") else "")
    if config["method"] == "scsp" and config.get("norm") in (None, "", "batch"):
        method += ", BatchNorm statistics gossiped" if config.get("consensus-bn") == "gossip" else ", BatchNorm statistics local"
    compressed = config["method"] in ("sparse-push", "scsp", "choco")
    keep = (f"{config['bits']}-bit quantization" if compressed and config.get("compressor") == "quantize"
            else f"{100 * config['keep']:g}%" if compressed else "-")
    gamma = f"{config['gamma']:g}" if compressed and config.get("gamma") is not None else "-"
    split = (f"skew {config['skew']:g}" if config.get("skew") is not None
             else f"Dirichlet {config['alpha']:g}" if config.get("alpha") is not None else "IID")
    consensus = [r for r in rows if r["phase"] == "consensus"]
    last = consensus[-1:] if config["method"] == "scsp" and consensus else [r for r in rows if r["phase"] == "training"][-1:]
    for r in last:
        name = method if r["phase"] == "training" else f"{method} + {r['consensus_rounds']} consensus rounds"
        ratio = r["compression_ratio"] if float(r["bytes_per_agent"]) > 0 else "-"
        print(f"| {split} | {name} | {keep} | {gamma} | {megabytes(r['cumulative_bytes_per_agent'] if r['phase'] == 'training' else r['bytes_per_agent'])} | {ratio} "
              f"| {pct(r['test_batch_head1017_averaged'])} | {agents(r, 'test_batch_head1017')} "
              f"| {pct(r.get('test_batch_jpeg75_averaged'))} | {agents(r, 'test_batch_jpeg75') if r.get('test_batch_jpeg75_mean') else '-'} "
              f"| {float(r['consensus_distance']):.3g} |")
