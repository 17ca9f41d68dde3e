#!/usr/bin/python3
"""PyTorch peer of `nanofed train --model resnet20`: the same recipe on the same files, for seconds per epoch
and accuracy measured on the same machine.

ResNet-20 option A (the definition in tests/fixtures/gen/gen_resnet20.py), batch 128, SGD with Nesterov momentum
0.9 and weight decay 5e-4, one-cycle to lr 0.1 with 15% warm-up (cosine, momentum not cycled, as NanoFed),
random crop with 4-pixel padding and horizontal flip, CIFAR mean/std normalization.
Usage: torch_train_cifar.py DATA_DIR EPOCHS THREADS [SEED]
"""
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "gen"))
from gen_resnet20 import ResNet20  # noqa: E402

MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
STD = torch.tensor([0.2470, 0.2435, 0.2616]).view(1, 3, 1, 1)


def read(path):
    raw = torch.frombuffer(bytearray(open(path, "rb").read()), dtype=torch.uint8).view(-1, 3073)
    return raw[:, 1:].reshape(-1, 3, 32, 32).clone(), raw[:, 0].long().clone()


def normalize(x):
    return (x.float() / 255 - MEAN) / STD


def augment(x, g):
    n = x.shape[0]
    padded = F.pad(x, (4, 4, 4, 4))
    dy = torch.randint(0, 9, (n,), generator=g)
    dx = torch.randint(0, 9, (n,), generator=g)
    flip = torch.rand(n, generator=g) < 0.5
    out = torch.empty_like(x)
    for i in range(n):
        img = padded[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32]
        out[i] = img.flip(2) if flip[i] else img
    return out


def evaluate(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(y), 500):
            correct += (model(normalize(x[i:i + 500])).argmax(1) == y[i:i + 500]).sum().item()
    model.train()
    return correct / len(y)


def main():
    root = os.path.join(sys.argv[1], "cifar-10-batches-bin")
    epochs, threads = int(sys.argv[2]), int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    parts = [read(os.path.join(root, f"data_batch_{i}.bin")) for i in range(1, 6)]
    x_train = torch.cat([p[0] for p in parts])
    y_train = torch.cat([p[1] for p in parts])
    tests = {name: read(os.path.join(root, name + ".bin")) for name in ("test_batch_head1017", "test_batch_jpeg75")}
    model = ResNet20()
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            torch.nn.init.kaiming_normal_(m.weight)
    steps_per_epoch = (len(y_train) + 127) // 128
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=epochs * steps_per_epoch,
                                                pct_start=0.15, cycle_momentum=False)
    g = torch.Generator().manual_seed(seed)
    print(f"torch {torch.__version__} threads={torch.get_num_threads()} resnet20 epochs={epochs}", flush=True)
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        order = torch.randperm(len(y_train), generator=g)
        correct = 0
        total_loss = 0.0
        for b in range(steps_per_epoch):
            idx = order[b * 128:(b + 1) * 128]
            x = normalize(augment(x_train[idx], g))
            y = y_train[idx]
            opt.zero_grad()
            out = model(x)
            loss = F.cross_entropy(out, y)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item() * len(y)
            correct += (out.argmax(1) == y).sum().item()
        train_s = time.perf_counter() - t0
        accs = {name: evaluate(model, *data) for name, data in tests.items()}
        total_s = time.perf_counter() - t0
        print(f"epoch {epoch}/{epochs}: train loss {total_loss / len(y_train):.4f} acc {100 * correct / len(y_train):.2f} %, "
              + ", ".join(f"{k} acc {100 * v:.2f} %" for k, v in accs.items())
              + f", {train_s:.1f} s training, {total_s:.1f} s with evaluation, {len(y_train) / train_s:.0f} img/s", flush=True)


if __name__ == "__main__":
    main()
