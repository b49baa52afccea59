"""Hooks of the sphinx-gallery configuration (named by string so that the
configuration stays picklable)."""

from pathlib import Path


def quick_argv(gallery_conf, script_vars):
    """Run every gallery example as ``python example.py --quick``, with
    ``--plot`` too where the script takes it (those that print a table and
    can draw it); the ``plot_`` examples always draw."""
    source = Path(script_vars["src_file"]).read_text(encoding="utf-8")
    return ["--quick", "--plot"] if '"--plot"' in source else ["--quick"]
