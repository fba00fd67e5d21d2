#!/usr/bin/env python3
"""PyTorch peer of bench/peers: training epochs of the tutorial network with
descent's data, split, initial weights, batch and optimizer formulas.

Usage: /usr/bin/python3 scripts/peers/torch_train.py --data DIR [--threads N] [--seed S]
  DIR as bench/peers writes it: train_x.u8 (N x 784), train_y.u8, val_x.u8,
  val_y.u8 (raw uint8) and init.f32 (descent's Params: W0 (784x128, in x out)
  | b0 | W1 | b1 | W2 | b2, little-endian float32).
  --threads N: torch.set_num_threads(N) and OpenBLAS's pool N (Debian's torch
  runs Linear on OpenBLAS); 0 (the default) keeps both defaults.
  OPENBLAS_CORETYPE in the environment picks OpenBLAS's kernels, as usual.

A co-process, one JSON line per stdin line (the step program's protocol):
  hello (once, at start): {"torch": ..., "threads": ..., "blas": ...} or
      {"error": ...} and exit status 1 when torch cannot be imported
  train -> {"epoch": k, "seconds": s, "cpu_seconds": c, "loss": l}  one
           epoch's training pass: wall and process CPU seconds
  eval  -> {"val_loss": l, "val_accuracy": a}

Network: 784 -> 128 sigmoid -> 128 sigmoid -> 10 softmax, categorical
cross-entropy (mean over the batch), batch 128 (last batch short).
The optimizer is Keras's Adam, written out below, not torch.optim.Adam:
torch's Adam divides by sqrt(v)/sqrt(1-b2^t) + eps, Keras (and descent) by
sqrt(v) + eps with the bias correction folded into the step size:
  alpha = lr * sqrt(1 - b2^t) / (1 - b1^t);  w -= alpha * m / (sqrt(v) + eps)
with lr 0.001, b1 0.9, b2 0.999, eps 1e-7. The two differ by eps's scale
(eps * sqrt(1 - b2^t)), which matters early in training.
"""
import argparse
import ctypes
import json
import math
import os
import sys
import time


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--data", required=True, help="folder written by bench/peers")
ap.add_argument("--threads", type=int, default=0, help="torch and OpenBLAS threads (0: defaults)")
ap.add_argument("--seed", type=int, default=1, help="seed of the per-epoch shuffle")
args = ap.parse_args()

try:
    import numpy as np
    import torch
except Exception as e:  # no torch here: one line, the harness skips the peer
    reply({"error": "cannot import numpy and torch: %s (%s)" % (e, sys.executable)})
    sys.exit(1)

try:
    blas = ctypes.CDLL("libopenblas.so.0")
    blas.openblas_get_corename.restype = ctypes.c_char_p
except OSError:
    blas = None
if args.threads > 0:
    torch.set_num_threads(args.threads)
    if blas:
        blas.openblas_set_num_threads(args.threads)


def load(name, rows=None):
    a = np.fromfile(os.path.join(args.data, name), dtype=np.uint8)
    return torch.from_numpy(a.reshape(-1, 784) if rows else a)


xtr, ytr = load("train_x.u8", True), load("train_y.u8").long()
xva, yva = load("val_x.u8", True), load("val_y.u8").long()
if len(xtr) != len(ytr) or len(xva) != len(yva):
    reply({"error": "%s: images and labels disagree in count" % args.data})
    sys.exit(1)

# Parameters from descent's init.f32: kernels are (in, out), torch's
# Linear weight is (out, in), so keep descent's layout and use x @ W + b.
flat = torch.from_numpy(np.fromfile(os.path.join(args.data, "init.f32"), dtype="<f4").copy())
params, off = [], 0
for i, o in ((784, 128), (128, 128), (128, 10)):
    params.append(flat[off:off + i * o].view(i, o).clone().requires_grad_()); off += i * o
    params.append(flat[off:off + o].clone().requires_grad_()); off += o
if off != len(flat):
    reply({"error": "%s/init.f32 holds %d floats, want %d" % (args.data, len(flat), off)})
    sys.exit(1)
W0, b0, W1, b1, W2, b2 = params


def logits(x):
    h = torch.sigmoid(torch.addmm(b0, x, W0))
    h = torch.sigmoid(torch.addmm(b1, h, W1))
    return torch.addmm(b2, h, W2)


class KerasAdam:
    """Keras's Adam formulas (see the module docstring), in place under no_grad."""

    def __init__(self, params, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
        self.p, self.lr, self.b1, self.b2, self.eps, self.t = params, lr, b1, b2, eps, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    @torch.no_grad()
    def step(self):
        self.t += 1
        alpha = self.lr * math.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        for p, m, v in zip(self.p, self.m, self.v):
            g = p.grad
            m.mul_(self.b1).add_(g, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
            p.addcdiv_(m, v.sqrt().add_(self.eps), value=-alpha)
            p.grad = None


opt = KerasAdam(params)
epoch = 0


def train_epoch():
    global epoch
    g = torch.Generator().manual_seed(args.seed + epoch)
    perm = torch.randperm(len(xtr), generator=g)
    total, start, cpu = 0.0, time.perf_counter(), time.process_time()
    for s in range(0, len(xtr), 128):
        idx = perm[s:s + 128]
        x = xtr[idx].float().div_(255.0)  # the uint8 -> float conversion is timed, as in descent
        loss = torch.nn.functional.cross_entropy(logits(x), ytr[idx])
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    sec, cpu = time.perf_counter() - start, time.process_time() - cpu
    epoch += 1
    return {"epoch": epoch, "seconds": sec, "cpu_seconds": cpu, "loss": total / len(xtr)}


@torch.no_grad()
def evaluate():
    z = logits(xva.float() / 255.0)
    return {"val_loss": torch.nn.functional.cross_entropy(z, yva).item(),
            "val_accuracy": (z.argmax(1) == yva).float().mean().item()}


reply({"torch": torch.__version__, "threads": torch.get_num_threads(),
       "blas_threads": blas.openblas_get_num_threads() if blas else 0,
       "blas": "core=" + blas.openblas_get_corename().decode() if blas else "not OpenBLAS"})
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "train":
        reply(train_epoch())
    elif cmd == "eval":
        reply(evaluate())
    elif cmd:
        reply({"error": "unknown command %r (want train or eval)" % cmd})
