#!/usr/bin/python3
"""Does PyTorch load a NanoFed ResNet-20 checkpoint, and compute the same logits?

One command (from the repository root, after `dotnet build NanoFed.sln -c Release`):

    /usr/bin/python3 tests/interop/check_pytorch_load.py [--checkpoint runs/X/last.safetensors] [--data DIR]

Without --checkpoint it first trains a tiny ResNet-20 run (`nanofed train --model resnet20 --epochs 1 --limit 512`,
so the batch-norm running statistics are not trivial). It then parses the checkpoint with json/struct only (no
safetensors package), keeps the model entries (drops "optimizer." and "trainer."), builds the CIFAR ResNet-20 of
option A (the structure of tests/fixtures/gen/gen_resnet20.py), loads the state dict with strict=True, and compares
eval-mode logits on a fixed input with those of `nanofed logits`. Exit code 0 when they agree within 1e-4.
Standard library and torch only.
"""
import argparse
import json
import os
import struct
import shutil
import subprocess
import sys
import tempfile

import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "fixtures", "gen"))
from gen_resnet20 import ResNet20  # noqa: E402  (the one PyTorch definition the fixtures use too)
DTYPES = {"F32": torch.float32, "I64": torch.int64, "I32": torch.int32, "U8": torch.uint8}
RESERVED = ("optimizer.", "trainer.")


def read_safetensors(path):
    """(tensors by name, metadata) from a safetensors file, parsed by hand."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = blob[8 + n:]
    tensors = {}
    for name, spec in header.items():
        begin, end = spec["data_offsets"]
        raw = bytearray(data[begin:end])
        t = torch.frombuffer(raw, dtype=DTYPES[spec["dtype"]]) if raw else torch.empty(0, dtype=DTYPES[spec["dtype"]])
        tensors[name] = t.reshape(spec["shape"]).clone()
    return tensors, metadata


def tensor_bytes(t):
    """Raw little-endian float32 bytes of t without numpy (torch may be built without it)."""
    t = t.to(torch.float32).contiguous().flatten()
    return struct.pack(f"<{t.numel()}f", *t.tolist())


def nanofed():
    exe = os.path.join(REPO, "src", "Cli", "bin", "Release", "net10.0", "nanofed")
    if not os.path.exists(exe) and not os.path.exists(exe + ".dll"):
        sys.exit(f"{exe}: not built (run: dotnet build NanoFed.sln -c Release)")
    return [exe] if os.path.exists(exe) else ["dotnet", exe + ".dll"]


def data_root(option):
    if option:
        return option
    if os.environ.get("NANOFED_DATA"):
        return os.environ["NANOFED_DATA"]
    d = REPO
    while d != os.path.dirname(d):
        candidate = os.path.join(d, "shared", "data")
        if os.path.isdir(candidate):
            return candidate
        d = os.path.dirname(d)
    sys.exit("no data: pass --data DIR or set NANOFED_DATA")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="a NanoFed ResNet-20 checkpoint (default: train a tiny one)")
    parser.add_argument("--data", help="data root for the tiny run (default: NANOFED_DATA or shared/data)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="nanofed-interop-")
    checkpoint = args.checkpoint
    if checkpoint is None:
        run = os.path.join(work, "run")
        cmd = nanofed() + ["train", "--model", "resnet20", "--dataset", "cifar10", "--epochs", "1", "--limit", "512",
                           "--batch", "64", "--lr", "0.05", "--data", data_root(args.data),
                           "--test-files", "test_batch_head1017.bin", "--out", run]
        print("$", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        checkpoint = os.path.join(run, "last.safetensors")

    tensors, metadata = read_safetensors(checkpoint)
    config = json.loads(metadata["config"])
    if config["model"] != "resnet20":
        sys.exit(f"{checkpoint}: model {config['model']}, this check builds resnet20")
    state = {k: v for k, v in tensors.items() if not k.startswith(RESERVED)}
    model = ResNet20()
    model.load_state_dict(state, strict=True)
    model.eval()
    nbt = state["bn1.num_batches_tracked"]
    print(f"loaded {len(state)} entries strictly from {checkpoint} "
          f"(num_batches_tracked {nbt.dtype} = {int(nbt)}, epoch {int(tensors['trainer.epoch'])})")

    g = torch.Generator().manual_seed(0)
    x = torch.randn(8, 3, 32, 32, generator=g)
    inp, out = os.path.join(work, "input.safetensors"), os.path.join(work, "logits.safetensors")
    header, blob = {"input": {"dtype": "F32", "shape": list(x.shape), "data_offsets": [0, 4 * x.numel()]}}, tensor_bytes(x)
    text = json.dumps(header).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(inp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + blob)
    subprocess.run(nanofed() + ["logits", "--checkpoint", checkpoint, "--input", inp, "--output", out], check=True)
    ours = read_safetensors(out)[0]["logits"]
    with torch.no_grad():
        theirs = model(x)
    diff = (ours - theirs).abs().max().item()
    scale = theirs.abs().max().item()
    agree = (ours.argmax(1) == theirs.argmax(1)).all().item()
    print(f"logits (8, 10): max |NanoFed - PyTorch| = {diff:.3g} (max |logit| {scale:.3g}), argmax agree: {agree}")
    ok = diff <= 1e-4 * max(1.0, scale)
    print("OK" if ok else "MISMATCH")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
