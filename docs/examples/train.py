#!/usr/bin/env python3
"""Example training job for Verdant: a scikit-learn MLP on the 8x8 digits set that ships with
scikit-learn (no download), about 30 s on one core. Saves the model for infer.py.

Usage: python3 train.py [MODEL_PATH]   (default: ./digits-mlp.pickle)
"""
import pickle
import sys
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)

model_path = sys.argv[1] if len(sys.argv) > 1 else "digits-mlp.pickle"
start = time.monotonic()
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
clf = MLPClassifier(hidden_layer_sizes=(512, 256), max_iter=200, n_iter_no_change=1000, random_state=0)
clf.fit(X_train, y_train)
accuracy = clf.score(X_test, y_test)
with open(model_path, "wb") as f:
    pickle.dump(clf, f)
print(f"trained MLP on {len(X_train)} digits in {time.monotonic() - start:.1f} s; "
      f"test accuracy {accuracy:.3f}; saved {model_path}")
