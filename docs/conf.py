"""Sphinx configuration of the sklearn-tune documentation.

Build with ``make docs`` (warnings are errors); the HTML lands in
``docs/_build/html``. The API reference is written at build time from each
public module's ``__all__`` and the package's lazily loaded names (see
``_api.py``), so a new public name is documented without editing these files,
and optional modules (``sklearn_tune.nn`` without torch, ``sklearn_tune.plots``
without matplotlib) are left out when they do not import.
"""

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # _api.py and _gallery.py
sys.path.insert(0, str(HERE.parent))  # sklearn_tune from this checkout

from _api import write_api_pages  # noqa: E402

import sklearn_tune  # noqa: E402

project = "sklearn-tune"
author = "sklearn-tune developers"
copyright = "2026, sklearn-tune developers"
release = sklearn_tune.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",  # Markdown pages (it brings myst_parser) and the notebooks
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# The notebooks of examples/notebooks/ are pages of their own, with the outputs
# stored in them (a full run; CI executes them in quick mode with `make
# notebooks`, not here). They are copied to docs/notebooks/ (git ignores it),
# as sphinx-gallery copies the examples to auto_examples/.
nb_execution_mode = "off"
NOTEBOOKS = HERE / "notebooks"
shutil.rmtree(NOTEBOOKS, ignore_errors=True)
NOTEBOOKS.mkdir()
for _notebook in sorted((HERE.parent / "examples" / "notebooks").glob("*.ipynb")):
    shutil.copy2(_notebook, NOTEBOOKS / _notebook.name)
root_doc = "index"
templates_path = ["_templates"]
# sphinx-gallery writes a notebook of every example beside its page: not a source
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb"]

# The markdown pages of docs/ are read by MyST; ``` fences are code, headings
# get anchors so that pages can link to sections.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# API reference: autosummary pages, numpydoc sections.
API_DIR = HERE / "api"
API_MODULES = write_api_pages(API_DIR)
# The pages to generate stubs from, named rather than True: with True, an
# incremental build looks only at the pages the previous build found.
autosummary_generate = [f"api/{name}.rst" for name in API_MODULES]
autodoc_default_options = {"members": True}
autodoc_typehints = "none"  # the types are in the numpydoc sections
numpydoc_show_class_members = False  # autodoc lists the members itself
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# Links into the projects sklearn-tune builds on (``:class:`~sklearn.base.
# BaseEstimator``` and the like). The build must not need a network: when it
# cannot read any inventory of a project, Sphinx warns ("failed to reach any of
# the inventories", a warning no suppress_warnings entry silences), and warnings
# are errors here. So a project is linked only when its inventory is in
# docs/_inventories/<name>-objects.inv (see the README.txt there), or, with
# SKLEARN_TUNE_INTERSPHINX_ONLINE=1 (a build with a network), from its URL.
# Without one, a reference to that project shows as plain code text: nitpicky
# is off, so an unresolved reference is no warning.
INTERSPHINX_URLS = {
    "sklearn": "https://scikit-learn.org/stable/",
    "numpy": "https://numpy.org/doc/stable/",
    "pandas": "https://pandas.pydata.org/docs/",
    "skopt": "https://scikit-optimize.github.io/stable/",
    "torch": "https://docs.pytorch.org/docs/stable/",
    "skorch": "https://skorch.readthedocs.io/en/stable/",
}
INVENTORY_DIR = HERE / "_inventories"
_ONLINE = os.environ.get("SKLEARN_TUNE_INTERSPHINX_ONLINE", "") not in ("", "0")
intersphinx_mapping = {}
for _name, _url in INTERSPHINX_URLS.items():
    _local = INVENTORY_DIR / f"{_name}-objects.inv"
    if _local.is_file():
        intersphinx_mapping[_name] = (_url, str(_local))
    elif _ONLINE:
        intersphinx_mapping[_name] = (_url, None)
intersphinx_timeout = 5  # seconds, for the online ones

# The gallery: every script of examples/ is shown; only the fast ones run, with
# --quick (each example reads it), so that the build takes a minute or two.
# SKLEARN_TUNE_GALLERY_RUN=<regex> chooses others, e.g. "/resnet" (needs torch).
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": os.environ.get(
        "SKLEARN_TUNE_GALLERY_RUN", r"/(titanic|digits_svm|plot_\w+)\.py$"
    ),
    "reset_argv": "_gallery.quick_argv",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "min_reported_time": 1,
    # "Examples using X" under each class and function of the API reference
    # (the autosummary templates of _templates/ include the mini-gallery).
    # Under api/, which the build writes and git ignores.
    "doc_module": ("sklearn_tune",),
    "backreferences_dir": "api/backreferences",
}

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-tune {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = ["_static"]
html_css_files = ["custom.css"]  # wider article, code that wraps (see the file)
html_show_sourcelink = False


def _defined_in_sklearn_tune(obj):
    target = obj.fget if isinstance(obj, property) else obj
    target = getattr(target, "__func__", target)
    module = getattr(target, "__module__", None) or ""
    return module.split(".")[0] == "sklearn_tune"


def _skip_foreign_member(app, what, name, obj, skip, options):
    """Document a class's own members and those inherited from sklearn_tune only.

    What a searcher inherits from scikit-learn (``set_params``, the generated
    ``set_<method>_request``), a net from skorch or a module from torch is
    documented there, with links into those projects' own guides.
    """
    if what in ("class", "exception") and not _defined_in_sklearn_tune(obj):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_member)
