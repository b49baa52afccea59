"""Write the API reference pages from the public modules' ``__all__``.

Each module gets one page, ``api/<module>.rst``, with an autosummary table of
its public names (one generated page per name). A module that is not there yet,
or that needs a dependency this environment lacks (``sklearn_tune.nn`` without
torch, ``sklearn_tune.plots`` without matplotlib), is left out with a note on
stdout; any other import error fails the build.
"""

import importlib
import importlib.util
from pathlib import Path

# (module, title): the order of the reference's table of contents.
MODULES = [
    ("sklearn_tune", "Searchers and importance"),
    ("sklearn_tune.space", "Search spaces"),
    ("sklearn_tune.callbacks", "Callbacks"),
    ("sklearn_tune.schedules", "Schedules"),
    ("sklearn_tune.exceptions", "Exceptions and warnings"),
    ("sklearn_tune.datasets", "Datasets"),
    ("sklearn_tune.plots", "Plots"),
    ("sklearn_tune.nn", "Fine-tuning PyTorch networks"),
]

# Public names a module loads through its ``__getattr__`` only, outside
# ``__all__`` because importing them imports a third-party package (skorch,
# torch): each is documented when it imports here, left out with a note if not.
LAZY_EXTRAS = {
    "sklearn_tune.callbacks": ["TensorBoardEpochLogger"],
}

INDEX = """\
API reference
=============

Every public name, by module. Users import from these modules only; the
modules whose names start with an underscore are private.

.. toctree::
   :maxdepth: 2

{entries}
"""

PAGE = """\
{title}
{underline}

.. automodule:: {module}
   :no-members:

.. currentmodule:: {module}

.. autosummary::
   :toctree: generated/
   :nosignatures:

{names}
"""


def _import_public(module_name):
    """The module, or None when it is absent or lacks a third-party dependency."""
    if importlib.util.find_spec(module_name) is None:
        print(f"[api] {module_name} does not exist here: left out of the reference")
        return None
    try:
        return importlib.import_module(module_name)
    except ImportError as err:
        missing = (err.name or "").split(".")[0]
        if missing and missing != "sklearn_tune":
            print(f"[api] {module_name} needs {missing}: left out of the reference")
            return None
        raise


def _importable_extras(module):
    """The names of ``LAZY_EXTRAS`` whose dependencies import here."""
    for name in LAZY_EXTRAS.get(module.__name__, ()):
        try:
            getattr(module, name)
        except ImportError as err:
            if (err.name or "").split(".")[0] == "sklearn_tune":
                raise
            print(f"[api] {module.__name__}.{name} left out of the reference: {err}")
        else:
            yield name


def _public_names(module):
    """``__all__``, the names the package loads on first use (``_LAZY``) and
    those of ``LAZY_EXTRAS`` that import here."""
    names = {
        *module.__all__,
        *getattr(module, "_LAZY", ()),
        *_importable_extras(module),
    }
    names = [name for name in names if not name.startswith("_")]
    # Classes and functions first, then constants, each alphabetically.
    return sorted(names, key=lambda n: (not callable(getattr(module, n)), n))


def write_api_pages(folder):
    """Write ``folder/index.rst`` and one page per importable public module."""
    folder = Path(folder)
    folder.mkdir(exist_ok=True)
    written = []
    for module_name, title in MODULES:
        module = _import_public(module_name)
        if module is None:
            continue
        heading = f"{title} (``{module_name}``)"
        names = "\n".join(f"   {name}" for name in _public_names(module))
        page = PAGE.format(
            title=heading,
            underline="=" * len(heading),
            module=module_name,
            names=names,
        )
        _write_if_changed(folder / f"{module_name}.rst", page)
        written.append(module_name)
    entries = "\n".join(f"   {name}" for name in written)
    _write_if_changed(folder / "index.rst", INDEX.format(entries=entries))
    for stale in folder.glob("sklearn_tune*.rst"):
        if stale.stem not in written:
            stale.unlink()
    return written


def _write_if_changed(path, text):
    # An unchanged page keeps its time stamp, so Sphinx does not reread it.
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
