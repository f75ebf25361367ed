"""Hostile files refused (issue 12): each over-limit input of the hostile corpus
(benchmarks/hostile.py) read by ``fileformat.load`` — what File > Open, a file given on the
command line and ``gradstudio run`` all call — until its refusal. Target: under 2 s and
under 300 MB of peak memory (peak RSS above the baseline, the module imports included),
whatever the file's size. The file is made once per process, outside the timed region.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .harness import Case, Run
from .hostile import CORPUS, Hostile

_made: dict[str, Path] = {}
_folder: list[Path] = []


def _path(hostile: Hostile) -> Path:
    if hostile.name not in _made:
        if not _folder:
            _folder.append(Path(tempfile.mkdtemp(prefix="gradstudio-hostile-")))
            atexit.register(shutil.rmtree, _folder[0], True)
        _made[hostile.name] = hostile.make(_folder[0])
    return _made[hostile.name]


def _refusal(hostile: Hostile) -> Any:
    def setup(lib: Any) -> Run:
        from gradstudio.graph import GraphError, fileformat

        path = _path(hostile)

        def run() -> dict[str, float]:
            try:
                fileformat.load(path)
            except GraphError as e:
                if hostile.says not in str(e):
                    raise AssertionError(f"refused, but not with the limit: {e}") from None
                return {"refused": 1.0}
            raise AssertionError(f"{hostile.name} was not refused")

        return run

    return setup


CASES = [
    Case(f"hostile_{h.name}", f"load the hostile corpus input {h.name!r} until refused",
         _refusal(h), max_seconds=2.0, max_peak_mb=300.0, against_torch=False, repeats=3,
         quick_repeats=1)
    for h in CORPUS if not h.opens
]
