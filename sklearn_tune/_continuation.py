"""Continued training: a promoted candidate goes on from where its rung stopped.

In a multi-fidelity search, a candidate promoted from budget ``a`` to budget
``b`` would be trained again from scratch for ``b``. Where the estimator can go
on (``warm_start``) *and the result is the model a fresh fit to ``b`` gives*,
each CV fold's model of rung ``a`` is trained on instead, for the difference
only. A row of ``cv_results_`` is then still the CV score of its own
parameters at its budget, exactly.

Whether a candidate goes on is decided per candidate, from the estimator
actually fitted: the search's estimator with the candidate's parameters set
(a ``Categorical`` of estimators swaps a step, and each choice follows its own
rule). It goes on when

- its class adds to the model it has along the resource: ``n_estimators`` of
  forests, extra trees and bagging, ``n_estimators`` of gradient boosting,
  ``max_iter`` of histogram gradient boosting (inside a ``Pipeline`` too);
- and nothing in its settings makes ``warm_start`` change the result or fail:
  early stopping (``n_iter_no_change`` of gradient boosting,
  ``early_stopping`` of histogram gradient boosting, ``"auto"`` included when
  the training split has more than 10,000 rows) stops at another iteration
  when continued; ``oob_score`` is refused with ``warm_start`` by bagging.

Everything else is trained from scratch at every rung: MLPs and skorch nets
too, whose continued fit is only close to a fresh one (a fresh Adam state, a
learning-rate schedule that restarts), so that a row never depends on whether
its candidate was promoted or fitted afresh.

The models kept are those of the candidates promoted to the next rung (one per
CV split), dropped once the next rung has used them. A candidate whose models
were not kept (the search resumed from a checkpoint, or it was cached from
another bracket) is trained from scratch at its budget: the same model.
"""

from __future__ import annotations

from ._compat import fit_and_score

# scikit-learn's HistGradientBoosting* turn early stopping on, under
# ``early_stopping="auto"``, above this many training rows
_HGB_AUTO_EARLY_STOPPING_ROWS = 10_000


def _no_oob_score(owner, n_train):
    return not owner.get_params(deep=False).get("oob_score")


def _no_n_iter_no_change(owner, n_train):
    return owner.get_params(deep=False).get("n_iter_no_change") is None


def _no_hgb_early_stopping(owner, n_train):
    early_stopping = owner.get_params(deep=False).get("early_stopping")
    if early_stopping == "auto":
        return n_train <= _HGB_AUTO_EARLY_STOPPING_ROWS
    return not early_stopping


_FOREST = "sklearn.ensemble._forest"
_HGB = "sklearn.ensemble._hist_gradient_boosting.gradient_boosting"
# (estimator class's module and name) -> (resource parameter, whether the
# configured estimator's continued fit equals a fresh one)
_RULES = {
    (_FOREST, "RandomForestClassifier"): ("n_estimators", _no_oob_score),
    (_FOREST, "RandomForestRegressor"): ("n_estimators", _no_oob_score),
    (_FOREST, "ExtraTreesClassifier"): ("n_estimators", _no_oob_score),
    (_FOREST, "ExtraTreesRegressor"): ("n_estimators", _no_oob_score),
    ("sklearn.ensemble._bagging", "BaggingClassifier"): ("n_estimators", _no_oob_score),
    ("sklearn.ensemble._bagging", "BaggingRegressor"): ("n_estimators", _no_oob_score),
    ("sklearn.ensemble._gb", "GradientBoostingClassifier"): (
        "n_estimators",
        _no_n_iter_no_change,
    ),
    ("sklearn.ensemble._gb", "GradientBoostingRegressor"): (
        "n_estimators",
        _no_n_iter_no_change,
    ),
    (_HGB, "HistGradientBoostingClassifier"): ("max_iter", _no_hgb_early_stopping),
    (_HGB, "HistGradientBoostingRegressor"): ("max_iter", _no_hgb_early_stopping),
}


def continuation(estimator, resource, n_train=0):
    """How ``estimator``, configured as it will be fitted, goes on along
    ``resource``: a :class:`Continuation`, or None when it is trained from
    scratch.

    Parameters
    ----------
    estimator : estimator
        The estimator actually fitted: the search's estimator with the
        candidate's parameters set.
    resource : str or None
        The parameter that carries the budget (``"clf__n_estimators"``).
    n_train : int, default=0
        The most rows a CV split trains on (some estimators decide on early
        stopping from it).
    """
    if resource is None:
        return None
    owner_name, _, param = resource.rpartition("__")
    try:
        owner = estimator.get_params(deep=True)[owner_name] if owner_name else estimator
    except KeyError:
        return None
    if not hasattr(owner, "get_params"):
        return None
    for cls in type(owner).__mro__:
        rule = _RULES.get((cls.__module__, cls.__name__))
        if rule is None:
            continue
        rule_param, exact = rule
        if rule_param != param or not exact(owner, n_train):
            return None
        prefix = f"{owner_name}__" if owner_name else ""
        return Continuation(resource, prefix + "warm_start")
    return None


class Continuation:
    """How a candidate's model of one budget goes on to the next."""

    def __init__(self, resource, warm_start):
        self.resource = resource
        self.warm_start = warm_start

    def go_on(self, model, budget):
        """Set ``model`` (fitted to a lower budget) to train on to ``budget``."""
        return model.set_params(**{self.resource: budget, self.warm_start: True})


def fit_split(model, X, y, train, test, kwargs, keep=True):
    """Fit ``model`` itself (the caller's own copy, no clone) on one CV split
    and score it, as ``evaluate_candidates`` would.

    Returns scikit-learn's fit result and, with ``keep``, the trained model
    (None when the fit failed, or without ``keep``: it is not sent back).
    Runs in a joblib worker.
    """
    result = fit_and_score(model, X, y, train=train, test=test, parameters={}, **kwargs)
    model = result.pop("estimator", None)
    return result, (model if keep and result["fit_error"] is None else None)
