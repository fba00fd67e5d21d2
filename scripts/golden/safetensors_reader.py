#!/usr/bin/env python3
"""An independent reader of descent's checkpoints, written from the published
safetensors format (https://huggingface.co/docs/safetensors): an unsigned
64-bit little-endian header length N, N bytes of JSON mapping tensor names to
{"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the end
of the header) plus an optional "__metadata__" map of strings, then the raw
little-endian tensor bytes. It needs numpy only; with torch it also loads the
weights into a torch.nn.Sequential and predicts.

    safetensors_reader.py CHECKPOINT_DIR_OR_FILE [MNIST_DIR]

reads model.safetensors (from DIR/LATEST when given a checkpoint folder),
prints the tensors, and, given MNIST_DIR (the four IDX files, gz or raw),
predicts the 10000 test images in PyTorch and prints one predicted class per
line after a line "classes:".
"""
import gzip
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4", "U8": "u1"}


def read_safetensors(path):
    """Returns ({name: numpy array}, metadata dict)."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > len(buf) - 8:
        raise ValueError(f"{path}: header length {n} exceeds the file")
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    data = memoryview(buf)[8 + n:]
    meta = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        dt = np.dtype(DTYPES[e["dtype"]])
        shape = tuple(e["shape"])
        if not 0 <= begin <= end <= len(data) or end - begin != int(np.prod(shape, dtype=np.int64)) * dt.itemsize:
            raise ValueError(f"{path}: tensor {name}: bad data_offsets {begin, end} for shape {shape}")
        tensors[name] = np.frombuffer(data[begin:end], dtype=dt).reshape(shape)
    return tensors, meta


def model_file(path):
    if os.path.isdir(path):
        if not os.path.exists(os.path.join(path, "MANIFEST.json")):
            with open(os.path.join(path, "LATEST")) as f:
                path = os.path.join(path, f.read().strip())
        path = os.path.join(path, "model.safetensors")
    return path


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        b = f.read()
    ndim = b[3]
    dims = struct.unpack(">" + "I" * ndim, b[4:4 + 4 * ndim])
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(d, base):
    for name in (base, base + ".gz"):
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    raise FileNotFoundError(os.path.join(d, base))


def main():
    path = model_file(sys.argv[1])
    tensors, meta = read_safetensors(path)
    for name in sorted(tensors):
        print(f"{name} {tensors[name].dtype} {list(tensors[name].shape)}", file=sys.stderr)
    if len(sys.argv) < 3:
        return
    import torch

    cfg = json.loads(meta["model"])
    acts = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU,
            "linear": torch.nn.Identity, "softmax": lambda: torch.nn.Softmax(dim=1)}
    layers, fan_in = [], cfg["input"]
    for i, l in enumerate(cfg["layers"]):
        lin = torch.nn.Linear(fan_in, l["units"])
        with torch.no_grad():
            # descent's kernel is [in, out] (y = x·W + b); torch's weight is [out, in].
            lin.weight.copy_(torch.from_numpy(tensors[f"layers.{i}.kernel"].T.copy()))
            lin.bias.copy_(torch.from_numpy(tensors[f"layers.{i}.bias"].copy()))
        layers += [lin, acts[l["activation"]]()]
        fan_in = l["units"]
    net = torch.nn.Sequential(*layers).eval()
    pre = cfg.get("preprocessing", {"kind": "none"})
    x = read_idx(find(sys.argv[2], "t10k-images-idx3-ubyte")).reshape(-1, cfg["input"]).astype(np.float32)
    if pre["kind"] == "scale":
        x = (x - np.float32(pre["shift"][0])) / np.float32(pre["divisor"][0])
    with torch.no_grad():
        classes = net(torch.from_numpy(x)).argmax(dim=1).numpy()
    print("classes:")
    print("\n".join(str(int(c)) for c in classes))


if __name__ == "__main__":
    main()
