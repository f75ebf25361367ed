"""A test run ends as cleanly as it ran: a GUI test that copies cards leaves GradStudio's
QMimeData (made in Python) on the clipboard, and the offscreen platform's clipboard frees it
in Qt's own exit handler, after the interpreter has gone: the process died of a
segmentation fault (exit status 139) after "1 passed". ``conftest.empty_clipboard`` empties
the clipboard after every test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COPYING_TEST = ("tests/ui/test_canvas_edit.py::"
                "test_copy_paste_keeps_internal_wires_offsets_and_renames")


def test_a_run_whose_test_copied_cards_exits_with_status_0() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           COPYING_TEST], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert "1 passed" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.returncode == 0, f"exit status {done.returncode} after: {done.stdout[-300:]}"
