"""Check the built site as a reader would see it: ``python docs/check_site.py``.

Two kinds of checks on ``docs/_build/html`` (``make docs`` first):

- **Static**, on the HTML files, everywhere (CI included): every page but the
  home page has a non-empty navigation sidebar; the header has few enough links
  to fit one line at 1280 px; every gallery example that the build ran shows at
  least one figure and has a thumbnail made from it (not sphinx-gallery's
  placeholder); no notebook output was written to stderr (shown as a red
  box); every image a page shows exists.
- **In a headless browser**, where one is installed (``pip install playwright``
  and a Chromium: ``apt install chromium-headless-shell``, or
  ``python -m playwright install chromium`` online), at 1280 x 900 and at
  1920 x 1080: the header is one line, no code block needs a horizontal scroll
  bar (nothing cut off), the sidebar shows its links, every image loaded. It
  saves a screenshot of each checked page under
  ``docs/_build/screenshots/<width>/``.

Without a browser the browser checks are reported as not run (``--browser``
makes that an error). Exit status 1 lists every failure.
"""

import argparse
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
SITE = HERE / "_build" / "html"
SCREENSHOTS = HERE / "_build" / "screenshots"
# The header's links (besides the logo, search and theme switch) that fit one
# line at 1280 px with pydata-sphinx-theme's default font.
MAX_HEADER_LINKS = 6
VIEWPORTS = [(1280, 900), (1920, 1080)]
# Pages opened in the browser: one of every kind (home, guide, section index,
# gallery example, API page, notebooks), plus every guide page (the ones with
# the most code).
BROWSER_PAGES = [
    "index.html",
    "user_guide.html",
    "auto_examples/index.html",
    "notebooks.html",
    "api/index.html",
    "api/generated/sklearn_tune.BayesSearchCV.html",
]
CHROMIUM_NAMES = [
    "chromium-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome",
]


class _Page(HTMLParser):
    """What the static checks need from one page."""

    def __init__(self):
        super().__init__()
        self.header_links = 0
        self.sidebar_links = 0
        self.has_sidebar = False
        self.images = []
        self.figures = 0
        self.stderr = 0  # notebook outputs written to stderr (shown in red)
        self._stack = []  # (tag, classes) of open elements

    def _inside(self, tag=None, cls=None):
        return any(
            (tag is None or t == tag) and (cls is None or cls in classes)
            for t, classes in self._stack
        )

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        if tag == "a" and self._inside(cls="navbar-header-items__center"):
            # The header's links and its "More" dropdown's; count the visible
            # ones (the dropdown's items are folded).
            if not self._inside(cls="dropdown-menu"):
                self.header_links += 1
        if "stderr" in classes:
            self.stderr += 1
        if tag == "nav" and "bd-docs-nav" in classes:
            self.has_sidebar = True
        if tag == "a" and self._inside(tag="nav", cls="bd-docs-nav"):
            self.sidebar_links += 1
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])
            if classes & {"sphx-glr-single-img", "sphx-glr-multi-img"}:
                self.figures += 1
        if tag not in ("img", "br", "hr", "meta", "link", "input", "source"):
            self._stack.append((tag, classes))

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break


def _parse(path):
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _executed_examples(gallery):
    """The gallery examples the build ran (those with a time above zero)."""
    times = gallery / "sg_execution_times.rst"
    if not times.is_file():
        return []
    # One entry per example: its name, then its time (00:00.000 when not run).
    entries = re.findall(
        r":ref:`sphx_glr_auto_examples_(\w+)\.py`.*?\n\s*- (\d+):(\d+\.\d+)",
        times.read_text(),
    )
    return sorted({name for name, m, s in entries if int(m) * 60 + float(s) > 0})


def _placeholder_thumbnail():
    import sphinx_gallery

    return (
        Path(sphinx_gallery.__file__).parent / "_static" / "no_image.png"
    ).read_bytes()


def static_checks(site=SITE, gallery=HERE / "auto_examples"):
    """The checks that need no browser; returns a list of failures."""
    failures = []
    pages = sorted(site.rglob("*.html"))
    pages = [
        p
        for p in pages
        if "_modules" not in p.parts
        and p.name not in ("genindex.html", "search.html", "py-modindex.html")
    ]
    if not pages:
        return [f"no pages under {site}: run `make docs` first"]
    for path in pages:
        name = path.relative_to(site).as_posix()
        page = _parse(path)
        if page.header_links > MAX_HEADER_LINKS:
            failures.append(
                f"{name}: {page.header_links} links in the header (at most "
                f"{MAX_HEADER_LINKS} fit one line at 1280 px)"
            )
        if name != "index.html" and page.has_sidebar and page.sidebar_links == 0:
            failures.append(f"{name}: the navigation sidebar is empty")
        if page.stderr:
            failures.append(
                f"{name}: {page.stderr} output(s) written to stderr, shown as red "
                "boxes (a notebook's progress bar: ProgressBar(file=sys.stdout))"
            )
        for src in page.images:
            if re.match(r"^(https?:|data:)", src):
                continue
            target = (path.parent / src.split("#")[0].split("?")[0]).resolve()
            if not target.is_file():
                failures.append(f"{name}: image {src} does not exist")
    placeholder = _placeholder_thumbnail()
    executed = _executed_examples(gallery)
    if not executed:
        failures.append(
            "the gallery ran no example (docs/auto_examples/sg_execution_times.rst)"
        )
    for example in executed:
        page = site / "auto_examples" / f"{example}.html"
        if _parse(page).figures == 0:
            failures.append(
                f"auto_examples/{example}.html: the example shows no figure"
            )
        thumb = gallery / "images" / "thumb" / f"sphx_glr_{example}_thumb.png"
        if not thumb.is_file() or thumb.read_bytes() == placeholder:
            failures.append(
                f"auto_examples/{example}.py: its thumbnail is sphinx-gallery's "
                "placeholder, not one of its figures"
            )
    return failures


def find_chromium():
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


_LAYOUT = """() => {
  const visible = e => e && e.getBoundingClientRect().width > 0;
  const header = document.querySelector('.bd-header');
  const sidebar = document.querySelector('.bd-sidebar-primary');
  const pres = [...document.querySelectorAll('.bd-article pre')].filter(visible);
  return {
    header: header ? header.getBoundingClientRect().height : 0,
    sidebar_shown: visible(sidebar),
    sidebar_links: sidebar ? sidebar.querySelectorAll('nav.bd-docs-nav a').length : 0,
    cut: pres.filter(e => e.scrollWidth > e.clientWidth + 1)
             .map(e => e.innerText.trim().split('\\n')[0].slice(0, 60)),
    broken: [...document.querySelectorAll('img')]
             .filter(i => i.complete && i.naturalWidth === 0)
             .map(i => i.getAttribute('src')),
  };
}"""
# One header row of pydata-sphinx-theme is 80 px high; two rows are ~136.
MAX_HEADER_HEIGHT = 100


def browser_pages(site=SITE):
    pages = [p for p in BROWSER_PAGES if (site / p).is_file()]
    pages += sorted(
        p.relative_to(site).as_posix()
        for p in site.glob("*.html")
        if p.name not in ("genindex.html", "search.html", "py-modindex.html")
    )
    for folder in ("auto_examples", "notebooks"):
        pages += sorted(
            p.relative_to(site).as_posix() for p in (site / folder).glob("*.html")
        )
    return list(dict.fromkeys(pages))


def browser_checks(chromium, site=SITE, screenshots=SCREENSHOTS):
    """The checks in a headless browser; returns a list of failures."""
    from playwright.sync_api import sync_playwright

    failures = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox"]
        )
        try:
            for width, height in VIEWPORTS:
                page = browser.new_page(viewport={"width": width, "height": height})
                for name in browser_pages(site):
                    page.goto((site / name).as_uri())
                    page.wait_for_load_state("load")
                    shot = screenshots / str(width) / (name.replace("/", "__") + ".png")
                    shot.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(shot))
                    layout = page.evaluate(_LAYOUT)
                    where = f"{name} at {width} px"
                    if layout["header"] > MAX_HEADER_HEIGHT:
                        failures.append(
                            f"{where}: the header wraps "
                            f"({layout['header']:.0f} px high)"
                        )
                    if (
                        layout["sidebar_shown"]
                        and name != "index.html"
                        and not layout["sidebar_links"]
                    ):
                        failures.append(f"{where}: the sidebar is shown but empty")
                    for line in layout["cut"]:
                        failures.append(f"{where}: code block cut off: {line!r}")
                    for src in layout["broken"]:
                        failures.append(f"{where}: image did not load: {src}")
                page.close()
        finally:
            browser.close()
    return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--browser",
        action="store_true",
        help="fail when no headless browser is installed (default: say so, and "
        "run the static checks only)",
    )
    args = parser.parse_args(argv)
    failures = static_checks()
    print(f"static checks: {len(failures)} failure(s)")
    chromium = find_chromium()
    try:
        import playwright  # noqa: F401
    except ImportError:
        chromium = None
    if chromium is None:
        message = (
            "browser checks NOT RUN: no headless browser (pip install playwright; "
            "apt install chromium-headless-shell)"
        )
        if args.browser:
            failures.append(message)
        print(message)
    else:
        found = browser_checks(chromium)
        print(
            f"browser checks ({chromium}, {len(VIEWPORTS)} widths): "
            f"{len(found)} failure(s); screenshots in {SCREENSHOTS}"
        )
        failures += found
    for failure in failures:
        print(f"  {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
