"""Long work off the GUI thread, as a person sees it: opening a big file, a long forward, a
long backward and a long training run show a progress dialog with a working Cancel while the
window keeps repainting; the open document stays as it was; quick work shows no dialog.

The slow parts are made slow on purpose and released by the test (a disk that answers when
told, an op that finishes when told), so what is checked does not hang on the machine's
speed."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from gestures import build_chain, wire
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QProgressDialog, QPushButton

import gradstudio.engine as ge
from gradstudio.graph import GraphModel, catalog, fileformat

pytestmark = pytest.mark.usefixtures("canvas_ready")


class PaintCounter(QObject):
    """Counts the paint events a widget gets: the window repainting while work runs."""

    def __init__(self, widget) -> None:
        super().__init__(widget)
        self.paints = 0
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Paint:
            self.paints += 1
        return False


def _big_file(tmp_path, n: int = 2000):
    """x -> sin -> sin -> ... (n nodes), written as a file."""
    nodes = [{"id": f"n{i}", "kind": "sin" if i else "input", "label": f"s{i}" if i else "x",
              "position": [200.0 * (i % 50), 120.0 * (i // 50)]} for i in range(n)]
    edges = [{"src": f"n{i - 1}", "dst": f"n{i}", "port": "x"} for i in range(1, n)]
    path = tmp_path / "big.gsgraph"
    fileformat.save(GraphModel.from_dict({"nodes": nodes, "edges": edges}), path)
    return path


@pytest.fixture
def slow_disk(monkeypatch):
    """fileformat.load as usual, but only once the test sets ``release``."""
    release, started, finished = threading.Event(), threading.Event(), threading.Event()
    real = fileformat.load

    def load(path):
        started.set()
        release.wait(60)
        try:
            return real(path)
        finally:
            finished.set()

    monkeypatch.setattr(fileformat, "load", load)
    yield release, started, finished
    release.set()


def _errors(monkeypatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: shown.append(
        text))
    return shown


def test_opening_a_big_file_shows_progress_and_cancel_keeps_the_document(
        qtbot, window, tmp_path, monkeypatch, slow_disk):
    release, started, finished = slow_disk
    x, sq = build_chain(window, ("input", -330, -60), ("square", 40, -60))
    wire(window, x, sq, "x")
    doc = window.document
    before, path_before = doc.model.to_dict(), doc.path
    big = _big_file(tmp_path)
    errors = _errors(monkeypatch)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(big), ""))

    seen = _cancel_when_shown(window, None)
    window.action_map["open"].trigger()  # returns once the open is over (here: cancelled)
    seen["timer"].stop()

    assert started.is_set() and not finished.is_set()  # the load was still running
    assert seen["label"] == "Opening big.gsgraph…"
    assert seen["cancelled_at"] is not None  # the window repainted under the dialog
    # five repaints of the canvas while the dialog was up (not a count of timer ticks, which a
    # loaded machine coalesces)
    assert seen["cancelled_at"] - seen["shown_at"] >= 5
    assert doc.model.to_dict() == before and doc.path == path_before
    assert errors == []  # a cancel is no error
    assert "opening big.gsgraph cancelled" in window.statusBar().currentMessage()
    assert QApplication.activeModalWidget() is None
    release.set()  # the dropped load ends in its thread; its model goes nowhere
    assert finished.wait(60)
    qtbot.wait(50)
    assert doc.model.to_dict() == before and len(window.view.scene().nodes) == 2


def test_the_same_file_opens_when_it_is_not_cancelled(qtbot, window, tmp_path, slow_disk):
    release, _, _ = slow_disk
    big = _big_file(tmp_path, 400)
    release.set()
    assert window.load(big)
    assert len(window.document.model) == 400 and len(window.view.scene().nodes) == 400
    assert window.document.path == big and not window.document.modified


def test_a_quick_open_shows_no_dialog(qtbot, window):
    window.open_example("square")
    assert not window.document.runner.last_dialog_shown
    assert len(window.document.model) > 0


def test_an_error_while_opening_is_reported_as_before(qtbot, window, tmp_path, monkeypatch):
    errors = _errors(monkeypatch)
    bad = tmp_path / "bad.gsgraph"
    bad.write_text("{ not json")
    assert not window.load(bad)
    assert len(errors) == 1 and "not valid JSON" in errors[0]


@pytest.fixture
def slow_sin(monkeypatch):
    """sin as usual, but slow: 120 ms on the GUI thread (so the document learns that this
    graph takes long), and in the worker thread it waits until the test sets ``release``."""
    release, entered = threading.Event(), threading.Event()

    def sin(x):
        if threading.current_thread() is threading.main_thread():
            time.sleep(0.12)
        else:
            entered.set()
            release.wait(60)
        return ge.sin(x)

    monkeypatch.setitem(catalog.KINDS, "sin",
                        dataclasses.replace(catalog.KINDS["sin"], build=lambda _params: sin))
    yield release, entered
    release.set()


def _w_sin_cos(qtbot, window) -> tuple[str, str, str]:
    w, s, c = build_chain(window, ("weight", -330, -60), ("sin", 0, -60), ("cos", 300, -60))
    wire(window, w, s, "x")
    wire(window, s, c, "x")
    nodes = window.view.scene().nodes
    qtbot.waitUntil(lambda: nodes[c].value is not None)  # evaluated here, slowly
    return w, s, c


def _cancel_when_shown(window, release: threading.Event | None) -> dict:
    """A GUI-thread timer that asks the canvas to repaint and counts what it gets; once a
    progress dialog shows (and the canvas repainted under it), it presses Cancel, and on its
    next tick (the runner has seen the Cancel by then) lets the slow op finish, if given."""
    viewport = window.view.viewport()
    counter = PaintCounter(viewport)
    seen = {"ticks": 0, "label": None, "title": None, "shown_at": None, "cancelled_at": None}

    def tick() -> None:
        seen["ticks"] += 1
        viewport.update()
        if seen["cancelled_at"] is not None:
            if release is not None:
                release.set()
            return
        box = QApplication.activeModalWidget()
        if not isinstance(box, QProgressDialog):
            return
        if seen["shown_at"] is None:
            seen["label"], seen["title"] = box.labelText(), box.windowTitle()
            seen["shown_at"] = counter.paints
        elif counter.paints >= seen["shown_at"] + 5:
            seen["cancelled_at"] = counter.paints
            (cancel,) = [b for b in box.findChildren(QPushButton) if b.text() == "Cancel"]
            cancel.click()

    timer = QTimer(window, interval=20)
    timer.timeout.connect(tick)
    timer.start()
    seen["timer"] = timer
    return seen


def test_a_long_forward_shows_progress_and_cancel_leaves_the_rest_unevaluated(
        qtbot, window, slow_sin):
    release, entered = slow_sin
    w, s, c = _w_sin_cos(qtbot, window)
    nodes = window.view.scene().nodes
    seen = _cancel_when_shown(window, release)
    window.action_map["forward"].trigger()  # Run > Forward: returns once it is over
    seen["timer"].stop()
    assert entered.is_set() and seen["label"] == "Evaluating…"
    assert seen["cancelled_at"] is not None  # the canvas repainted under the dialog
    assert "evaluation cancelled" in window.statusBar().currentMessage()
    assert "cancelled" in nodes[c].display_lines()[0]  # the node it did not reach says so
    assert nodes[w].display_lines() == ["1."]
    assert QApplication.activeModalWidget() is None


def test_a_long_backward_can_be_cancelled_and_accumulates_nothing(qtbot, window, slow_sin):
    release, _ = slow_sin
    w, s, c = _w_sin_cos(qtbot, window)
    seen = _cancel_when_shown(window, release)
    window.action_map["backward"].trigger()
    seen["timer"].stop()
    assert seen["label"] == "Running backward…" and seen["cancelled_at"] is not None
    assert "backward cancelled" in window.statusBar().currentMessage()
    assert window.document.session.grad(w) is None
    assert window.document.session.ledger.entries == []
    release.set()
    window.action_map["backward"].trigger()  # not cancelled: it runs, in the worker
    assert window.document.session.grad(w) is not None
