"""UI benchmarks (offscreen Qt): a 1,000- and a 10,000-node graph opening in the window,
dragging a card in them, and painting one zoomed far out. No PyTorch twin: each has an
absolute target."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .bench_graph import build_model, recipe
from .harness import Case, Run

MOVES = 40


def _graph_file(n_nodes: int) -> Path:
    from gradstudio.graph import fileformat

    model = build_model(recipe(n_nodes), 0.3)
    for i, n in enumerate(model.node_ids()):  # a grid, so cards do not all overlap
        model.move(n, ((i % 40) * 340.0, (i // 40) * 200.0))
    path = Path(tempfile.mkdtemp()) / "big.gsgraph"
    fileformat.save(model, path)
    return path


def _window() -> Any:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from gradstudio.ui.launch import make_app

    # Throw-away settings: a benchmark must not fill the user's recent files (nor autosave).
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp())
    from gradstudio.ui.main_window import MainWindow

    make_app()
    window = MainWindow(autosave_folder=Path(tempfile.mkdtemp()))
    window.resize(1400, 900)
    window.show()
    return window


def _open(n_nodes: int) -> Callable[[Any], Run]:
    def setup(lib: Any) -> Run:
        """From a file to a painted window: load, build the cards and wires, evaluate,
        paint."""
        return _open_run(_graph_file(n_nodes))
    return setup


def _open_run(path: Path) -> Run:
    from PySide6.QtWidgets import QApplication

    def run() -> dict[str, float]:
        window = _window()
        window.load(path)
        window.document.forward()
        QApplication.processEvents()
        window.view.viewport().grab()
        cards = len(window.view.scene().nodes)
        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()
        QApplication.processEvents()
        return {"cards": float(cards)}

    return run


def _drag(n_nodes: int) -> Callable[[Any], Run]:
    def setup(lib: Any) -> Run:
        """Mean time of one mouse-move event while dragging a card, including the repaint
        it causes."""
        return _drag_run(_graph_file(n_nodes))
    return setup


def _drag_run(path: Path) -> Run:
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    window = _window()
    window.load(path)
    view = window.view
    view.zoom_by(1 / view.zoom())
    item = next(iter(view.scene().nodes.values()))
    view.centerOn(item)
    QApplication.processEvents()
    viewport = view.viewport()

    def send(kind: QEvent.Type, pos: QPointF, buttons: Qt.MouseButton) -> None:
        QApplication.sendEvent(viewport, QMouseEvent(kind, pos, view.mapToGlobal(pos.toPoint()),
                                                     Qt.LeftButton, buttons, Qt.NoModifier))

    def run() -> dict[str, float]:
        import time

        start = QPointF(view.mapFromScene(item.sceneBoundingRect().center() + QPointF(0, -20)))
        send(QEvent.MouseButtonPress, start, Qt.LeftButton)
        t0 = time.perf_counter()
        for i in range(1, MOVES + 1):
            send(QEvent.MouseMove, start + QPointF(i * 3, i * 2), Qt.LeftButton)
            viewport.repaint()
        per_event = (time.perf_counter() - t0) / MOVES
        send(QEvent.MouseButtonRelease, start + QPointF(MOVES * 3, MOVES * 2), Qt.NoButton)
        window.document.undo_stack.undo()  # back where it was, for the next repeat
        QApplication.processEvents()
        return {"seconds_per_move": per_event}

    return run


def paint_zoomed_out(lib: Any) -> Run:
    """One full repaint of 1,000 cards at 10% zoom, where cards draw as plain boxes."""
    from PySide6.QtWidgets import QApplication

    window = _window()
    window.load(_graph_file(1_000))
    window.view.zoom_by(0.1 / window.view.zoom())
    QApplication.processEvents()

    def run() -> dict[str, float]:
        window.view.viewport().grab()
        return {"zoom": window.view.zoom()}

    return run


STEPS = 40


def step_1000_nodes(lib: Any) -> Run:
    """Step Through on a 1,000-node graph: Step pressed STEPS times (each: the frame
    replayed from the start, the cards that change, the overlay's labels placed, the
    repaint), over the last steps of the trace, where replaying a frame costs most."""
    from PySide6.QtWidgets import QApplication

    from gradstudio.ui.canvas.step_overlay import StepLabel

    window = _window()
    window.load(_graph_file(1_000))
    view = window.view
    view.zoom_by(1 / view.zoom())
    mode = window.step_mode
    mode.enter()  # builds the trace once: not part of a step
    count = len(mode.trace)
    start = count - 1 - STEPS
    mode.go(start)
    view.centerOn(view.scene().nodes[mode.trace[count - 1].node])
    QApplication.processEvents()

    def run() -> dict[str, float]:
        mode.go(start)  # back where the repeat starts: STEPS cards change back
        for _ in range(STEPS):
            mode.step()
            view.viewport().repaint()
        labels = sum(isinstance(item, StepLabel) for item in view.scene().items())
        return {"steps": float(count), "labels": float(labels)}

    return run


CASES = [
    Case("ui_open_1000_nodes", "open a 1,000-node graph in the window, evaluate, paint",
         _open(1_000), max_seconds=3.0, against_torch=False, repeats=3, quick_repeats=1),
    Case("ui_open_10000_nodes", "open a 10,000-node graph in the window, evaluate, paint",
         _open(10_000), max_seconds=1.5, against_torch=False, repeats=3, quick_repeats=1),
    Case("ui_drag_move_event", f"{MOVES} move events (+ repaint) dragging a card among 1,000",
         _drag(1_000), max_seconds=MOVES * 0.016, against_torch=False, repeats=5,
         quick_repeats=1),
    Case("ui_drag_10000_nodes", f"{MOVES} move events (+ repaint) dragging a card among "
         "10,000", _drag(10_000), max_seconds=MOVES * 0.016, against_torch=False, repeats=5,
         quick_repeats=1),
    Case("ui_paint_zoomed_out", "repaint 1,000 cards at 10% zoom (simplified cards)",
         paint_zoomed_out, max_seconds=0.25, against_torch=False, repeats=5, quick_repeats=1),
    Case("ui_step_1000_nodes", f"{STEPS} Step Through steps (+ repaint) on a 1,000-node graph",
         step_1000_nodes, max_seconds=STEPS * 0.016, against_torch=False, repeats=5,
         quick_repeats=1),
]
