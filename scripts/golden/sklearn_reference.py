#!/usr/bin/python3
"""Score scikit-learn's MLP and a linear model on the fixtures of issue 9.

Run from the repository root with Debian's Python and scikit-learn
(scripts/setup-extras.sh sklearn), not a virtualenv:

    /usr/bin/python3 scripts/golden/sklearn_reference.py \\
        data/testdata/sklearn data/testdata/sklearn/reference.json

For every CSV file scripts/golden/sklearn_datasets.py wrote into FIXTUREDIR
it reads the rows in file order, exactly as descent sees them: features
rounded to float32 (data.ReadCSV keeps features as float32), the target as
float64. It then splits

    train_test_split(range(n), test_size=0.2, random_state=42)

(descent's data.TrainTestSplit(n, 0.2, 42) draws the same rows), fits a
StandardScaler on the training rows only, and fits and scores on the test
rows:

    classification, binary:
        MLPClassifier(hidden_layer_sizes=(64,), activation="relu",
                      solver="adam", learning_rate_init=1e-3, batch_size=32,
                      max_iter=200, random_state=s) for s in 0..4
                      (0..N-1 with --seeds N)
        LogisticRegression(max_iter=1000)
        test accuracy; ROC AUC too for a binary task
    regression:
        the same MLPRegressor with max_iter=MLP_REGRESSION_MAX_ITER, on the
        raw target (scikit-learn's default: it never scales y) and on the
        target standardized with the training rows' mean and deviation
        (TransformedTargetRegressor), 5 seeds each
        LinearRegression() and Ridge(alpha=1.0)
        test R², MSE and MAE, in the target's own units

Every fit is timed with time.perf_counter around fit and predict (the
scaler excluded), on this machine's BLAS threads as they are (recorded),
and the load average before and after is recorded: on a shared machine
other work slows the fits, so compare wall times only within one run or
with a tool timed beside it.
OUT.json also holds the split (both index lists, and the SHA-256 of the
features and targets as read, so a Go test can check that descent reads
the same values and picks the same rows), min/median/max over the seeds,
the machine, the versions and the date, and per data set the "floor":
the lowest test accuracy (R² for regression) of the five "mlp" runs, which
descent's score on the same split must reach. Scores are deterministic;
wall times and the date are not.
"""
import argparse
import csv
import datetime
import glob
import hashlib
import json
import os
import platform
import statistics
import subprocess
import time
import warnings

import numpy as np
import sklearn
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

TEST_SIZE = 0.2
SPLIT_SEED = 42
SEEDS = 5  # MLP seeds 0..SEEDS-1; --seeds changes it, reference.json uses 5
MLP_CLASSIFICATION_MAX_ITER = 200
MLP_REGRESSION_MAX_ITER = 500
TASKS = {
    "iris": "classification",
    "wine": "classification",
    "breast_cancer": "binary",
    "diabetes": "regression",
    "regression": "regression",
    "binary": "binary",
}


def mlp_params(seed, max_iter):
    return dict(
        hidden_layer_sizes=(64,),
        activation="relu",
        solver="adam",
        learning_rate_init=1e-3,
        batch_size=32,
        max_iter=max_iter,
        random_state=seed,
    )


def read_fixture(path, task):
    """x as descent sees it (float32 values, held as float64), y as float64."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    label = "target" if task == "regression" else "label"
    col = header.index(label)
    x32 = np.array([[float(v) for i, v in enumerate(r) if i != col] for r in body], dtype=np.float32)
    y = np.array([float(r[col]) for r in body], dtype=np.float64)
    return x32, y, label


def sha256(array, dtype):
    return hashlib.sha256(np.ascontiguousarray(array, dtype=dtype).tobytes()).hexdigest()


def timed(model, x_train, y_train, x_test):
    """Fits and predicts; returns the model, its test predictions, the wall
    and CPU seconds (all threads) both took and the distinct warnings
    raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start, cpu_start = time.perf_counter(), time.process_time()
        model.fit(x_train, y_train)
        pred = model.predict(x_test)
        seconds = {"wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu_start}
    msgs = sorted({"%s: %s" % (w.category.__name__, w.message) for w in caught})
    return model, pred, seconds, msgs


def summary(values):
    return {
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
    }


def summarize(runs, keys):
    out = {k: summary([r[k] for r in runs]) for k in keys}
    out["wall_s"] = summary([r["wall_s"] for r in runs])
    out["cpu_s"] = summary([r["cpu_s"] for r in runs])
    return out


def classify(task, seeds, x_train, y_train, x_test, y_test):
    def scores(model, pred, x):
        s = {"accuracy": float(accuracy_score(y_test, pred))}
        if task == "binary":
            s["roc_auc"] = float(roc_auc_score(y_test, model.predict_proba(x)[:, 1]))
        return s

    keys = ["accuracy"] + (["roc_auc"] if task == "binary" else [])
    runs = []
    for seed in range(seeds):
        model = MLPClassifier(**mlp_params(seed, MLP_CLASSIFICATION_MAX_ITER))
        model, pred, seconds, msgs = timed(model, x_train, y_train, x_test)
        run = {"seed": seed, **scores(model, pred, x_test), **seconds,
               "n_iter": int(model.n_iter_), "final_loss": float(model.loss_), "warnings": msgs}
        runs.append(run)
    mlp = {
        "model": "MLPClassifier",
        "params": mlp_params("<seed>", MLP_CLASSIFICATION_MAX_ITER),
        "runs": runs,
        **summarize(runs, keys),
    }
    model, pred, seconds, msgs = timed(LogisticRegression(max_iter=1000), x_train, y_train, x_test)
    linear = {"model": "LogisticRegression", "params": {"max_iter": 1000},
              **scores(model, pred, x_test), **seconds,
              "n_iter": int(np.max(model.n_iter_)), "warnings": msgs}
    return {"mlp": mlp}, linear


def regress(seeds, x_train, y_train, x_test, y_test):
    def scores(pred):
        return {
            "r2": float(r2_score(y_test, pred)),
            "mse": float(mean_squared_error(y_test, pred)),
            "mae": float(mean_absolute_error(y_test, pred)),
        }

    keys = ["r2", "mse", "mae"]
    variants = {}
    for name, scaled in (("mlp", False), ("mlp_scaled_target", True)):
        runs = []
        for seed in range(seeds):
            model = MLPRegressor(**mlp_params(seed, MLP_REGRESSION_MAX_ITER))
            if scaled:
                model = TransformedTargetRegressor(regressor=model, transformer=StandardScaler())
            model, pred, seconds, msgs = timed(model, x_train, y_train, x_test)
            inner = model.regressor_ if scaled else model
            runs.append({"seed": seed, **scores(pred), **seconds,
                         "n_iter": int(inner.n_iter_), "final_loss": float(inner.loss_),
                         "warnings": msgs})
        variants[name] = {
            "model": "MLPRegressor",
            "target": ("standardized with the training rows' mean and deviation, predictions mapped back"
                       if scaled else "raw (scikit-learn's default)"),
            "params": mlp_params("<seed>", MLP_REGRESSION_MAX_ITER),
            "runs": runs,
            **summarize(runs, keys),
        }
    linear = {}
    for name, model in (("LinearRegression", LinearRegression()), ("Ridge", Ridge(alpha=1.0))):
        model, pred, seconds, msgs = timed(model, x_train, y_train, x_test)
        linear[name] = {**scores(pred), **seconds, "warnings": msgs}
    return variants, {"model": "LinearRegression", **linear["LinearRegression"], "ridge": linear["Ridge"]}


def one(path, seeds):
    name = os.path.splitext(os.path.basename(path))[0]
    task = TASKS[name]
    x32, y, label = read_fixture(path, task)
    n, f = x32.shape
    train_idx, test_idx = train_test_split(np.arange(n), test_size=TEST_SIZE, random_state=SPLIT_SEED)
    x = x32.astype(np.float64)
    scaler = StandardScaler().fit(x[train_idx])
    x_train, x_test = scaler.transform(x[train_idx]), scaler.transform(x[test_idx])
    y_train, y_test = y[train_idx], y[test_idx]
    out = {
        "file": os.path.basename(path),
        "task": task,
        "label_column": label,
        "rows": n,
        "features": f,
        "x_float32_le_sha256": sha256(x32, "<f4"),
        "y_float64_le_sha256": sha256(y, "<f8"),
        "split": {
            "call": "train_test_split(range(%d), test_size=%r, random_state=%d)" % (n, TEST_SIZE, SPLIT_SEED),
            "n_train": len(train_idx),
            "n_test": len(test_idx),
            "train": [int(i) for i in train_idx],
            "test": [int(i) for i in test_idx],
        },
    }
    if task == "regression":
        out["target_train"] = {"mean": float(np.mean(y_train)), "std": float(np.std(y_train))}
        models, out["linear"] = regress(seeds, x_train, y_train, x_test, y_test)
    else:
        y_train, y_test = y_train.astype(int), y_test.astype(int)
        out["classes"] = int(len(np.unique(y)))
        models, out["linear"] = classify(task, seeds, x_train, y_train, x_test, y_test)
    out.update(models)
    metric = "r2" if task == "regression" else "accuracy"
    out["floor"] = {
        "metric": metric,
        "value": out["mlp"][metric]["min"],
        "from": "mlp: the worst of the %d MLP seeds (raw target for regression)" % seeds,
    }
    return name, out


def cpu_model():
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Model name":
            return value.strip()
    return platform.processor()


def blas_threads():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [{k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
            for p in threadpool_info()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("fixturedir", help="folder of the CSV files from sklearn_datasets.py")
    ap.add_argument("out", help="JSON file to write")
    ap.add_argument("--seeds", type=int, default=SEEDS,
                    help="MLP seeds 0..N-1 per data set (default %(default)d; more only to study the seed spread)")
    args = ap.parse_args()
    if args.seeds < 1:
        raise SystemExit("--seeds must be at least 1")
    paths = sorted(p for p in glob.glob(os.path.join(args.fixturedir, "*.csv"))
                   if os.path.splitext(os.path.basename(p))[0] in TASKS)
    if len(paths) != len(TASKS):
        raise SystemExit("%s: want %s.csv" % (args.fixturedir, ".csv, ".join(sorted(TASKS))))
    results = {}
    load_before = os.getloadavg()
    for path in paths:
        name, results[name] = one(path, args.seeds)
        print("%s: done" % name, flush=True)
    doc = {
        "generated_by": "scripts/golden/sklearn_reference.py",
        "command": "/usr/bin/python3 scripts/golden/sklearn_reference.py %s%s %s" % (
            "" if args.seeds == SEEDS else "--seeds %d " % args.seeds, args.fixturedir, args.out),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {
            "cpu": cpu_model(),
            "logical_cpus": os.cpu_count(),
            "blas_threads": blas_threads(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "load_average_1_5_15_min": {"before": list(load_before), "after": list(os.getloadavg())},
        },
        "versions": {
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
        },
        "timing": ("wall_s: time.perf_counter, cpu_s: time.process_time (all threads), around fit and predict"
                   " of one model; StandardScaler and CSV reading excluded"),
        "datasets": results,
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(args.out)


if __name__ == "__main__":
    main()
