"""Fixtures for every test folder: the hostile corpus of issue 12 (benchmarks/hostile.py),
each file made once per session in one temporary folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.hostile import by_name


@pytest.fixture(scope="session")
def hostile_file(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``hostile_file(name)``: the path of that corpus input, made on first use."""
    folder = tmp_path_factory.mktemp("hostile")
    made: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in made:
            made[name] = by_name(name).make(folder)
        return made[name]

    return get
