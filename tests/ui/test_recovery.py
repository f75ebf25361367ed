"""Autosave and crash recovery as a person meets them: the app is killed (``kill -9``, a real
process) after edits; the next launch shows what and when, and Restore brings the edits back
bound to their file; Discard deletes the autosave; Not Now keeps it; a clean close, a save and
a train run do what they should to the recovery file."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gestures import build_chain, press_shortcut, wire
from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox

from gradstudio.graph import GraphModel, fileformat, recovery
from gradstudio.ui.autosave import data_folder, offer_recovery

pytestmark = pytest.mark.usefixtures("canvas_ready")
APP = Path(__file__).with_name("recovery_app.py")
ROOT = Path(__file__).resolve().parents[2]


def _saved_file(tmp_path: Path) -> Path:
    model = GraphModel()
    a = model.add_node("input", label="a", position=(-200.0, -100.0))
    sq = model.add_node("square", position=(100.0, -100.0))
    model.connect(a, sq, "x")
    path = tmp_path / "orig.gsgraph"
    fileformat.save(model, path)
    return path


def _run_and_kill(folder: Path, file: Path | None) -> dict:
    """Start the app in its own process, let it edit and autosave, then kill -9 it; what it
    held when its autosave was on disk."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    args = [sys.executable, str(APP), str(folder)] + ([str(file)] if file else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        line = proc.stdout.readline() if ready else ""
        assert line, f"the app never autosaved: {proc.poll()} {proc.stderr.read()[-2000:]}" \
            if proc.poll() is not None else "the app never autosaved"
        held = json.loads(line)
        assert held["pid"] == proc.pid
        assert proc.poll() is None  # still running when killed: no clean close ran
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return held["model"]


def _answer(button: str, seen: list[str]) -> None:
    """When the recovery box opens, read it and press ``button``, as a person would (for up
    to 20 s of event processing)."""
    deadline = time.monotonic() + 20

    def act() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            if time.monotonic() < deadline:
                QTimer.singleShot(20, act)
            return
        seen.append(box.text() + "\n" + box.informativeText())
        (match,) = [b for b in box.buttons() if b.text().replace("&", "") == button]
        match.click()

    QTimer.singleShot(0, act)


def _plain(data: dict) -> dict:
    return json.loads(json.dumps(data))


def test_a_killed_app_is_offered_back_on_the_next_launch_and_restore_brings_its_edits(
        qtbot, window, tmp_path):
    original = _saved_file(tmp_path)
    folder = data_folder()  # the data folder the next launch looks in (the test's own)
    held = _run_and_kill(folder, original)
    assert len(held["nodes"]) == 4  # a, square, and the two it added

    seen: list[str] = []
    _answer("Restore", seen)
    assert offer_recovery(window)
    (text,) = seen
    assert "orig.gsgraph" in text and str(tmp_path) in text
    assert time.strftime("%Y-%m-%d") in text and "4 nodes" in text
    doc = window.document
    assert _plain(doc.model.to_dict()) == _plain(held)  # node by node, values and positions
    x = doc.model.find("x")
    assert doc.model.node(x).params["value"] == 2.5
    assert doc.path == original and doc.modified
    assert window.windowTitle().startswith("orig.gsgraph") and window.isWindowModified()
    assert recovery.pending(folder) == []  # the killed process's files are gone...
    own = recovery.files_of(folder, os.getpid())[0]
    assert fileformat.load(own) == doc.model  # ...and this process keeps the work safe
    assert fileformat.load(original) != doc.model  # nothing was written over the file yet

    window.activateWindow()  # the box has closed: the window has the keyboard again
    qtbot.waitUntil(window.isActiveWindow)
    press_shortcut(qtbot, window, QKeySequence.Save)  # Save writes the restored edits there
    assert fileformat.load(original) == doc.model
    assert not doc.modified and not own.exists()


def test_an_untitled_graph_is_restored_untitled(qtbot, window, tmp_path):
    folder = data_folder()
    held = _run_and_kill(folder, None)
    seen: list[str] = []
    _answer("Restore", seen)
    assert offer_recovery(window)
    assert "an untitled graph" in seen[0] and "2 nodes" in seen[0]
    assert _plain(window.document.model.to_dict()) == _plain(held)
    assert window.document.path is None and window.document.modified
    assert window.windowTitle().startswith("untitled")


def _left_by_a_dead_process(folder: Path, model: GraphModel, original: Path | None):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return recovery.write(folder, model, original, pid=dead.pid)


def _two_nodes() -> GraphModel:
    model = GraphModel()
    model.connect(model.add_node("input"), model.add_node("exp"), "x")
    return model


def test_discard_deletes_the_autosave_and_the_document_stays(qtbot, window, tmp_path):
    folder = data_folder()
    record = _left_by_a_dead_process(folder, _two_nodes(), None)
    seen: list[str] = []
    _answer("Discard", seen)
    assert not offer_recovery(window)
    assert seen and not record.graph.exists() and not record.info.exists()
    assert len(window.document.model) == 0 and not window.document.modified
    assert not offer_recovery(window)  # nothing is offered twice


def test_not_now_keeps_the_autosave_for_the_next_launch(qtbot, window, tmp_path):
    folder = data_folder()
    record = _left_by_a_dead_process(folder, _two_nodes(), None)
    seen: list[str] = []
    _answer("Not Now", seen)
    assert not offer_recovery(window)
    assert record.graph.exists() and len(window.document.model) == 0
    _answer("Restore", seen)
    assert offer_recovery(window) and len(window.document.model) == 2


def test_a_graph_open_in_another_running_window_is_not_offered(qtbot, window, tmp_path):
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    seen: list[str] = []
    _answer("Discard", seen)  # whenever a box shows
    try:
        recovery.write(data_folder(), _two_nodes(), None, pid=other.pid)
        assert not offer_recovery(window)
        assert seen == []  # no box
    finally:
        other.kill()
        other.wait()
    assert not offer_recovery(window)
    assert len(seen) == 1  # now that its writer is gone, it is offered


def _edit(window) -> None:
    x, sq = build_chain(window, ("input", -330, -60), ("square", 40, -60))
    wire(window, x, sq, "x")


def test_autosave_writes_an_unsaved_document_on_its_timer(qtbot, window):
    own = recovery.files_of(data_folder(), os.getpid())[0]
    window.autosave.set_interval(50)
    qtbot.wait(200)
    assert not own.exists()  # nothing unsaved, nothing written
    _edit(window)
    qtbot.waitUntil(own.exists)
    assert fileformat.load(own) == window.document.model
    press_shortcut(qtbot, window, QKeySequence.Undo)  # a later edit is written too
    qtbot.waitUntil(lambda: fileformat.load(own) == window.document.model)
    assert len(fileformat.load(own).edges()) == 0


def test_a_clean_close_leaves_nothing(qtbot, open_window, never_prompt, monkeypatch):
    w = open_window()
    _edit(w)
    record = w.autosave.save_now()
    assert record is not None and record.graph.exists() and record.info.exists()
    monkeypatch.setattr(w, "ask_save", lambda: QMessageBox.Discard)
    assert w.close()
    assert not record.graph.exists() and not record.info.exists()
    assert recovery.pending(data_folder()) == []


def test_saving_removes_the_autosave(qtbot, window, tmp_path, monkeypatch):
    _edit(window)
    record = window.autosave.save_now()
    assert record.graph.exists()
    assert window.document.save(tmp_path / "mine.gsgraph")
    assert not record.graph.exists() and not record.info.exists()


def test_a_train_run_is_autosaved_when_it_ends(qtbot, window):
    from gradstudio.resources import example_paths

    window.open_example("small_network")
    own = recovery.files_of(data_folder(), os.getpid())[0]
    assert not own.exists()
    window.run_training(5)  # Run > Train N Steps' own path, with its progress dialog
    # the timer's half minute is far off: the write comes from the end of the run
    qtbot.waitUntil(lambda: own.exists() and fileformat.load(own) == window.document.model,
                    timeout=20000)
    w = window.document.model.find("w")
    before = fileformat.load(example_paths()["small_network"]).node(w).params["value"]
    assert fileformat.load(own).node(w).params["value"] != before
