"""docs/check_site.py finds what it says it finds, on a small made-up site."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "check_site.py"
spec = importlib.util.spec_from_file_location("check_site", SCRIPT)
check_site = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_site)

HEADER = """<header class="bd-header"><div class="navbar-header-items__center">{links}
<div class="dropdown-menu"><a href="x.html">folded</a></div></div></header>"""
PLACEHOLDER = b"sphinx-gallery's no_image.png"
SIDEBAR = (
    """<div class="bd-sidebar-primary"><nav class="bd-docs-nav">{links}</nav></div>"""
)


def _page(header_links=3, sidebar_links=2, body=""):
    header = HEADER.format(links='<a href="a.html">a</a>' * header_links)
    sidebar = SIDEBAR.format(links='<a href="b.html">b</a>' * sidebar_links)
    return f"<html><body>{header}{sidebar}<article>{body}</article></body></html>"


def _gallery(tmp_path, examples):
    """A gallery folder whose timing file lists ``examples`` ({name: seconds})."""
    gallery = tmp_path / "gallery"
    (gallery / "images" / "thumb").mkdir(parents=True)
    rows = "".join(
        f"   * - :ref:`sphx_glr_auto_examples_{name}.py` (``{name}.py``)\n"
        f"     - 00:{seconds:06.3f}\n     - 0.0\n"
        for name, seconds in examples.items()
    )
    (gallery / "sg_execution_times.rst").write_text(".. list-table::\n\n" + rows)
    return gallery


@pytest.fixture(autouse=True)
def placeholder(monkeypatch):
    """sphinx-gallery's placeholder thumbnail (its package is a docs extra)."""
    monkeypatch.setattr(check_site, "_placeholder_thumbnail", lambda: PLACEHOLDER)


def test_a_good_site_passes(tmp_path):
    site = tmp_path / "html"
    (site / "auto_examples" / "images").mkdir(parents=True)
    (site / "index.html").write_text(_page(sidebar_links=0))  # the home page may
    (site / "guide.html").write_text(_page())
    (site / "auto_examples" / "images" / "fig.png").write_bytes(b"png")
    figure = '<img class="sphx-glr-single-img" src="images/fig.png">'
    (site / "auto_examples" / "plot_a.html").write_text(_page(body=figure))
    gallery = _gallery(tmp_path, {"plot_a": 2.5, "not_run": 0.0})
    (gallery / "images" / "thumb" / "sphx_glr_plot_a_thumb.png").write_bytes(
        b"a figure"
    )
    assert check_site.static_checks(site, gallery) == []


def test_each_problem_is_reported(tmp_path):
    site = tmp_path / "html"
    (site / "auto_examples").mkdir(parents=True)
    (site / "index.html").write_text(_page())
    (site / "wide.html").write_text(_page(header_links=check_site.MAX_HEADER_LINKS + 1))
    (site / "empty.html").write_text(_page(sidebar_links=0))
    (site / "broken.html").write_text(_page(body='<img src="gone.png">'))
    red = '<div class="cell_output"><div class="output stderr">50%|#####</div></div>'
    (site / "notebook.html").write_text(_page(body=red))
    (site / "auto_examples" / "plot_a.html").write_text(_page())  # no figure
    gallery = _gallery(tmp_path, {"plot_a": 1.0})
    (gallery / "images" / "thumb" / "sphx_glr_plot_a_thumb.png").write_bytes(
        PLACEHOLDER
    )

    failures = "\n".join(check_site.static_checks(site, gallery))
    assert "wide.html: 7 links in the header" in failures
    assert "empty.html: the navigation sidebar is empty" in failures
    assert "broken.html: image gone.png does not exist" in failures
    assert "notebook.html: 1 output(s) written to stderr" in failures
    assert "auto_examples/plot_a.html: the example shows no figure" in failures
    assert "plot_a.py: its thumbnail is sphinx-gallery's placeholder" in failures
    assert "index.html" not in failures.replace("plot_a", "")


def test_a_gallery_that_ran_nothing_fails(tmp_path):
    site = tmp_path / "html"
    site.mkdir()
    (site / "guide.html").write_text(_page())
    gallery = _gallery(tmp_path, {"plot_a": 0.0})
    assert check_site.static_checks(site, gallery) == [
        "the gallery ran no example (docs/auto_examples/sg_execution_times.rst)"
    ]
