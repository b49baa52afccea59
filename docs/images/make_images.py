"""Draw the plot screenshots in this folder from small Titanic searches.

Run from the repository root (about a minute on 2 cores)::

    python docs/images/make_images.py
"""

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402
from scipy.stats import loguniform, randint  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    RandomizedSearchCV,
    StratifiedKFold,
)
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_tune import BayesSearchCV, GeneticSearchCV  # noqa: E402
from sklearn_tune.datasets import load_titanic, make_titanic_preprocessor  # noqa: E402
from sklearn_tune.plots import (  # noqa: E402
    plot_convergence,
    plot_evolution,
    plot_importance,
    plot_objective,
    plot_parallel_coordinates,
)
from sklearn_tune.space import Categorical, Integer, Real  # noqa: E402

HERE = Path(__file__).resolve().parent


def main():
    X, y = load_titanic(return_X_y=True)
    model = make_pipeline(
        make_titanic_preprocessor(), RandomForestClassifier(random_state=0)
    )
    space = {
        "randomforestclassifier__n_estimators": Integer(10, 200, prior="log-uniform"),
        "randomforestclassifier__max_depth": Integer(2, 16),
        "randomforestclassifier__min_samples_leaf": Integer(1, 30, prior="log-uniform"),
        "randomforestclassifier__max_features": Categorical(["sqrt", "log2", None]),
        "randomforestclassifier__ccp_alpha": Real(1e-5, 1e-2, prior="log-uniform"),
    }
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    common = {"cv": cv, "random_state": 0, "n_jobs": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        genetic = GeneticSearchCV(
            model, space, population_size=8, generations=5, **common
        ).fit(X, y)
        bayes = BayesSearchCV(
            model,
            space,
            n_iter=40,
            optimizer_kwargs={"n_initial_points": 10},
            **common,
        ).fit(X, y)
        distributions = {
            "randomforestclassifier__n_estimators": randint(10, 201),
            "randomforestclassifier__max_depth": randint(2, 17),
            "randomforestclassifier__min_samples_leaf": randint(1, 31),
            "randomforestclassifier__max_features": ["sqrt", "log2", None],
            "randomforestclassifier__ccp_alpha": loguniform(1e-5, 1e-2),
        }
        random = RandomizedSearchCV(model, distributions, n_iter=40, **common).fit(X, y)

    def save(ax, name):
        fig = ax.figure if hasattr(ax, "figure") else ax.flat[0].figure
        path = HERE / f"{name}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        # 256 colours are plenty for a plot and keep each file small
        Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)

    save(plot_convergence(genetic, bayes, random), "plot_convergence")
    save(plot_evolution(genetic), "plot_evolution")
    save(plot_objective(bayes), "plot_objective")
    save(plot_parallel_coordinates(bayes), "plot_parallel_coordinates")
    save(plot_importance(bayes), "plot_importance")


if __name__ == "__main__":
    main()
