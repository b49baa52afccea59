"""Fine-tune a small ResNet on few labels, tuned by BayesSearchCV and GeneticSearchCV.
===================================================================================

Runs offline on a CPU (scikit-learn's 8x8 digits; no download):

1. pretrain the built-in ResNet-8 on the digits 0-4 and save its weights;
2. fine-tune on the digits 5-9 from a few labels per class, three ways: from
   scratch, head only (backbone frozen), full fine-tune; and a fourth where the
   search also chooses how many stages to unfreeze and the backbone's learning
   rate;
3. each way is tuned twice, by BayesSearchCV and by GeneticSearchCV, over the
   optimizer, learning rate, warm-up and weight decay; the table shows the
   test accuracy of the refitted best model, the number of fits and the time.

Run it with::

    python examples/resnet_finetune.py            # about 1-2 minutes on 2 cores
    python examples/resnet_finetune.py --quick    # smoke test, under 30 s

Needs the ``nn`` extra (torch and skorch).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold, train_test_split

from sklearn_tune import BayesSearchCV, GeneticSearchCV
from sklearn_tune.nn import FineTuneClassifier, make_optimizer_space
from sklearn_tune.space import Integer, Real

SETTINGS = {
    # pretrain epochs, fine-tune epochs, candidates per search, CV folds
    "full": {"pretrain_epochs": 10, "epochs": 20, "n_candidates": 10, "cv": 3},
    "quick": {"pretrain_epochs": 2, "epochs": 4, "n_candidates": 3, "cv": 2},
}
WAYS = {
    # name: (start from the pretrained weights?, fixed parameters, extra space)
    "from scratch": (False, {"n_trainable_stages": None}, {}),
    "head only": (True, {"n_trainable_stages": 0}, {}),
    "full fine-tune": (True, {"n_trainable_stages": None}, {}),
    "tuned freezing": (
        True,
        {},
        {
            "n_trainable_stages": Integer(0, 4),
            "backbone_lr_scale": Real(0.01, 1.0, prior="log-uniform"),
        },
    ),
}


def load_images():
    """Digits as 1x8x8 float32 images in [0, 1], and their labels."""
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).reshape(-1, 1, 8, 8).astype(np.float32), y


def pretrain(X, y, path, epochs, seed):
    """Train ResNet-8 on the digits 0-4, save its state_dict, return its accuracy."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=seed
    )
    net = FineTuneClassifier(
        "resnet8", lr=3e-3, max_epochs=epochs, batch_size=64, random_state=seed
    )
    net.fit(X_train, y_train)
    torch.save(net.module_.state_dict(), path)
    return net.score(X_test, y_test)


def make_search(searcher, estimator, space, n_candidates, cv, n_jobs, seed):
    if searcher == "Bayes":
        return BayesSearchCV(
            estimator,
            space,
            n_iter=n_candidates,
            cv=cv,
            n_jobs=n_jobs,
            random_state=seed,
            error_score=np.nan,
            optimizer_kwargs={"n_initial_points": max(n_candidates // 2, 1)},
        )
    population = max(n_candidates // 3, 3) if n_candidates > 3 else n_candidates
    generations = max(round(n_candidates / population) - 1, 0)
    return GeneticSearchCV(
        estimator,
        space,
        population_size=population,
        generations=generations,
        cv=cv,
        n_jobs=n_jobs,
        random_state=seed,
    )


def short(params):
    keys = {
        "optimizer": "opt",
        "lr": "lr",
        "warmup_epochs": "warm",
        "weight_decay": "wd",
        "n_trainable_stages": "stages",
        "backbone_lr_scale": "bb_lr",
    }
    out = []
    for key, label in keys.items():
        if key in params:
            value = params[key]
            out.append(
                f"{label}={value:.2g}"
                if isinstance(value, float)
                else f"{label}={value}"
            )
    return " ".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke test, < 30 s")
    parser.add_argument("--labels-per-class", type=int, default=6)
    parser.add_argument(
        "--n-jobs", type=int, default=None, help="parallel fits (2; 1 with --quick)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--weights", default=None, help="where to save the pretrained weights"
    )
    args = parser.parse_args(argv)
    setting = SETTINGS["quick" if args.quick else "full"]
    n_jobs = args.n_jobs or (1 if args.quick else 2)
    # Small nets run fastest on one thread per fit; parallelism comes from n_jobs.
    torch.set_num_threads(1)
    start = time.perf_counter()

    X, y = load_images()
    source = y < 5
    workdir = tempfile.mkdtemp(prefix="resnet_finetune_")
    weights = args.weights or os.path.join(workdir, "resnet8_digits0-4.pt")
    acc = pretrain(X[source], y[source], weights, setting["pretrain_epochs"], args.seed)
    print(
        f"Pretrained ResNet-8 on digits 0-4 ({source.sum()} images): "
        f"held-out accuracy {acc:.3f}; weights saved to {weights}"
    )

    X_target, y_target = X[~source], y[~source]
    n_train = args.labels_per_class * 5
    X_train, X_test, y_train, y_test = train_test_split(
        X_target,
        y_target,
        train_size=n_train,
        stratify=y_target,
        random_state=args.seed,
    )
    print(
        f"Fine-tuning on digits 5-9 with {args.labels_per_class} labels per class "
        f"({n_train} images); testing on the other {len(y_test)}.\n"
    )
    cv = StratifiedKFold(setting["cv"], shuffle=True, random_state=args.seed)
    # without momentum, every optimizer reads the same knobs: one sub-space
    (space,) = make_optimizer_space(
        optimizers=("sgd", "nesterov", "adam", "adamw"),
        lr=(1e-4, 3e-2),
        momentum=None,
    )
    space["warmup_epochs"] = Integer(0, 3)

    rows = []
    for way, (pretrained, fixed, extra) in WAYS.items():
        estimator = FineTuneClassifier(
            "resnet8",
            weights=weights if pretrained else None,
            max_epochs=setting["epochs"],
            batch_size=16,
            lr_schedule="cosine",
            random_state=args.seed,
            **fixed,
        )
        for searcher in ("Bayes", "Genetic"):
            search = make_search(
                searcher,
                estimator,
                {**space, **extra},
                setting["n_candidates"],
                cv,
                n_jobs,
                args.seed,
            )
            tic = time.perf_counter()
            search.fit(X_train, y_train)
            seconds = time.perf_counter() - tic
            n_fits = len(search.cv_results_["params"]) * search.n_splits_ + 1
            rows.append(
                (
                    way,
                    searcher,
                    search.score(X_test, y_test),
                    search.best_score_,
                    n_fits,
                    seconds,
                    short(search.best_params_),
                )
            )
            print(
                f"  {way:<15} {searcher:<8} test accuracy {rows[-1][2]:.3f} "
                f"({n_fits} fits, {seconds:.1f} s)"
            )

    header = (
        f"\n{'way':<15} {'searcher':<8} {'test acc':>8} {'cv acc':>7} {'fits':>5} "
        f"{'time s':>7}  best parameters"
    )
    print(header)
    print("-" * (len(header) + 30))
    for way, searcher, test, cv_score, n_fits, seconds, best in rows:
        print(
            f"{way:<15} {searcher:<8} {test:>8.3f} {cv_score:>7.3f} {n_fits:>5} "
            f"{seconds:>7.1f}  {best}"
        )
    print(f"\nTotal time {time.perf_counter() - start:.0f} s.")
    return rows


if __name__ == "__main__":
    main()
