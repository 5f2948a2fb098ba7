#!/usr/bin/env python3
"""Example training job for Verdant: a scikit-learn MLP on the 8x8 digits set that ships with
scikit-learn (no download), about 30 s on one core. Saves the model for infer.py.

Usage: python3 train.py [MODEL_PATH] [--epochs N] [--threads N]
  MODEL_PATH   where to save the model (default: ./digits-mlp.pickle)
  --epochs N   training epochs (passes over the training set; default 200). The work scales with N:
               declare it to Verdant with `verdant submit --size epochs=N` so the job-energy
               predictor can scale earlier runs (docs/models.md).
  --threads N  threads of the BLAS and OpenMP pools numpy and scikit-learn use (default 1). With
               more than one, OpenBLAS's idle worker threads spin while they wait for work, and how
               long they spin depends on what else the machine runs: on a 2-core VM the same 8-epoch
               run took 4.5 to 7.3 CPU-s with 2 threads (idle vs one busy loop beside it) and 3.0 to
               3.2 CPU-s with 1. CPU time is what Verdant charges energy by when no counter can be
               read, so one thread keeps the job's energy a function of its size only.
"""
import argparse
import os

parser = argparse.ArgumentParser(description="Train an MLP on the scikit-learn digits set.")
parser.add_argument("model_path", nargs="?", default="digits-mlp.pickle")
parser.add_argument("--epochs", type=int, default=200, help="training epochs (default 200)")
parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (default 1)")
args = parser.parse_args()
if args.epochs < 1:
    parser.error("--epochs must be at least 1")
if args.threads < 1:
    parser.error("--threads must be at least 1")
# The pools read these when numpy and scikit-learn are first imported, so they are set before.
for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[name] = str(args.threads)

import pickle  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

warnings.filterwarnings("ignore", category=ConvergenceWarning)

model_path = args.model_path
start = time.monotonic()
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
clf = MLPClassifier(hidden_layer_sizes=(512, 256), max_iter=args.epochs, n_iter_no_change=1000, random_state=0)
clf.fit(X_train, y_train)
accuracy = clf.score(X_test, y_test)
with open(model_path, "wb") as f:
    pickle.dump(clf, f)
print(f"trained MLP for {clf.n_iter_} epochs on {len(X_train)} digits in {time.monotonic() - start:.1f} s; "
      f"test accuracy {accuracy:.3f}; saved {model_path}")
