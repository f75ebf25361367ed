"""The hostile corpus of issue 12 (benchmarks/hostile.py) on the command line:
``gradstudio run FILE`` (in process, as the other command tests run it) and ``gradstudio
FILE``, the app itself in a real offscreen subprocess (tests/argument_driver.py reads the
message box a person would see, presses OK, and closes the window). Each ends with a clear
message and no traceback; a refused file leaves the window open on an empty document; the
FIFO and /dev/zero come back at once (a hang would run into the timeout). How long each
refusal takes and how much memory: benchmarks/bench_hostile.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_runner import run_cli
from hostile_cases import CASES

from benchmarks.hostile import Hostile, by_name

ROOT = Path(__file__).resolve().parents[1]
DRIVER = Path(__file__).with_name("argument_driver.py")
APP_TIMEOUT = 400  # seconds: only a hang gets near it (a loaded machine starts Qt slowly)


NODES = {"lone_surrogate_label": 1, "float32_1e308": 2, "unlabelled_100k": 100_000}


@pytest.mark.parametrize("hostile", CASES)
def test_gradstudio_run_says_what_is_wrong_in_one_line(capsys, hostile_file,
                                                       hostile: Hostile) -> None:
    code, out, err = run_cli(capsys, "run", hostile_file(hostile.name))
    assert "Traceback" not in err
    if not hostile.opens:
        assert (code, out) == (1, "")
        assert err.startswith("gradstudio: error: ") and err.count("\n") == 1
        assert hostile.says in err
        return
    assert code == 0
    if hostile.says:
        assert err.startswith(f"gradstudio: warning: {hostile.says}")
        assert err.count("\n") == 1
    else:
        assert err == ""
    lines = out.splitlines()
    assert lines[0] == "values" and len(lines) == 1 + NODES[hostile.name]
    if hostile.name == "lone_surrogate_label":  # printed as an escape, not a crash
        assert lines[1].split() == ["\\ud800", "tensor(1.)"]
    if hostile.name == "unlabelled_100k":  # named in order (once in quadratic time)
        assert lines[1].split()[0] == "x" and lines[-1].split() == ["x100000", "tensor(3.)"]


def _launch(path: Path, home: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
           "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data")}
    return subprocess.Popen([sys.executable, str(DRIVER), str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=home)


@pytest.fixture(scope="module")
def app_with(request, hostile_file, tmp_path_factory) -> Iterator[Callable[[str], tuple]]:
    """``app_with(name)``: (exit code, events, stderr) of ``gradstudio FILE`` on that input.
    Every app this module's selected tests ask for starts at once, so they start together."""
    wanted = [item.callspec.params["hostile"].name for item in request.session.items
              if item.module is request.module and hasattr(item, "callspec")
              and "hostile" in item.callspec.params
              and item.originalname == "test_gradstudio_FILE_shows_the_message_and_stays_whole"]
    home = tmp_path_factory.mktemp("app")
    apps = {name: _launch(hostile_file(name), home) for name in wanted}
    done: dict[str, tuple] = {}

    def result(name: str) -> tuple:
        if name not in done:
            out, err = apps[name].communicate(timeout=APP_TIMEOUT)
            done[name] = (apps[name].returncode, [json.loads(ln) for ln in out.splitlines()],
                          err)
        return done[name]

    yield result
    for app in apps.values():
        if app.poll() is None:
            app.kill()
            app.communicate()


@pytest.mark.timeout(APP_TIMEOUT + 60)
@pytest.mark.parametrize("hostile", CASES)
def test_gradstudio_FILE_shows_the_message_and_stays_whole(app_with,  # noqa: N802
                                                          hostile: Hostile) -> None:
    code, events, err = app_with(hostile.name)
    assert "Traceback" not in err
    assert code == 0 and events[-1] == {"exit": 0}  # closed by the person, not crashed
    window = events[-2]
    if hostile.opens:
        assert len(events) == 2  # no box in the way
        assert window["nodes"] == NODES[hostile.name]
        assert hostile.says in window["messages"]
    else:
        (box,) = [e["box"] for e in events if "box" in e]
        assert hostile.says in box and "\n" not in box
        assert window["nodes"] == 0 and window["window"].startswith("untitled")
        assert box in window["messages"]


def test_the_corpus_holds_each_input_of_the_issue(hostile_file) -> None:
    names = {"fifo", "dev_zero_symlink", "int_5000_digits", "lone_surrogate_label",
             "broadcast_to_1e8", "value_25m_elements", "nodes_1e6", "unlabelled_100k",
             "float32_1e308", "value_1e999", "version_10_400"}
    assert {p.values[0].name for p in CASES} == names
    assert hostile_file("broadcast_to_1e8").stat().st_size < 130_000  # small on disk
    assert by_name("fifo").make is not by_name("dev_zero_symlink").make
