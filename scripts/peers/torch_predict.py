#!/usr/bin/env python3
"""PyTorch peer of `descent bench predict`: prediction throughput of the
tutorial network (784 -> 128 sigmoid -> 128 sigmoid -> 10 softmax, float32).

A co-process: the Go harness starts it once and talks JSON lines.
  hello (written once at start): {"torch": ..., "config": ..., "blas": ...,
      "default_threads": ..., "default_blas_threads": ...}
      or {"error": "..."} and exit status 1 when torch cannot be imported.
  command: {"batch": B, "threads": T, "seconds": S}   (T = 0: the defaults)
  answer:  {"samples_per_s": ..., "p50_ms": ..., "p99_ms": ..., "requests": ...,
            "threads": ..., "blas_threads": ...}  or {"error": "..."}
It exits at end of input.
"""
import ctypes
import json
import sys
import time


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


try:
    import torch
except Exception as e:  # no torch here: say so in one line, the harness skips the peer
    reply({"error": "cannot import torch: %s (%s)" % (e, sys.executable)})
    sys.exit(1)

# torch.set_num_threads sets OpenMP's team, not the BLAS's own pool: Debian's
# torch calls OpenBLAS (pthread build) for Linear, so pin OpenBLAS too, as
# the anchors did with OPENBLAS_NUM_THREADS=1. The handle is None without
# OpenBLAS (another BLAS): then only torch's threads are set.
try:
    blas = ctypes.CDLL("libopenblas.so.0")
    blas.openblas_get_config.restype = ctypes.c_char_p
    blas.openblas_get_corename.restype = ctypes.c_char_p
except OSError:
    blas = None

DEFAULT_THREADS = torch.get_num_threads()
DEFAULT_BLAS_THREADS = blas.openblas_get_num_threads() if blas else 0


def set_threads(t):
    """Threads t for torch and OpenBLAS; 0 restores both start-up defaults."""
    torch.set_num_threads(t or DEFAULT_THREADS)
    if blas:
        blas.openblas_set_num_threads(t or DEFAULT_BLAS_THREADS)


def build_info():
    lines = torch.__config__.show().splitlines()
    keep = [l.strip(" -") for l in lines if "CPU capability" in l or "MKL-DNN" in l]
    keep += [f for f in torch.__config__.show().replace(",", "\n").split() if f.startswith("BLAS_INFO=")]
    return "; ".join(keep)


torch.manual_seed(1)
net = torch.nn.Sequential(
    torch.nn.Linear(784, 128), torch.nn.Sigmoid(),
    torch.nn.Linear(128, 128), torch.nn.Sigmoid(),
    torch.nn.Linear(128, 10), torch.nn.Softmax(dim=1),
).eval()
for layer in net:  # Glorot-uniform kernels, zero biases: what descent's Init does
    if isinstance(layer, torch.nn.Linear):
        torch.nn.init.xavier_uniform_(layer.weight)
        torch.nn.init.zeros_(layer.bias)


def measure(batch, threads, seconds):
    set_threads(threads)
    # Raw 0-255 pixels; the /255 scaling runs inside the timed region, as
    # descent's Predictor applies model.ScaleBy(255) on every request.
    g = torch.Generator().manual_seed(batch)
    x = torch.randint(0, 256, (batch, 784), generator=g).float()
    lat = []
    with torch.inference_mode():
        warm_end = time.perf_counter() + min(0.1, seconds / 5)
        while time.perf_counter() < warm_end:
            net(x / 255.0)
        start = time.perf_counter()
        end = start + seconds
        while True:
            t0 = time.perf_counter()
            net(x / 255.0)
            t1 = time.perf_counter()
            lat.append(t1 - t0)
            if t1 >= end:
                break
    wall = t1 - start
    lat.sort()
    pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1e3
    return {"samples_per_s": len(lat) * batch / wall, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "requests": len(lat), "threads": torch.get_num_threads(),
            "blas_threads": blas.openblas_get_num_threads() if blas else 0}


reply({"torch": torch.__version__, "config": build_info(),
       "blas": blas.openblas_get_config().decode() + " core=" + blas.openblas_get_corename().decode() if blas else "not OpenBLAS",
       "default_threads": DEFAULT_THREADS, "default_blas_threads": DEFAULT_BLAS_THREADS})
for line in sys.stdin:
    if not line.strip():
        continue
    try:
        cmd = json.loads(line)
        reply(measure(int(cmd["batch"]), int(cmd["threads"]), float(cmd["seconds"])))
    except Exception as e:  # a bad command answers an error, the peer stays up
        reply({"error": "%s: %s" % (type(e).__name__, e)})
