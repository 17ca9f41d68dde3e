#!/usr/bin/python3
"""Compares the tensors of two safetensors files byte for byte (metadata, which holds timings, is ignored).

Usage: compare_checkpoints.py A.safetensors B.safetensors. Standard library only. Exit 0 when every tensor
has the same dtype, shape and bytes in both, 1 otherwise.
"""
import json
import struct
import sys


def tensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    start = 8 + n
    return {k: (v["dtype"], v["shape"], data[start + v["data_offsets"][0]:start + v["data_offsets"][1]]) for k, v in header.items()}


a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
print(f"{len(a)} and {len(b)} tensors; {len(differ)} differ" + (f": {', '.join(differ[:10])}" if differ else " (bit-identical)"))
sys.exit(1 if differ else 0)
