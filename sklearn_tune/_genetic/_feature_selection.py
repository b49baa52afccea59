"""``GeneticFeatureSelectionCV``: a genetic algorithm over feature masks.

A candidate is a feature mask. To the shared loop it is an ordinary candidate:
one ``Categorical([False, True])`` dimension per column of ``X``, evaluated by
cross-validating ``_SelectColumns`` (the user's estimator on the selected
columns). The CV, scoring, multi-metric refit, ``error_score``, ``n_jobs``,
callbacks and checkpoint are the loop's, and the genetic algorithm is
``GeneticSearchCV``'s DEAP strategy: on these genes its operators are uniform
crossover and bit-flip mutation. This module adds what a mask needs: the
column selection, masks kept within ``1..max_features`` features, fewer
features preferred among equal scores, and the selector's interface
(``support_``, ``transform``).
"""

from __future__ import annotations

import copy
import random
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.feature_selection import SelectorMixin
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from .._base import BaseTuneSearchCV
from .._compat import Interval
from .._docstrings import _fill_doc
from ..space import Categorical
from ._search import GeneticSearchCV
from ._strategy import _Fitness, _GeneticStrategy, _Individual

__all__ = ["GeneticFeatureSelectionCV"]

_BIT = "feature_"  # a mask's genes are the parameters feature_0, feature_1...
_ON, _OFF = 0.75, 0.25  # genes of Categorical([False, True]): True, False
# GeneticSearchCV's parameters that are not this selector's
_NOT_PARAMETERS = {
    "search_spaces",
    "resource",
    "min_resources",
    "max_resources",
    "factor",
}


def _columns(X, indices):
    """The columns ``indices`` of ``X``: a DataFrame stays one."""
    indices = list(indices)
    if hasattr(X, "iloc"):
        return X.iloc[:, indices]
    return X[:, indices]


def _has(name, fitted):
    """For ``available_if``: whether the estimator in the attribute ``fitted``
    (before ``fit``, ``estimator``) has the method ``name``."""

    def check(self):
        getattr(self.__dict__.get(fitted, self.estimator), name)
        return True

    return check


class _SelectColumns(MetaEstimatorMixin, BaseEstimator):
    """``estimator`` fitted on the columns ``features`` of ``X``: a candidate.

    The search sets a mask one gene at a time (``feature_<i>=True`` or
    ``False``, the loop's parameters) or whole (``features=(0, 3)``, the
    refit's); ``features`` holds the selected column indices, in order.
    """

    def __init__(self, estimator, features=()):
        self.estimator = estimator
        self.features = features

    def set_params(self, **params):
        bits = {k: params.pop(k) for k in list(params) if k.startswith(_BIT)}
        if bits:
            selected = set(self.features)
            for name, on in bits.items():
                index = int(name[len(_BIT) :])
                if on:
                    selected.add(index)
                else:
                    selected.discard(index)
            self.features = tuple(sorted(selected))
        return super().set_params(**params) if params else self

    def fit(self, X, y=None, **fit_params):
        if not len(self.features):
            raise ValueError("A feature mask must select at least one feature.")
        self.estimator_ = clone(self.estimator).fit(
            _columns(X, self.features), y, **fit_params
        )
        return self

    @property
    def classes_(self):
        return self.estimator_.classes_

    @available_if(_has("predict", "estimator_"))
    def predict(self, X):
        return self.estimator_.predict(_columns(X, self.features))

    @available_if(_has("predict_proba", "estimator_"))
    def predict_proba(self, X):
        return self.estimator_.predict_proba(_columns(X, self.features))

    @available_if(_has("predict_log_proba", "estimator_"))
    def predict_log_proba(self, X):
        return self.estimator_.predict_log_proba(_columns(X, self.features))

    @available_if(_has("decision_function", "estimator_"))
    def decision_function(self, X):
        return self.estimator_.decision_function(_columns(X, self.features))

    @available_if(_has("score_samples", "estimator_"))
    def score_samples(self, X):
        return self.estimator_.score_samples(_columns(X, self.features))

    @available_if(_has("score", "estimator_"))
    def score(self, X, y=None, sample_weight=None):
        params = {} if sample_weight is None else {"sample_weight": sample_weight}
        return self.estimator_.score(_columns(X, self.features), y, **params)

    def __sklearn_tags__(self):
        # what the search and its scorers ask (classifier? which inputs?)
        # are the wrapped estimator's answers
        return copy.deepcopy(get_tags(self.estimator))


class _FewerFeatures(_Fitness):
    """Score first; among equal scores, fewer features (sklearn-genetic-opt's).

    The loop tells a score; the number of features, set on the fitness just
    before, is its second value.
    """

    weights = (1.0, -1.0)
    n_features = 0

    def _set_values(self, values):
        if len(values) == 1:
            values = (values[0], self.n_features)
        _Fitness.setValues(self, values)

    values = property(_Fitness.getValues, _set_values, _Fitness.delValues)


class _FewerFeaturesMin(_FewerFeatures):
    weights = (-1.0, -1.0)  # criteria="min": lower score, then fewer features


class _FeatureMaskStrategy(_GeneticStrategy):
    """``GeneticSearchCV``'s strategy on a mask, kept within ``max_features``.

    Genes are ``Categorical([False, True])`` dimensions, so the parent
    strategy's operators are uniform crossover and bit-flip mutation (about
    one bit per offspring, at least one). Every genome bred is *repaired*
    rather than penalised: a mask with more than ``max_features`` features
    loses randomly chosen ones until it has ``max_features``, and an empty
    mask gains one random feature. So no candidate asked is ever out of
    bounds, and no evaluation is spent on one.
    """

    # No screening model: a mask of tens of features is a point in as many
    # dimensions, which a few dozen scores cannot model.
    _SCREEN = 1

    def __init__(self, dimensions, *, max_features, **kwargs):
        super().__init__(dimensions, **kwargs)
        self.max_features = max_features
        criteria = kwargs.get("criteria", "max")
        self.fitness_class = _FewerFeatures if criteria == "max" else _FewerFeaturesMin
        self.toolbox.register("mate", self._mate_and_repair, eta=10.0)
        self.toolbox.register("mutate", self._mutate_and_repair, eta=10.0)

    def _selected(self, individual):
        return [i for i, gene in enumerate(individual) if gene >= 0.5]

    def _repair(self, individual):
        """Bring a mask to 1..max_features features; draws from ``random``
        (inside ``_deap_random``, like DEAP's operators)."""
        selected = self._selected(individual)
        if not selected:
            individual[random.randrange(len(individual))] = _ON
        for i in random.sample(selected, max(len(selected) - self.max_features, 0)):
            individual[i] = _OFF
        return individual

    def _mate_and_repair(self, ind1, ind2, eta):
        self._mate(ind1, ind2, eta)
        return self._repair(ind1), self._repair(ind2)

    def _mutate_and_repair(self, individual, eta):
        self._mutate(individual, eta)
        return (self._repair(individual),)

    def _random_individuals(self, n):
        """``n`` random masks: a size drawn uniformly in ``1..max_features``,
        then that many distinct features, so small and large subsets both
        start in the population."""
        individuals = []
        for _ in range(n):
            size = random.randint(1, self.max_features)
            selected = set(random.sample(range(len(self.dimensions)), size))
            genes = [
                _ON if i in selected else _OFF for i in range(len(self.dimensions))
            ]
            individuals.append(_Individual(genes, self.fitness_class))
        return individuals

    def tell(self, candidates, scores):
        for individual in self.pending[0]:  # the generation told
            individual.fitness.n_features = len(self._selected(individual))
        super().tell(candidates, scores)


@_fill_doc
class GeneticFeatureSelectionCV(SelectorMixin, GeneticSearchCV):
    """Select features with a genetic algorithm and cross-validation.

    Each candidate is a feature mask: ``estimator`` is cross-validated on the
    selected columns only. A population of masks evolves over generations by
    tournament selection, uniform crossover and bit-flip mutation (DEAP's
    operators), keeping the best (elitism). Among masks with equal scores the
    one with fewer features is preferred, in the population and in
    ``best_index_``. A mask is fitted once, even when it reappears.

    After ``fit`` the search is a feature selector (``support_``,
    ``transform``, ``get_support``, ``get_feature_names_out``) and a model:
    ``predict``, ``score`` and the other methods of ``estimator`` use its
    refitted ``best_estimator_`` on the selected columns.

    Parameters
    ----------
    estimator : estimator object
        Fitted on the selected columns for each candidate; must have ``score``
        unless ``scoring`` is given.
    max_features : int, default=None
        The most features a mask may select; None allows all of them. Masks
        are kept between 1 and ``max_features`` features as they are bred
        (an offspring with too many loses randomly chosen ones; an empty one
        gains one), so no candidate outside these bounds is ever evaluated.
    population_size : int, default=10
        Masks per generation (at least 2).
    generations : int, default=10
        Generations after the initial random population, whose masks have a
        number of features drawn uniformly between 1 and ``max_features``.
    crossover_probability : float or schedule, default=0.8
        Probability that two parents exchange genes (uniform crossover). A
        schedule from :mod:`sklearn_tune.schedules` (or any object with
        ``step()`` and ``current_value``) is copied at the start of each fit
        and stepped once before each generation is bred.
    mutation_probability : float or schedule, default=0.2
        Probability that an offspring is mutated: each bit flips with
        probability ``1 / n_features``, and at least one flips. With the
        ``mu_*`` algorithms, ``crossover_probability + mutation_probability``
        must be at most 1.
    tournament_size : int, default=3
        Masks drawn per tournament when choosing parents.
    elitism : int or bool, default=True
        Number of best masks carried unchanged into the next generation (True
        means 1, False 0). ``mu_plus_lambda`` is elitist by nature.
    algorithm : {"mu_plus_lambda", "mu_comma_lambda", "simple"}, \
            default="mu_plus_lambda"
        As in :class:`~sklearn_tune.GeneticSearchCV` (``"eaMuPlusLambda"``,
        ``"eaMuCommaLambda"`` and ``"eaSimple"`` are accepted too).
    keep_top_k : int, default=5
        Size of the hall of fame.
    criteria : {"max", "min"}, default="max"
        Whether the search maximises or minimises the score.
    {scoring}
    {n_jobs}
    {pre_dispatch}
    {cv}
    {refit}
    {verbose}
    random_state : int, RandomState instance or None, default=None
        Seeds the algorithm. The global ``random`` and ``numpy.random`` states
        are left as they were.
    error_score : "raise" or float, default=np.nan
        Score of a mask whose fit fails, in ``cv_results_``; it gets the worst
        fitness and never breeds. "raise" re-raises the error.
    {return_train_score}
    {checkpoint}

    Attributes
    ----------
    support_ : ndarray of shape (n_features,), dtype=bool
        The best mask: True for a selected feature. Set whenever the search
        has a best candidate, with or without ``refit``.
    best_features_ : ndarray of shape (n_features,), dtype=bool
        The same as ``support_`` (sklearn-genetic-opt's name).
    n_features_in_ : int
        Number of features of ``X`` in ``fit`` (selected or not).
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features of ``X`` in ``fit``, when they are all strings.
    best_estimator_ : estimator
        A clone of ``estimator`` refitted on all the rows and the selected
        columns (when ``refit``).
    best_params_ : dict
        ``{"features": indices}``: the selected columns, in order.
    best_score_ : float
        Mean cross-validated score of the best mask.
    best_index_ : int
        Row of the best mask in ``cv_results_``.
    cv_results_ : dict of numpy arrays
        As in ``GridSearchCV``, one row per evaluated mask. ``params`` and
        ``param_features`` hold the selected column indices;
        ``"features"`` (the boolean mask), ``"n_features"`` and
        ``"rank_n_features"`` (1 for the fewest) are added, as
        sklearn-genetic-opt names them, and ``"iter"`` is the generation.
    scorer_ : function or dict
        Scorer(s) used on the held-out data.
    n_splits_ : int
        Number of cross-validation splits.
    refit_time_ : float
        Seconds spent refitting the best mask's estimator.
    multimetric_ : bool
        Whether several metrics were scored.
    stop_reason_ : str
        Why the search ended: its budget, a callback's reason, or an
        interrupt.
    history_ : list of dict
        One entry per generation, as in
        :class:`~sklearn_tune.GeneticSearchCV`: ``gen``, ``fitness``,
        ``fitness_std``, ``fitness_max``, ``fitness_min``, ``n_new`` and
        ``n_unique``. ``len(search)`` and ``search[i]`` read it.
    hall_of_fame_ : list of dict
        The ``keep_top_k`` best masks, best first: ``{"params", "score"}``,
        ``params`` being ``{"features": indices}``.
    hof : dict
        ``{rank: params}`` of the same (sklearn-genetic-opt's view).

    See Also
    --------
    GeneticSearchCV : the same algorithm over hyperparameters.
    BayesSearchCV : Bayesian optimisation of hyperparameters.
    sklearn.feature_selection.SequentialFeatureSelector : greedy selection.
    sklearn.feature_selection.RFECV : recursive elimination.

    Notes
    -----
    During the search (in callbacks, and in the checkpoint) a candidate's
    parameters are one boolean per feature, ``feature_<i>``; when the search
    ends they are written as ``{"features": indices}``. Multi-fidelity
    (``resource``) is not offered.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_tune import GeneticFeatureSelectionCV
    >>> # 3 informative features first, then 5 of noise
    >>> X, y = make_classification(
    ...     n_samples=300, n_features=8, n_informative=3, n_redundant=0,
    ...     n_clusters_per_class=1, flip_y=0, shuffle=False, random_state=0,
    ... )
    >>> selector = GeneticFeatureSelectionCV(
    ...     LogisticRegression(), max_features=4, population_size=8,
    ...     generations=4, cv=3, random_state=0,
    ... ).fit(X, y)
    >>> selector.get_support(indices=True)
    array([0, 1, 2])
    >>> selector.best_params_
    {'features': (0, 1, 2)}
    >>> selector.transform(X).shape
    (300, 3)
    """

    # Three generations in flight: on masks two did worse
    # (`python benchmarks/bench_feature_selection.py`, 3 seeds,
    # max_features=8: precision 0.66 -> 0.55, recall 0.83 -> 0.67).
    _GENERATIONS_IN_FLIGHT = 3

    _parameter_constraints: dict = {
        **{
            name: constraint
            for name, constraint in GeneticSearchCV._parameter_constraints.items()
            if name not in _NOT_PARAMETERS
        },
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
    }
    # Not parameters here: a mask has no budget to grow (the loop reads them).
    resource = None
    min_resources = "exhaust"
    max_resources = "auto"
    factor = 3

    def __init__(
        self,
        estimator,
        *,
        max_features=None,
        population_size=10,
        generations=10,
        crossover_probability=0.8,
        mutation_probability=0.2,
        tournament_size=3,
        elitism=True,
        algorithm="mu_plus_lambda",
        keep_top_k=5,
        criteria="max",
        scoring=None,
        n_jobs=None,
        pre_dispatch="2*n_jobs",
        cv=None,
        refit=True,
        verbose=0,
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
        checkpoint=None,
    ):
        self.max_features = max_features
        self.population_size = population_size
        self.generations = generations
        self.crossover_probability = crossover_probability
        self.mutation_probability = mutation_probability
        self.tournament_size = tournament_size
        self.elitism = elitism
        self.algorithm = algorithm
        self.keep_top_k = keep_top_k
        self.criteria = criteria
        self.random_state = random_state
        self.checkpoint = checkpoint
        # scikit-learn's BaseSearchCV stores the rest; the searchers' own
        # __init__ would also store search_spaces, which is no parameter here
        super(BaseTuneSearchCV, self).__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )

    @property
    def search_spaces(self):
        """The space the loop searches: one ``Categorical([False, True])``
        per feature, named ``feature_<i>`` (None outside ``fit``)."""
        return self.__dict__.get("_mask_space")

    # -- fit ------------------------------------------------------------------

    def fit(self, X, y=None, *, groups=None, callback=None, **fit_params):
        """Search for the best feature mask, then refit on its columns.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training data; a DataFrame keeps its column names.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), \
                default=None
            Target; None for unsupervised learning.
        groups : array-like of shape (n_samples,), default=None
            Group labels for a group splitter such as ``GroupKFold``.
        callback : callable, Callback, or list of them, default=None
            Called after every generation, as in
            :meth:`GeneticSearchCV.fit <sklearn_tune.GeneticSearchCV.fit>`
            (sklearn-genetic-opt's ``callbacks=`` is accepted too).
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : object
            The fitted selector.
        """
        X = self._check_X(X, reset=True)
        n_features = X.shape[1]
        width = len(str(n_features - 1))  # the loop sorts names: pad them
        self._mask_space = {
            f"{_BIT}{i:0{width}d}": Categorical([False, True])
            for i in range(n_features)
        }
        # BaseSearchCV.fit clones self.estimator for every candidate and for
        # the refit, so during the fit it is the column selector around the
        # user's estimator (whose parameters are the mask's bits); it is put
        # back however the fit ends.
        estimator = self.estimator
        self.estimator = _SelectColumns(estimator)
        try:
            super().fit(X, y, groups=groups, callback=callback, **fit_params)
        finally:
            self.estimator = estimator
            del self._mask_space
            # also when the refit failed: the search's results are kept
            if "cv_results_" in self.__dict__:
                self._check_X(X, reset=True)  # n_features_in_, feature_names_in_
            if "best_params_" in self.__dict__:
                self.support_ = np.zeros(n_features, dtype=bool)
                self.support_[list(self.best_params_["features"])] = True
                self.best_features_ = self.support_
            if "best_estimator_" in self.__dict__:  # the user's estimator, fitted
                self.best_estimator_ = self.best_estimator_.estimator_
        return self

    def _check_search_params(self, subspaces):
        super()._check_search_params(subspaces)
        n_features = len(subspaces[0].dimensions)
        if self.max_features is not None and self.max_features > n_features:
            raise ValueError(
                f"max_features={self.max_features} is more than the {n_features} "
                f"features of X; give an int in [1, {n_features}], or None to "
                "allow them all."
            )

    def _make_strategy(self, dimensions, budget, seed):
        return _FeatureMaskStrategy(
            dimensions,
            max_features=self.max_features or len(dimensions),
            population_size=self.population_size,
            generations=budget,
            crossover_probability=self.crossover_probability,
            mutation_probability=self.mutation_probability,
            tournament_size=self.tournament_size,
            elitism=self.elitism,
            algorithm=self.algorithm,
            keep_top_k=self.keep_top_k,
            random_state=seed,
            criteria=self.criteria,
            on_record=self._record_generation,
        )

    def _run_search(self, evaluate_candidates, callback_ctx=None):
        try:
            super()._run_search(evaluate_candidates, callback_ctx)
        finally:
            self._write_masks(self._run.results)

    @staticmethod
    def _indices(params):
        """The selected column indices of a candidate's ``feature_<i>`` bits."""
        return tuple(sorted(int(k[len(_BIT) :]) for k, on in params.items() if on))

    def _write_masks(self, results):
        """Write each row's parameters as ``{"features": indices}``, and add
        sklearn-genetic-opt's ``features``, ``n_features``, ``rank_n_features``."""
        params = results.get("params")
        if not params or "features" in params[0]:
            return
        n_features = len(self._mask_space)
        indices = [self._indices(p) for p in params]
        for key in [k for k in results if k.startswith("param_" + _BIT)]:
            del results[key]
        column = np.empty(len(indices), dtype=object)
        column[:] = indices
        results["param_features"] = np.ma.MaskedArray(column, mask=False)
        results["params"] = [{"features": f} for f in indices]
        masks = np.zeros((len(indices), n_features), dtype=bool)
        for row, selected in zip(masks, indices):
            row[list(selected)] = True
        results["features"] = list(masks)
        results["n_features"] = masks.sum(axis=1)
        order = np.unique(results["n_features"], return_inverse=True)[1]
        counts = np.bincount(order)
        results["rank_n_features"] = (np.cumsum(counts) - counts + 1)[order]

    def _collect_strategies(self, strategies):
        super()._collect_strategies(strategies)
        self.hall_of_fame_ = [
            {**entry, "params": {"features": self._indices(entry["params"])}}
            for entry in self.hall_of_fame_
        ]

    def _select_best_index(self, refit, refit_metric, results):
        """As the loop chooses, then among the rows of the same rank the one
        with the fewest features (the first of them)."""
        best = super()._select_best_index(refit, refit_metric, results)
        if callable(refit) or "n_features" not in results:
            return best
        ranks = np.asarray(results[f"rank_test_{refit_metric}"])
        scores = np.asarray(results[f"mean_test_{refit_metric}"], dtype=float)
        tied = np.flatnonzero((ranks == ranks[best]) & np.isfinite(scores))
        if best not in tied:
            return best
        n_features = np.asarray(results["n_features"])
        return int(tied[np.argmin(n_features[tied])])

    # -- the selector and the model ------------------------------------------

    @property
    def n_features_in_(self):
        """Number of features of ``X`` in ``fit``."""
        try:
            return self.__dict__["n_features_in_"]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute 'n_features_in_'"
            ) from None

    @n_features_in_.setter
    def n_features_in_(self, value):
        self.__dict__["n_features_in_"] = value

    @n_features_in_.deleter
    def n_features_in_(self):
        del self.__dict__["n_features_in_"]

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_

    def _refitted(self, method):
        """``best_estimator_``, or why ``method`` cannot use it."""
        check_is_fitted(self, "support_")
        if not self.refit:
            raise AttributeError(
                f"This {type(self).__name__} was fitted with refit=False, so it "
                f"has no best_estimator_ for {method}. transform(X) still selects "
                "the best features; fit with refit=True to predict, or fit your "
                "estimator on transform(X) yourself."
            )
        return self.best_estimator_

    def _select(self, X):
        """The selected columns of ``X``, checked against the data of ``fit``."""
        check_is_fitted(self, "support_")
        return _columns(self._check_X(X, reset=False), np.flatnonzero(self.support_))

    def _check_X(self, X, reset):
        """``X`` as the estimator accepts it, every column checked (a column
        that no mask selects is checked too). A DataFrame is kept as it is."""
        tags = get_tags(self.estimator).input_tags
        return validate_data(
            self,
            X,
            reset=reset,
            accept_sparse=["csr", "csc"],
            dtype=None if tags.string else "numeric",
            ensure_all_finite=not tags.allow_nan,
            skip_check_array=hasattr(X, "iloc"),
        )

    @available_if(_has("predict", "best_estimator_"))
    def predict(self, X):
        """Predict with ``best_estimator_`` on the selected columns of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All the features, as in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The predictions.
        """
        return self._refitted("predict").predict(self._select(X))

    @available_if(_has("predict_proba", "best_estimator_"))
    def predict_proba(self, X):
        """Class probabilities of ``best_estimator_`` on the selected columns.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All the features, as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The probabilities.
        """
        return self._refitted("predict_proba").predict_proba(self._select(X))

    @available_if(_has("predict_log_proba", "best_estimator_"))
    def predict_log_proba(self, X):
        """Log class probabilities of ``best_estimator_`` on the selected columns.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All the features, as in ``fit``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            The log probabilities.
        """
        return self._refitted("predict_log_proba").predict_log_proba(self._select(X))

    @available_if(_has("decision_function", "best_estimator_"))
    def decision_function(self, X):
        """Decision function of ``best_estimator_`` on the selected columns.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All the features, as in ``fit``.

        Returns
        -------
        scores : ndarray
            The decision function's values.
        """
        return self._refitted("decision_function").decision_function(self._select(X))

    @available_if(_has("score_samples", "best_estimator_"))
    def score_samples(self, X):
        """``score_samples`` of ``best_estimator_`` on the selected columns.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All the features, as in ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The scores.
        """
        return self._refitted("score_samples").score_samples(self._select(X))

    def score(self, X, y=None, **params):
        """Score ``best_estimator_`` on the selected columns, with ``scorer_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All the features, as in ``fit``.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), \
                default=None
            Target.
        **params : dict
            Passed to the scorer.

        Returns
        -------
        score : float
            The score of the ``refit`` metric.
        """
        self._refitted("score")
        return super().score(self._select(X), y, **params)
