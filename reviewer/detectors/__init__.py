"""Detectors: rule triggers computed in Python (order facts, timestamps, conversation structure).

Each module registers its detectors with :func:`reviewer.rules.detector`; rule files
use them as ``{kind = "detector", detector = "NAME"}``.
"""

from . import conduct, orders, payment, shipping  # noqa: F401
