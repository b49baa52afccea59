"""Hooks of the sphinx-gallery configuration (named by string so that the
configuration stays picklable)."""


def quick_argv(gallery_conf, script_vars):
    """Run every gallery example as ``python example.py --quick``."""
    return ["--quick"]
