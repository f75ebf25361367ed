"""The hostile corpus (benchmarks/hostile.py) as pytest parameters, the big files marked."""

from __future__ import annotations

import pytest

from benchmarks.hostile import CORPUS

__all__ = ["CASES"]

CASES = [pytest.param(h, id=h.name, marks=[pytest.mark.big] if h.big else []) for h in CORPUS]
