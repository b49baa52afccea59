"""Continued training: a promoted candidate goes on from where its rung stopped.

In a multi-fidelity search, a candidate promoted from budget ``a`` to budget
``b`` would be trained again from scratch for ``b``. When its estimator can go
on (``warm_start``), each CV fold's model of rung ``a`` is trained on instead,
for the difference only.

How an estimator goes on is a property of its class:

- ``"total"``: the resource counts the whole training (``n_estimators`` of
  forests and bagging, ``n_estimators``/``max_iter`` of gradient boosting);
  with ``warm_start=True`` a refit adds what is missing. The model equals
  one trained from scratch.
- ``"more"``: the resource counts the training of one ``fit`` call
  (``max_iter`` of ``MLPClassifier``, ``max_epochs`` of skorch nets such as
  :class:`~sklearn_tune.nn.FineTuneClassifier`); with ``warm_start=True``
  ``fit`` trains ``b - a`` more. The model is close to, not equal to, one
  trained from scratch: MLP starts a fresh Adam state; a FineTuneClassifier
  keeps its optimizer state and restarts its learning-rate schedule. So the
  full budget, whose rows choose ``best_*``, is trained from scratch (the
  search loop sees to it): ``best_score_`` is the score of what ``refit`` trains.

Other estimators are retrained from scratch at every rung.

The models kept are those of the candidates promoted to the next rung (one per
CV split): fewer than ``1/factor`` of a rung's fits, dropped once the next
rung has used them. A candidate whose models were not kept (the search
resumed from a checkpoint, or it was cached from another bracket) is trained
through the same sequence of budgets again, so its result is the one an
uninterrupted search gets.
"""

from __future__ import annotations

import time

from sklearn.base import clone

from ._compat import fit_and_score

# (estimator class's module and name) -> (resource parameter, how it goes on)
_RULES = {
    ("sklearn.ensemble._forest", "RandomForestClassifier"): ("n_estimators", "total"),
    ("sklearn.ensemble._forest", "RandomForestRegressor"): ("n_estimators", "total"),
    ("sklearn.ensemble._forest", "ExtraTreesClassifier"): ("n_estimators", "total"),
    ("sklearn.ensemble._forest", "ExtraTreesRegressor"): ("n_estimators", "total"),
    ("sklearn.ensemble._bagging", "BaggingClassifier"): ("n_estimators", "total"),
    ("sklearn.ensemble._bagging", "BaggingRegressor"): ("n_estimators", "total"),
    ("sklearn.ensemble._gb", "GradientBoostingClassifier"): ("n_estimators", "total"),
    ("sklearn.ensemble._gb", "GradientBoostingRegressor"): ("n_estimators", "total"),
    (
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting",
        "HistGradientBoostingClassifier",
    ): ("max_iter", "total"),
    (
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting",
        "HistGradientBoostingRegressor",
    ): ("max_iter", "total"),
    (
        "sklearn.neural_network._multilayer_perceptron",
        "MLPClassifier",
    ): ("max_iter", "more"),
    (
        "sklearn.neural_network._multilayer_perceptron",
        "MLPRegressor",
    ): ("max_iter", "more"),
}


def continuation(estimator, resource):
    """How ``estimator`` goes on along ``resource``: a :class:`Continuation`, or
    None when it is retrained from scratch."""
    if resource is None:
        return None
    owner_name, _, param = resource.rpartition("__")
    owner = estimator.get_params(deep=True)[owner_name] if owner_name else estimator
    if not hasattr(owner, "get_params") or "warm_start" not in owner.get_params(
        deep=False
    ):
        return None
    mode = None
    for cls in type(owner).__mro__:
        rule = _RULES.get((cls.__module__, cls.__name__))
        if rule is not None:
            mode = rule[1] if rule[0] == param else None
            break
        if (cls.__module__, cls.__name__) == ("skorch.net", "NeuralNet"):
            mode = "more" if param == "max_epochs" else None
            break
    if mode is None:
        return None
    prefix = f"{owner_name}__" if owner_name else ""
    return Continuation(resource, prefix + "warm_start", mode)


class Continuation:
    """Trains one CV split of a candidate through a sequence of budgets."""

    def __init__(self, resource, warm_start, mode):
        self.resource = resource
        self.warm_start = warm_start
        self.mode = mode

    def fit_and_score(self, base, model, params, budgets, X, y, train, test, kwargs):
        """Train to ``budgets[-1]`` and score: from ``model`` (trained to
        ``budgets[0]``), or from scratch through every budget.

        Returns scikit-learn's fit result of the last budget, whose
        ``fit_time`` counts every fit of this call, and the trained model
        (None when a fit failed). Runs in a joblib worker.
        """
        start = time.perf_counter()
        if model is None:
            model, done = clone(base).set_params(**params), 0
        else:
            done, budgets = budgets[0], budgets[1:]
        for budget in budgets:
            self._step(model, done, budget)
            result = fit_and_score(
                model, X, y, train=train, test=test, parameters={}, **kwargs
            )
            model = result.pop("estimator", None)
            if result["fit_error"] is not None:
                model = None
                break
            done = budget
        if model is not None:
            model.set_params(**{self.resource: done})
        result["fit_time"] = time.perf_counter() - start - result["score_time"]
        return result, model

    def _step(self, model, done, budget):
        """Set ``model`` to train from ``done`` to ``budget``."""
        if not done:
            return model.set_params(**{self.resource: budget})
        more = budget - done if self.mode == "more" else budget
        return model.set_params(**{self.resource: more, self.warm_start: True})
