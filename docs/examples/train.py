#!/usr/bin/env python3
"""Example training job for Verdant: a scikit-learn MLP on the 8x8 digits set that ships with
scikit-learn (no download), about 30 s on one core. Saves the model for infer.py.

Usage: python3 train.py [MODEL_PATH] [--epochs N]
  MODEL_PATH  where to save the model (default: ./digits-mlp.pickle)
  --epochs N  training epochs (passes over the training set; default 200). The work scales with N:
              declare it to Verdant with `verdant submit --size epochs=N` so the job-energy
              predictor can scale earlier runs (docs/models.md).
"""
import argparse
import pickle
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)

parser = argparse.ArgumentParser(description="Train an MLP on the scikit-learn digits set.")
parser.add_argument("model_path", nargs="?", default="digits-mlp.pickle")
parser.add_argument("--epochs", type=int, default=200, help="training epochs (default 200)")
args = parser.parse_args()
if args.epochs < 1:
    parser.error("--epochs must be at least 1")
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
