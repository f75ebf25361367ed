"""Start-up benchmark: launch to visible window, against a bare PySide6 window.

Each repeat launches, in fresh processes and one after the other, a bare PySide6 window (a
QApplication and an empty QMainWindow, shown) and the real app (``python -m gradstudio
--smoke-test``, which opens the small-network example as a first launch does), both
offscreen with a throw-away settings and data folder. The time is from launching the
process to its "window shown" line, printed once the window is shown and has painted its
first frame; the bare window's launch happens outside the timed region, just before each of
the app's, so both meet the same load. The outputs are the best of each over the repeats and
their ratio.

Python's bytecode cache is on for the launches, in a throw-away folder of this run
(PYTHONPYCACHEPREFIX; nothing is written into the checkout): the harness's untimed warm-up
launch fills it, as any earlier launch or an install's compileall would, so a session that
sets PYTHONDONTWRITEBYTECODE=1 does not time Python compiling the app's ~80 modules from
source at every launch, which no user's second launch does. What that costs is reported
beside it: ``app_without_bytecode_cache_s``, the best of one launch per repeat with
PYTHONDONTWRITEBYTECODE=1 and the checkout's own bytecode (none, in such a session), outside
the timed region like the bare window's.
"""

from __future__ import annotations

import atexit
import math
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from .harness import ROOT, Case, Run

_BARE = """
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.resize(1400, 900)
window.show()
app.processEvents()
print("window shown", flush=True)
"""


_LEFT: list[tuple[subprocess.Popen, Any]] = []  # launched processes still finishing
_PYCACHE = tempfile.TemporaryDirectory(prefix="gradstudio-bytecode-")  # this run's cache
atexit.register(_PYCACHE.cleanup)


def _reap() -> None:
    """Wait for the processes earlier repeats left to finish (outside any timed region)."""
    while _LEFT:
        proc, home = _LEFT.pop()
        assert proc.stdout is not None
        proc.stdout.read()
        code = proc.wait()
        home.cleanup()
        if code != 0:
            raise RuntimeError(f"{' '.join(proc.args)} exited with {code}")


atexit.register(_reap)


def launch_to_shown(command: list[str], bytecode_cache: bool = True) -> float:
    """Seconds from starting ``command`` to its "window shown" line; the process is left to
    finish and reaped later, so what it does after is not timed. ``bytecode_cache``: the
    run's bytecode folder is read and written; else none is written and the app's own
    modules, which have none beside them in a checkout, are compiled from source."""
    home = tempfile.TemporaryDirectory()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=home.name,
               XDG_DATA_HOME=home.name, PYTHONPATH=str(ROOT))
    env.pop("PYTHONPYCACHEPREFIX", None)
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = _PYCACHE.name
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=env, cwd=ROOT)
    _LEFT.append((proc, home))
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("window shown"):
            return time.perf_counter() - start
    _reap()
    raise RuntimeError(f"{' '.join(command)} never showed its window")


_BEST = {"app": math.inf, "bare": math.inf, "compiling": math.inf}  # over the repeats
_APP = [sys.executable, "-m", "gradstudio", "--smoke-test"]


def launch(lib: Any) -> Run:
    """The app's launch, timed; the bare window's and the app's without a bytecode cache just
    before, for the ratio of the best of each and what compiling costs."""
    _reap()
    _BEST["compiling"] = min(_BEST["compiling"], launch_to_shown(_APP, bytecode_cache=False))
    _reap()
    _BEST["bare"] = min(_BEST["bare"], launch_to_shown([sys.executable, "-c", _BARE]))
    _reap()

    def run() -> dict[str, float]:
        app = launch_to_shown(_APP)
        _BEST["app"] = min(_BEST["app"], app)
        return {"app_s": _BEST["app"], "bare_window_s": _BEST["bare"],
                "ratio_to_bare": _BEST["app"] / _BEST["bare"],
                "app_without_bytecode_cache_s": _BEST["compiling"]}

    return run


CASES = [
    Case("launch_to_window", "launch to visible window: python -m gradstudio --smoke-test "
         "(the small network shown), against a bare PySide6 window launched just before; "
         "bytecode cached as after any first launch (without: app_without_bytecode_cache_s)",
         launch, max_seconds=0.8, against_torch=False, repeats=5, quick_repeats=1),
]
