#!/usr/bin/python3
"""Write small CSV data sets from scikit-learn, the fixtures of issue 9.

Run from the repository root with Debian's Python and scikit-learn
(scripts/setup-extras.sh sklearn), not a virtualenv:

    /usr/bin/python3 scripts/golden/sklearn_datasets.py data/testdata/sklearn

Each file has a header row; the target is the last column, named "label"
(classification: whole numbers 0..k-1) or "target" (regression). Rows are
in the order scikit-learn returns them. The data sets:

    iris           load_iris()                        3 classes
    wine           load_wine()                        3 classes
    breast_cancer  load_breast_cancer()               binary
    diabetes       load_diabetes(scaled=False)        regression, raw units
    regression     make_regression(n_samples=1000, n_features=8, noise=10,
                                   random_state=0)    regression
    binary         make_classification(n_samples=1000, n_features=10,
                                       random_state=0)    binary

The first four are bundled with scikit-learn (no download); the last two
are drawn by its generators, which are deterministic for a fixed
random_state.

Values: the bundled sets are written with repr, which gives back the short
decimals of scikit-learn's own files ("5.1"). The generated features are
first rounded to float32 (descent reads features as float32) and written
with 9 significant digits, which name that float32 exactly; generated
targets are written with repr (float64, as descent keeps targets).
Nothing is random at run time: two runs write the same bytes.
"""
import argparse
import os
import re

import numpy as np
import sklearn
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_iris,
    load_wine,
    make_classification,
    make_regression,
)


def column_name(name):
    """'sepal length (cm)' -> 'sepal_length_cm'."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def bundled(loader, **kw):
    d = loader(**kw)
    return d.data, d.target, [column_name(n) for n in d.feature_names]


def generated(x, y):
    return x, y, ["x%d" % j for j in range(x.shape[1])]


def datasets():
    """(name, task, x, y, feature names, exact_float32) for each data set."""
    reg_x, reg_y = make_regression(n_samples=1000, n_features=8, noise=10, random_state=0)
    bin_x, bin_y = make_classification(n_samples=1000, n_features=10, random_state=0)
    return [
        ("iris", "classification") + bundled(load_iris) + (False,),
        ("wine", "classification") + bundled(load_wine) + (False,),
        ("breast_cancer", "binary") + bundled(load_breast_cancer) + (False,),
        ("diabetes", "regression") + bundled(load_diabetes, scaled=False) + (False,),
        ("regression", "regression") + generated(reg_x, reg_y) + (True,),
        ("binary", "binary") + generated(bin_x, bin_y) + (True,),
    ]


def feature_text(v, exact_float32):
    if exact_float32:
        return "%.9g" % float(np.float32(v))
    return repr(float(v))


def target_text(v, task):
    if task == "regression":
        return repr(float(v))
    if float(v) != int(v):
        raise SystemExit("class label %r is not a whole number" % v)
    return str(int(v))


def write(outdir, name, task, x, y, names, exact_float32):
    label = "target" if task == "regression" else "label"
    if label in names or len(set(names)) != len(names):
        raise SystemExit("%s: bad column names %r" % (name, names))
    path = os.path.join(outdir, name + ".csv")
    with open(path, "w", newline="") as f:
        f.write(",".join(names + [label]) + "\n")
        for row, target in zip(x, y):
            fields = [feature_text(v, exact_float32) for v in row]
            f.write(",".join(fields + [target_text(target, task)]) + "\n")
    print("%s: %d rows, %d features, %s (scikit-learn %s, numpy %s)"
          % (path, x.shape[0], x.shape[1], task, sklearn.__version__, np.__version__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", help="folder for the CSV files (created if missing)")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    for ds in datasets():
        write(args.outdir, *ds)


if __name__ == "__main__":
    main()
