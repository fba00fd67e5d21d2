#!/usr/bin/python3
"""Write the golden files for package metrics (ClassificationReport).

Run from anywhere with Debian's Python and scikit-learn
(apt-get install python3-sklearn), not a virtualenv:

    /usr/bin/python3 scripts/golden/sklearn_report.py

It writes metrics/testdata/*.golden. Each file holds one or more cases, so
that the Go tests need no Python:

    === case <name>
    digits <d>
    labels <l> <l> ...          (only when labels= is passed)
    target_name <name>          (one line per name, only when passed)
    y_true <l> <l> ...
    y_pred <l> <l> ...
    accuracy_score <repr>
    value <key>\t<precision>\t<recall>\t<f1-score>\t<support>
    value accuracy\t<repr>      (the output_dict's accuracy entry)
    warning <message>           (distinct UndefinedMetricWarnings, in order)
    --- report
    <classification_report(...) text, verbatim, trailing newline included>
    === end

Floats are written with repr, so they round-trip exactly.
"""
import os
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import accuracy_score, classification_report


def case_block(name, y_true, y_pred, digits=2, labels=None, target_names=None):
    y_true = [int(v) for v in y_true]
    y_pred = [int(v) for v in y_pred]
    kw = dict(digits=digits)
    if labels is not None:
        kw["labels"] = labels
    if target_names is not None:
        kw["target_names"] = target_names

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = classification_report(y_true, y_pred, **kw)
    msgs = []
    for w in caught:
        if not issubclass(w.category, UndefinedMetricWarning):
            raise SystemExit("%s: unexpected warning %s" % (name, w))
        m = str(w.message)
        if m not in msgs:
            msgs.append(m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        as_dict = classification_report(y_true, y_pred, output_dict=True, **kw)

    out = ["=== case %s\n" % name, "digits %d\n" % digits]
    if labels is not None:
        out.append("labels %s\n" % " ".join(str(int(l)) for l in labels))
    for t in target_names or []:
        out.append("target_name %s\n" % t)
    out.append("y_true %s\n" % " ".join(map(str, y_true)))
    out.append("y_pred %s\n" % " ".join(map(str, y_pred)))
    out.append("accuracy_score %r\n" % float(accuracy_score(y_true, y_pred)))
    for key, v in as_dict.items():
        if isinstance(v, dict):
            out.append(
                "value %s\t%r\t%r\t%r\t%d\n"
                % (key, float(v["precision"]), float(v["recall"]), float(v["f1-score"]), int(v["support"]))
            )
        else:
            out.append("value %s\t%r\n" % (key, float(v)))
    for m in msgs:
        out.append("warning %s\n" % m)
    out.append("--- report\n")
    out.append(report)
    if not report.endswith("\n"):
        raise SystemExit("%s: report without a trailing newline" % name)
    out.append("=== end\n")
    return "".join(out)


def noisy(rs, n, k, acc):
    """y_true uniform over k classes; y_pred right with probability acc."""
    y_true = rs.randint(0, k, size=n)
    wrong = rs.randint(0, k, size=n)
    y_pred = np.where(rs.rand(n) < acc, y_true, wrong)
    return y_true, y_pred


def named_cases():
    rs = np.random.RandomState(0)
    t10, p10 = noisy(rs, 1000, 10, 0.7)
    cases = {
        "random10_d2": [dict(y_true=t10, y_pred=p10, digits=2)],
        "random10_d4": [dict(y_true=t10, y_pred=p10, digits=4)],
        "perfect": [dict(y_true=t10[:200], y_pred=t10[:200], digits=2)],
    }

    # Class 3 is never predicted: its precision is 0/0 -> 0.0 with a warning.
    rs = np.random.RandomState(1)
    t, p = noisy(rs, 300, 5, 0.6)
    p = np.where(p == 3, 4, p)
    cases["never_predicted"] = [dict(y_true=t, y_pred=p, digits=2)]

    # Class 7 is predicted but never true: its recall is 0/0 -> 0.0.
    rs = np.random.RandomState(2)
    t, p = noisy(rs, 250, 7, 0.75)
    p = np.where(rs.rand(250) < 0.05, 7, p)
    cases["pred_not_in_true"] = [dict(y_true=t, y_pred=p, digits=4)]

    # Both at once, at three digits.
    cases["both_missing"] = [
        dict(y_true=[0, 1, 2, 2, 0, 1, 1, 2], y_pred=[0, 2, 2, 3, 0, 0, 2, 3], digits=3)
    ]

    # No sample right at all: scikit-learn 1.2 then counts in floats and
    # prints the support column as "3.0".
    cases["all_wrong"] = [dict(y_true=[0, 1, 2, 0, 1, 2], y_pred=[1, 2, 0, 2, 2, 1], digits=2)]

    # More than 128 classes: numpy's pairwise summation recurses.
    rs = np.random.RandomState(5)
    t, p = noisy(rs, 3000, 300, 0.5)
    cases["many_classes"] = [dict(y_true=t, y_pred=p, digits=4)]

    # Binary, and a single class.
    rs = np.random.RandomState(3)
    t, p = noisy(rs, 97, 2, 0.8)
    cases["binary"] = [dict(y_true=t, y_pred=p, digits=2)]
    cases["single_class"] = [dict(y_true=[4] * 5, y_pred=[4] * 5, digits=2)]

    # Negative, sparse and long labels (wider than "weighted avg").
    cases["odd_labels"] = [
        dict(
            y_true=[-1, 3, 10, 1234567890123, 3, -1, 10, 10],
            y_pred=[-1, 10, 10, 1234567890123, 3, 3, -1, 10],
            digits=2,
        )
    ]

    # digits 0, 1 and wider than the column.
    cases["digits_extremes"] = [
        dict(y_true=t10[:50], y_pred=p10[:50], digits=0),
        dict(y_true=t10[:50], y_pred=p10[:50], digits=1),
        dict(y_true=t10[:50], y_pred=p10[:50], digits=12),
        dict(y_true=t10[:50], y_pred=p10[:50], digits=15),
    ]

    # target_names, including one longer than "weighted avg" and non-ASCII.
    rs = np.random.RandomState(4)
    t, p = noisy(rs, 120, 3, 0.7)
    cases["target_names"] = [
        dict(y_true=t, y_pred=p, digits=2, target_names=["setosa", "versicolor", "virginica"]),
        dict(y_true=t, y_pred=p, digits=3, target_names=["a", "ñandú-über-länge", "c"]),
    ]

    # labels=: a superset (micro avg replaces accuracy), a reordering of the
    # present labels (accuracy stays), a subset, and only an absent label
    # (micro 0/0 "due to" warnings, weighted with zero total weight).
    t, p = [0, 1, 2, 2, 0, 1, 1, 2, 3], [0, 2, 2, 1, 0, 0, 2, 2, 3]
    cases["labels_option"] = [
        dict(y_true=t, y_pred=p, digits=2, labels=[0, 1, 2, 3, 4, 5]),
        dict(y_true=t, y_pred=p, digits=2, labels=[3, 2, 0, 1]),
        dict(y_true=t, y_pred=p, digits=2, labels=[2, 0]),
        dict(y_true=t, y_pred=p, digits=2, labels=[5]),
        dict(y_true=t, y_pred=p, digits=2, labels=[1, 9], target_names=["one", "nine"]),
    ]
    return cases


def fuzz_cases(seed, count, max_n, max_k, digits):
    """Many small random cases: ties in rounding and the summation order of
    the macro/weighted averages are where a port goes wrong; many digits
    show the last bits."""
    rs = np.random.RandomState(seed)
    out = []
    for i in range(count):
        n = int(rs.randint(1, max_n))
        k = int(rs.randint(1, max_k))
        t = rs.randint(0, k, size=n)
        p = np.where(rs.rand(n) < rs.rand(), t, rs.randint(0, k + 2, size=n))
        kw = dict(y_true=t, y_pred=p, digits=int(rs.randint(digits[0], digits[1] + 1)))
        if i % 5 == 4:
            kw["labels"] = sorted(set(rs.randint(0, k + 3, size=int(rs.randint(1, k + 3))).tolist()))
        out.append(kw)
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    outdir = os.path.join(root, "metrics", "testdata")
    os.makedirs(outdir, exist_ok=True)
    head = "# generated by scripts/golden/sklearn_report.py: scikit-learn %s, numpy %s\n" % (
        sklearn.__version__,
        np.__version__,
    )
    files = named_cases()
    files["fuzz"] = fuzz_cases(12345, 200, 60, 20, (0, 5))
    files["fuzz_precise"] = fuzz_cases(54321, 60, 200, 40, (15, 17))
    for fname, kws in files.items():
        blocks = [case_block("%s/%d" % (fname, i), **kw) for i, kw in enumerate(kws)]
        path = os.path.join(outdir, fname + ".golden")
        with open(path, "w", encoding="utf-8") as f:
            f.write(head)
            f.writelines(blocks)
        print(path)


if __name__ == "__main__":
    main()
