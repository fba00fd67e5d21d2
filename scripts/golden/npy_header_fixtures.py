#!/usr/bin/python3
"""Writes data/testdata/npy/headers.txt: .npy headers as numpy writes them,
for data/npywrite_test.go to compare NPYWriter's headers with, byte for byte.

Run from the repository root with a Python that has numpy:

    /usr/bin/python3 scripts/golden/npy_header_fixtures.py

Each line is: dtype, the shape as comma-separated integers ("-" for a
scalar), and the header's bytes in hex. Only headers are written (with
numpy.lib.format.write_array_header_1_0), so shapes too large to store are
covered. The file is committed: numpy is never needed at test time.
"""
import io
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "data", "testdata", "npy", "headers.txt")

SHAPES = [
    (),
    (0,),
    (1,),
    (3,),
    (3, 4),
    (0, 5),
    (2, 3, 4),
    (60000, 784),
    (700000, 784),
    (10**12, 1),
    (9 * 10**18, 1),
    (7, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
    (123456789, 4294967296),
]

with open(OUT, "w") as f:
    for dt in ("<f4", "<f8"):
        for shape in SHAPES:
            b = io.BytesIO()
            np.lib.format.write_array_header_1_0(b, {"descr": dt, "fortran_order": False, "shape": shape})
            s = ",".join(str(d) for d in shape) if shape else "-"
            f.write(f"{dt} {s} {b.getvalue().hex()}\n")
