#!/usr/bin/python3
"""PyTorch's side of `nanofed bench --scaling` and `--memory`, with the shared peer's models.

The shared peer (../shared/peers/torch_peer.py) times training steps at batch 128 with one thread count per run;
this script imports its ResNet20, vgg11 and train_step_time, so the models and the step are the very same.
Usage:
  torch_scaling_peer.py steps TORCH_PEER REPS THREADS,... BATCH,...
      prints "{net} train step bs={B} threads={T}: X ms" for resnet20 and vgg11, each thread count and batch size
  torch_scaling_peer.py memory TORCH_PEER THREADS STEPS
      runs STEPS ResNet-20 training steps at batch 128, then prints "resnet20 peak rss bs=128: X MB" (VmHWM)
  torch_scaling_peer.py small TORCH_PEER REPS THREADS
      prints "resnet20 train step bs=16: X ms" (a Sparse-Push agent's step) and "vgg11-ecofed train step bs=10: X ms"
      (a federated client's step on EcoFed's VGG11, defined here as NanoFed's ModelCatalog "vgg11-ecofed")
"""
import ctypes
import importlib.util
import sys

import torch
from torch import nn


def set_threads(threads):
    """PyTorch's thread count, and OpenBLAS's: set_num_threads does not bound Debian's pthread OpenBLAS (libblas.so.3),
    and one process here times several thread counts, so the environment's OPENBLAS_NUM_THREADS is only the ceiling."""
    torch.set_num_threads(threads)
    try:
        ctypes.CDLL("libblas.so.3").openblas_set_num_threads(threads)
    except (OSError, AttributeError):
        pass


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
        set_threads(t)
        for name, make in (("resnet20", peer.ResNet20), ("vgg11", peer.vgg11)):
            for b in batches:
                torch.manual_seed(0)
                s = peer.train_step_time(make(), b, reps)
                print(f"{name} train step bs={b} threads={t}: {s * 1e3:.1f} ms")
                sys.stdout.flush()


def memory(peer, threads, count):
    set_threads(threads)
    torch.manual_seed(0)
    # train_step_time runs two warm-up steps, then `count` timed ones.
    peer.train_step_time(peer.ResNet20(), 128, count)
    print(f"resnet20 peak rss bs=128: {peak_rss_mb():.1f} MB")


def vgg11_ecofed(classes=10):
    """EcoFed's VGG11: conv with bias, BatchNorm, ReLU; no last max-pool (features end at 512x2x2); torchvision's
    classifier on 2048 inputs. 34,440,970 parameters, as NanoFed's Vgg11Variant.EcoFed."""
    layers, channels = [], 3
    for v in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512]:
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(channels, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            channels = v
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(2048, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
                         nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5), nn.Linear(4096, classes))


def small(peer, reps, threads):
    set_threads(threads)
    for name, make, b in (("resnet20", peer.ResNet20, 16), ("vgg11-ecofed", vgg11_ecofed, 10)):
        torch.manual_seed(0)
        s = peer.train_step_time(make(), b, reps)
        print(f"{name} train step bs={b}: {s * 1e3:.2f} ms")
        sys.stdout.flush()


def main():
    mode, peer = sys.argv[1], load_peer(sys.argv[2])
    if mode == "steps":
        steps(peer, int(sys.argv[3]), [int(v) for v in sys.argv[4].split(",")], [int(v) for v in sys.argv[5].split(",")])
    elif mode == "memory":
        memory(peer, int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "small":
        small(peer, int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(f"unknown mode {mode!r}: steps, memory or small")


if __name__ == "__main__":
    main()
