"""Optional dependencies: import one, or say which extra installs it."""

from __future__ import annotations

import importlib


def import_extra(module, extra, feature):
    """Import ``module``; if it is missing, raise an ImportError that names
    the extra of sklearn-tune that installs it.

    Parameters
    ----------
    module : str
        The module to import, e.g. ``"mlflow"``.
    extra : str
        The extra that installs it, e.g. ``"mlflow"`` for
        ``pip install "sklearn-tune[mlflow]"``.
    feature : str
        What needs it, for the message, e.g. ``"MLflowLogger"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.split(".")[0]
        raise ImportError(
            f"{feature} needs {top}, which is missing (could not import "
            f"{err.name or module!r}). Install it with "
            f'pip install "sklearn-tune[{extra}]" (or pip install {top}).'
        ) from err
