#!/usr/bin/env python3
"""Example inference job for Verdant: loads the model train.py saved and classifies a batch of the
digits set many times over (a few seconds of CPU work).

Usage: python3 infer.py [MODEL_PATH] [ROUNDS]   (defaults: ./digits-mlp.pickle, 200)
"""
import pickle
import sys
import time

from sklearn.datasets import load_digits

model_path = sys.argv[1] if len(sys.argv) > 1 else "digits-mlp.pickle"
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 200
try:
    with open(model_path, "rb") as f:
        clf = pickle.load(f)
except FileNotFoundError:
    sys.exit(f"no model at {model_path}: run train.py first (verdant submit ... -- python3 docs/examples/train.py)")
X, y = load_digits(return_X_y=True)
X = X / 16.0
start = time.monotonic()
correct = 0
for _ in range(rounds):
    correct += int((clf.predict(X) == y).sum())
print(f"classified {rounds * len(X)} digits in {time.monotonic() - start:.1f} s; accuracy {correct / (rounds * len(X)):.3f}")
