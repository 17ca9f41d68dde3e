#!/usr/bin/python3
"""Which OpenBLAS kernel PyTorch's SGEMM runs on, and whether it computes the right product.

NanoFed.Bench runs this before the peers, with OPENBLAS_VERBOSE=2 (OpenBLAS then prints "Core: <name>" on stderr)
and, when it forces a kernel, with OPENBLAS_CORETYPE=<name>. It trusts a kernel only if this check passes.
Usage: torch_blas_check.py THREADS
Prints "sgemm check m=M n=N k=K: max error E of |A||B|": over sampled entries of C = A @ B (float32, PyTorch, so
OpenBLAS's SGEMM), the largest |C_ij - R_ij| / (|A||B|)_ij, where R is the float64 product computed here in plain
Python, independent of OpenBLAS. Odd sizes put edge tiles in every loop of the kernel; the sample covers three
whole rows, three whole columns and 256 random entries. E is "inf" when C holds a NaN or an infinity.
"""
import math
import random
import sys

import torch


def main():
    torch.set_num_threads(int(sys.argv[1]))
    torch.manual_seed(0)
    m, n, k = 515, 263, 517
    a = torch.randn(m, k)
    b = torch.randn(k, n)
    c = (a @ b).tolist()
    rows = a.tolist()
    cols = b.t().tolist()
    picks = random.Random(0)
    entries = {(i, j) for i in (0, m // 2, m - 1) for j in range(n)}
    entries |= {(i, j) for j in (0, n // 2, n - 1) for i in range(m)}
    entries |= {(picks.randrange(m), picks.randrange(n)) for _ in range(256)}
    worst = 0.0
    for i, j in sorted(entries):
        products = [x * y for x, y in zip(rows[i], cols[j])]
        err = abs(c[i][j] - math.fsum(products)) / math.fsum(abs(p) for p in products)
        if not math.isfinite(err):
            worst = math.inf
            break
        worst = max(worst, err)
    print(f"sgemm check m={m} n={n} k={k}: max error {worst:.3e} of |A||B|")


if __name__ == "__main__":
    main()
