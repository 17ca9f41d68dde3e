#!/usr/bin/python3
"""PyTorch's side of `nanofed bench --scaling` and `--memory`, with the shared peer's models.

The shared peer (../shared/peers/torch_peer.py) times training steps at batch 128 with one thread count per run;
this script imports its ResNet20, vgg11 and train_step_time, so the models and the step are the very same.
Usage:
  torch_scaling_peer.py steps TORCH_PEER REPS THREADS,... BATCH,...
      prints "{net} train step bs={B} threads={T}: X ms" for resnet20 and vgg11, each thread count and batch size
  torch_scaling_peer.py memory TORCH_PEER THREADS STEPS
      runs STEPS ResNet-20 training steps at batch 128, then prints "resnet20 peak rss bs=128: X MB" (VmHWM)
"""
import importlib.util
import sys

import torch


def load_peer(path):
    spec = importlib.util.spec_from_file_location("torch_peer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def steps(peer, reps, threads, batches):
    for t in threads:
        torch.set_num_threads(t)
        for name, make in (("resnet20", peer.ResNet20), ("vgg11", peer.vgg11)):
            for b in batches:
                torch.manual_seed(0)
                s = peer.train_step_time(make(), b, reps)
                print(f"{name} train step bs={b} threads={t}: {s * 1e3:.1f} ms")
                sys.stdout.flush()


def memory(peer, threads, count):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    # train_step_time runs two warm-up steps, then `count` timed ones.
    peer.train_step_time(peer.ResNet20(), 128, count)
    print(f"resnet20 peak rss bs=128: {peak_rss_mb():.1f} MB")


def main():
    mode, peer = sys.argv[1], load_peer(sys.argv[2])
    if mode == "steps":
        steps(peer, int(sys.argv[3]), [int(v) for v in sys.argv[4].split(",")], [int(v) for v in sys.argv[5].split(",")])
    elif mode == "memory":
        memory(peer, int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(f"unknown mode {mode!r}: steps or memory")


if __name__ == "__main__":
    main()
