"""Functions a checkpointed search uses, importable by a fresh process
(for tests/test_trust.py)."""

from contextlib import contextmanager

import numpy as np
from sklearn.linear_model import LogisticRegression


def double(X):
    return np.asarray(X) * 2.0


def accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


@contextmanager
def counting_fits():
    """Count LogisticRegression fits in this (test-only) process."""
    fits = [0]
    fit = LogisticRegression.fit

    def counted(self, *args, **kwargs):
        fits[0] += 1
        return fit(self, *args, **kwargs)

    LogisticRegression.fit = counted
    try:
        yield fits
    finally:
        LogisticRegression.fit = fit
