"""``gradstudio FILE`` where opening FILE fails in any way: the crash handler and faulthandler
are in place before the file is read, and the process never ends without a word — an
unexpected error is shown and the window stays open with an empty document; a crash in
native code prints the Python stack on stderr. Real processes, started as the command is."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from gradstudio.resources import example_paths

ROOT = Path(__file__).resolve().parents[2]
APP = Path(__file__).with_name("argument_app.py")


def _launch(tmp_path: Path, failure: str, file: Path | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("PYTHONFAULTHANDLER", None)
    return subprocess.run(
        [sys.executable, str(APP), failure, str(file or example_paths()["square"])],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, 0)))


def _lines(out: str, prefix: str) -> list[str]:
    return [line[len(prefix):] for line in out.splitlines() if line.startswith(prefix)]


def _loaded_with(done: subprocess.CompletedProcess[str]) -> dict[str, bool]:
    (state,) = _lines(done.stdout, "LOAD ")
    return json.loads(state)


@pytest.mark.parametrize("failure, says", [
    ("memory", "MemoryError"),
    ("recursion", "RecursionError: maximum recursion depth exceeded"),
    ("bug", "ZeroDivisionError: division by zero"),
])
def test_a_file_argument_that_fails_is_shown_and_the_app_runs_on(tmp_path: Path, failure: str,
                                                                 says: str) -> None:
    done = _launch(tmp_path, failure)
    assert _loaded_with(done) == {"crash_handler": True, "faulthandler": True, "app": True}
    (shown,) = _lines(done.stdout, "BOX ")
    assert shown.startswith(f"Something went wrong: {says}")
    log = tmp_path / "data" / "GradStudio" / "GradStudio" / "gradstudio.log"
    assert f"Details were written to {log}" in shown
    assert says.split(":")[0] in log.read_text(encoding="utf-8")  # the traceback is kept
    assert _lines(done.stdout, "RUNNING ") == ["untitled[*] — GradStudio 0"]  # alive, empty
    assert done.returncode == 0
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr


def test_the_control_a_file_that_loads_opens(tmp_path: Path) -> None:
    done = _launch(tmp_path, "none")
    assert _loaded_with(done)["crash_handler"] and _lines(done.stdout, "BOX ") == []
    assert _lines(done.stdout, "RUNNING ") == ["square.gsgraph[*] — GradStudio 2"]
    assert done.returncode == 0


def test_a_crash_in_native_code_while_loading_prints_the_stack(tmp_path: Path) -> None:
    done = _launch(tmp_path, "segfault")
    assert done.returncode == -11  # SIGSEGV: it cannot be survived, but it is not silent
    assert "Fatal Python error: Segmentation fault" in done.stderr
    assert "in load" in done.stderr and "argument_app.py" in done.stderr  # where it was
    assert "gradstudio-worker" in done.stderr or "Current thread" in done.stderr


def test_a_failure_before_the_window_exists_is_printed(tmp_path: Path) -> None:
    done = _launch(tmp_path, "before-app")
    assert done.returncode == 1 and _lines(done.stdout, "LOAD ") == []
    assert done.stderr.startswith("Something went wrong: RuntimeError: Qt could not start")
    assert "Traceback (most recent call last)" in done.stderr  # the details, for a report
