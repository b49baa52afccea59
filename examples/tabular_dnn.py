"""A tabular network tuned by both searchers, against gradient boosting.
======================================================================

A binary classifier on mixed tabular data (numbers and categories with
missing values) in a scikit-learn pipeline: a ``ColumnTransformer`` imputes,
one-hot encodes and scales, then ``FineTuneClassifier(module="mlp")`` trains
a multilayer perceptron. Both searchers tune the network's shape
(``module__hidden_layers``, ``module__units``, ``module__dropout``,
``module__batch_norm``) and its training (optimizer, learning rate, weight
decay, batch size) over :func:`sklearn_tune.nn.make_mlp_space`; the table
compares them with scikit-learn's ``HistGradientBoostingClassifier``, the
usual strong baseline on such data, on the same held-out test set.

The data are the Titanic passengers of :func:`sklearn_tune.datasets.load_titanic`
(1,309 rows; OpenML, or offline the copy that ships with sklearn-tune): like a
loan-default table, a few numeric and categorical columns and an imbalanced
binary target. (scikit-learn's wheel holds no copy of OpenML's credit-g.)

    python examples/tabular_dnn.py            # about 1.5 minutes on 2 cores
    python examples/tabular_dnn.py --quick    # smoke test, under a minute

Needs the ``nn`` extra (torch and skorch).
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline

from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.datasets import load_titanic, make_titanic_preprocessor
from sklearn_tune.nn import FineTuneClassifier, make_mlp_space

SETTINGS = {
    # epochs per fit, candidates per searcher, CV folds, units bound
    "full": {"epochs": 30, "n_candidates": 16, "cv": 3, "units": (16, 256)},
    "quick": {"epochs": 4, "n_candidates": 2, "cv": 2, "units": (8, 32)},
}


def load_data(seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the offline fallback warns
        X, y = load_titanic(return_X_y=True)
    y = y.astype(int).to_numpy()  # 1: survived
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)


def make_mlp_pipeline(epochs, seed):
    net = FineTuneClassifier(
        "mlp",
        max_epochs=epochs,
        lr_schedule="onecycle",
        decay_norm_and_bias=False,
        device="auto",
        random_state=seed,
    )
    return Pipeline([("prep", make_titanic_preprocessor()), ("clf", net)])


def make_searches(setting, seed, n_jobs):
    space = make_mlp_space("clf__", units=setting["units"], hidden_layers=(1, 3))
    pipeline = make_mlp_pipeline(setting["epochs"], seed)
    cv = StratifiedKFold(setting["cv"], shuffle=True, random_state=seed)
    n = setting["n_candidates"]
    shared = {"cv": cv, "scoring": "roc_auc", "n_jobs": n_jobs, "random_state": seed}
    return {
        "MLP, BayesSearchCV": BayesSearchCV(
            pipeline,
            space,
            n_iter=n,
            optimizer_kwargs={"n_initial_points": max(2, n // 2)},
            **shared,
        ),
        "MLP, GeneticSearchCV": GeneticSearchCV(
            pipeline,
            space,
            population_size=max(2, n // 2),
            generations=2,
            tournament_size=2,
            **shared,
        ),
    }


def describe(params):
    keys = {
        "clf__module__hidden_layers": "layers",
        "clf__module__units": "units",
        "clf__module__dropout": "dropout",
        "clf__module__batch_norm": "bn",
        "clf__optimizer": "opt",
        "clf__lr": "lr",
    }
    parts = []
    for key, short in keys.items():
        if key in params:
            value = params[key]
            text = f"{value:.3g}" if isinstance(value, float) else str(value)
            parts.append(f"{short}={text}")
    return " ".join(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke test, < 1 min")
    parser.add_argument("--n-jobs", type=int, default=1, help="parallel fits")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    setting = SETTINGS["quick" if args.quick else "full"]
    # Small nets run fastest on one thread per fit; parallelism comes from n_jobs.
    torch.set_num_threads(1)
    X_train, X_test, y_train, y_test = load_data(args.seed)
    print(
        f"Titanic: {len(y_train)} training rows, {len(y_test)} test rows, "
        f"{y_train.mean():.0%} positive.\n"
    )
    rows = []
    for name, search in make_searches(setting, args.seed, args.n_jobs).items():
        start = time.perf_counter()
        search.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        proba = search.predict_proba(X_test)[:, 1]
        rows.append(
            (
                name,
                roc_auc_score(y_test, proba),
                accuracy_score(y_test, search.predict(X_test)),
                search.best_score_,
                len(search.cv_results_["params"]),
                seconds,
                describe(search.best_params_),
            )
        )
    start = time.perf_counter()
    boosting = Pipeline(
        [
            ("prep", make_titanic_preprocessor()),
            ("clf", HistGradientBoostingClassifier(random_state=args.seed)),
        ]
    ).fit(X_train, y_train)
    rows.append(
        (
            "HistGradientBoosting",
            roc_auc_score(y_test, boosting.predict_proba(X_test)[:, 1]),
            accuracy_score(y_test, boosting.predict(X_test)),
            float("nan"),
            1,
            time.perf_counter() - start,
            "defaults",
        )
    )
    header = (
        f"{'model':<22}{'test AUC':>9}{'test acc':>9}{'CV AUC':>8}{'fits':>6}"
        f"{'seconds':>9}  best parameters"
    )
    print(header)
    print("-" * len(header))
    for name, auc, acc, cv_auc, n_fits, seconds, params in rows:
        cv_text = "-" if cv_auc != cv_auc else f"{cv_auc:.3f}"
        print(
            f"{name:<22}{auc:>9.3f}{acc:>9.3f}{cv_text:>8}{n_fits:>6}"
            f"{seconds:>9.1f}  {params}"
        )
    return rows


if __name__ == "__main__":
    main()
