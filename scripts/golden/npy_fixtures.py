#!/usr/bin/python3
"""Writes the small NumPy fixtures of data/npy_test.go into data/testdata/npy.

Run from the repository root with a Python that has numpy:

    /usr/bin/python3 scripts/golden/npy_fixtures.py

The values are small integers (and a few halves) so that every dtype holds
them exactly; the test compares each file with the same values built in Go.
The files are committed: numpy is never needed at test time.
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "data", "testdata", "npy")
os.makedirs(OUT, exist_ok=True)

# x: 3 samples of 4 features, value 10*i + j; y: 0, 1, 2.
X = np.array([[10 * i + j for j in range(4)] for i in range(3)])
Y = np.array([0, 1, 2])

DTYPES = ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"]


def save(name, arr):
    np.save(os.path.join(OUT, name), arr, allow_pickle=False)


for dt in DTYPES:
    for order, tag in (("<", "le"), (">", "be")):
        t = np.dtype(order + dt)
        save(f"x_{dt}_{tag}.npy", X.astype(t))
        save(f"y_{dt}_{tag}.npy", Y.astype(t))
save("x_b1.npy", (X % 2).astype(np.bool_))
save("y_b1.npy", np.array([False, True, False]))

# Fortran order, 2-D and 3-D: x3 has shape (3, 2, 3), value 100*i + 10*j + k.
save("x_fortran.npy", np.asfortranarray(X.astype("<f8")))
X3 = np.array([[[100 * i + 10 * j + k for k in range(3)] for j in range(2)] for i in range(3)], dtype="<f4")
save("x3_c.npy", X3)
save("x3_fortran.npy", np.asfortranarray(X3.astype(">i2")))
save("y_col.npy", Y.reshape(3, 1).astype("<f8"))
save("y_col_fortran.npy", np.asfortranarray(Y.reshape(3, 1).astype("<i4")))
save("y_half.npy", np.array([0.5, -1.5, 2.25], dtype="<f8"))

# Refused: complex, strings, structured, a 1-D x, a NaN, float32 overflow.
save("x_c8.npy", X.astype(np.complex64))
save("x_str.npy", np.array([["a", "b"], ["c", "d"]]))
save("x_struct.npy", np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8")]))
save("x_1d.npy", np.arange(3, dtype="<f4"))
xn = X.astype("<f8")
xn[1, 2] = np.nan
save("x_nan.npy", xn)
xo = X.astype("<f8")
xo[2, 3] = 1e300
save("x_overflow.npy", xo)
save("y_i8_big.npy", np.array([0, 2**53 + 1, 2], dtype="<i8"))
save("y_2.npy", np.array([0, 1], dtype="<i8"))

# .npz layouts. mnist_like imitates Keras's mnist.npz in miniature: uint8
# images (N, 4, 4) and uint8 labels, train and test, compressed.
rng = np.random.default_rng(9)
np.savez_compressed(
    os.path.join(OUT, "mnist_like.npz"),
    x_train=rng.integers(0, 256, (5, 4, 4), dtype=np.uint8),
    y_train=rng.integers(0, 10, 5, dtype=np.uint8),
    x_test=rng.integers(0, 256, (2, 4, 4), dtype=np.uint8),
    y_test=rng.integers(0, 10, 2, dtype=np.uint8),
)
np.savez(os.path.join(OUT, "train_only.npz"), x_train=X.astype("<f4"), y_train=Y.astype("<i8"))
np.savez(os.path.join(OUT, "xy.npz"), x=np.asfortranarray(X.astype(">f8")), y=Y.astype("<u1"))
np.savez(os.path.join(OUT, "other_keys.npz"), a=X, b=Y)
np.savez(os.path.join(OUT, "mismatch.npz"), x=X, y=np.array([1, 2]))

# The mnist_like arrays as C-order float64 text, to compare with in Go.
with np.load(os.path.join(OUT, "mnist_like.npz")) as z:
    with open(os.path.join(OUT, "mnist_like.txt"), "w") as f:
        for k in ("x_train", "y_train", "x_test", "y_test"):
            f.write(k + " " + " ".join(str(int(v)) for v in z[k].reshape(-1)) + "\n")
