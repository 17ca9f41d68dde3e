#!/usr/bin/python3
"""PyTorch timing of the convolution shapes NanoFed.Bench asks for, in the same invocation.

The shared peer (../shared/peers/torch_peer.py) times three forward shapes only; this one times any list of
shapes, forward and both backwards, so every convolution figure in docs/results.md has PyTorch's beside it.
Usage: torch_conv_peer.py THREADS REPS N,C,H,W,K,R,S,STRIDE,PAD ...
Prints one line per shape and pass, named as NanoFed.Bench names its cases:
"conv{R}x{S} {pass} C={C} K={K} HW={H} s={stride} N={N}: X GFLOP/s (T ms)".
"""
import sys
import time

import torch
import torch.nn.functional as F


def median_time(fn, reps):
    fn()
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    return ts[len(ts) // 2]


def main():
    torch.set_num_threads(int(sys.argv[1]))
    reps = int(sys.argv[2])
    torch.manual_seed(0)
    for spec in sys.argv[3:]:
        n, c, h, w, k, r, s, stride, pad = (int(v) for v in spec.split(","))
        p = (h + 2 * pad - r) // stride + 1
        q = (w + 2 * pad - s) // stride + 1
        flops = 2.0 * n * k * c * r * s * p * q

        def report(label, t):
            print(f"conv{r}x{s} {label} C={c} K={k} HW={h} s={stride} N={n}: {flops / t / 1e9:.1f} GFLOP/s ({t * 1e3:.2f} ms)")
            sys.stdout.flush()

        x = torch.randn(n, c, h, w)
        wt = torch.randn(k, c, r, s)
        y = F.conv2d(x, wt, None, stride, pad)
        dy = torch.randn_like(y)
        with torch.no_grad():
            t = median_time(lambda: F.conv2d(x, wt, None, stride, pad), reps)
        report("fwd", t)
        # The native op autograd calls, asked for one gradient at a time.
        for label, mask in (("bwd_data", [True, False, False]), ("bwd_weight", [False, True, False])):
            t = median_time(lambda: torch.ops.aten.convolution_backward(
                dy, x, wt, None, [stride] * 2, [pad] * 2, [1, 1], False, [0, 0], 1, mask), reps)
            report(label, t)


if __name__ == "__main__":
    main()
