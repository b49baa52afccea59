"""A multilayer perceptron for tabular data, every knob a ``module__*`` parameter.

``module="mlp"`` builds :class:`TabularMLP` for float tabular input, shape
(n_samples, n_features), as a scikit-learn ``ColumnTransformer`` gives it:
``n_features`` and ``n_classes`` come from the data, and its depth, width,
dropout and batch normalisation are ``module__hidden_layers``,
``module__units``, ``module__dropout`` and ``module__batch_norm``, which the
searchers tune by name like any other parameter.
"""

from __future__ import annotations

from torch import nn

__all__ = ["TabularMLP", "MLP_ACTIVATIONS"]

MLP_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh}
"""The activations :class:`TabularMLP` accepts, by name."""


class TabularMLP(nn.Module):
    """Fully connected layers for tabular data, then a linear head.

    Each hidden layer is ``Linear -> [BatchNorm1d] -> activation ->
    [Dropout]``; the head (``head``, the last ``Linear``) gives one output
    per class or target.

    Parameters
    ----------
    n_features : int
        Columns of the input.
    n_classes : int, default=1
        Outputs of the head (classes, or targets for a regressor).
    hidden_layers : int, default=2
        Hidden layers; 0 is a linear model.
    units : int, default=64
        Units of the first hidden layer.
    shrink : float, default=1.0
        Each hidden layer has ``shrink`` times the units of the one before
        (at least 1): 0.5 halves the width layer after layer.
    dropout : float, default=0.0
        Dropout probability after each hidden layer, in [0, 1).
    batch_norm : bool, default=False
        Whether each hidden layer normalises its outputs (``BatchNorm1d``).
    activation : {"relu", "gelu", "silu", "tanh"}, default="relu"
        The hidden layers' activation.

    See Also
    --------
    make_mlp_space : A search space over its shape.
    CifarResNet : The network for images.

    Examples
    --------
    >>> import torch
    >>> from sklearn_tune.nn import TabularMLP
    >>> mlp = TabularMLP(n_features=4, n_classes=3, units=16, shrink=0.5)
    >>> [layer.out_features for layer in mlp.body if isinstance(layer, torch.nn.Linear)]
    [16, 8]
    >>> mlp(torch.zeros(5, 4)).shape
    torch.Size([5, 3])
    """

    def __init__(
        self,
        n_features,
        n_classes=1,
        hidden_layers=2,
        units=64,
        shrink=1.0,
        dropout=0.0,
        batch_norm=False,
        activation="relu",
    ):
        super().__init__()
        _check_mlp_args(
            n_features, n_classes, hidden_layers, units, shrink, dropout, activation
        )
        layers = []
        width_in, width = int(n_features), float(units)
        for _ in range(int(hidden_layers)):
            width_out = max(1, round(width))
            layers.append(nn.Linear(width_in, width_out))
            if batch_norm:
                layers.append(nn.BatchNorm1d(width_out))
            layers.append(MLP_ACTIVATIONS[activation]())
            if dropout:
                layers.append(nn.Dropout(dropout))
            width_in, width = width_out, width * shrink
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width_in, int(n_classes))

    def forward(self, x):
        return self.head(self.body(x))


def _check_mlp_args(
    n_features, n_classes, hidden_layers, units, shrink, dropout, activation
):
    problems = []
    for name, value, low in (
        ("n_features", n_features, 1),
        ("n_classes", n_classes, 1),
        ("hidden_layers", hidden_layers, 0),
        ("units", units, 1),
    ):
        if isinstance(value, bool) or not float(value).is_integer() or value < low:
            problems.append(f"{name} must be an int >= {low}; got {value!r}")
    if not shrink > 0:
        problems.append(f"shrink must be > 0; got {shrink!r}")
    if not 0 <= dropout < 1:
        problems.append(f"dropout must be in [0, 1); got {dropout!r}")
    if activation not in MLP_ACTIVATIONS:
        problems.append(
            f"activation must be one of {sorted(MLP_ACTIVATIONS)}; got {activation!r}"
        )
    if problems:
        raise ValueError(
            "TabularMLP: "
            + "; ".join(problems)
            + ". Set them with module__<name>, e.g. module__units=64."
        )
