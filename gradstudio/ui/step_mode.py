"""Step-through mode (issue 11): watch forward, then backward, node by node, with numbers.

``StepMode`` builds the trace once from the graph layer (``graph.trace.build_trace``, on
private copies: the document and its session are not touched), holds the current step and
moves it: Step, Step back, Play/Pause at a speed, Run to end, Leave. The canvas overlay
(``canvas/step_overlay.py``) draws each step. Stepping pushes no command and edits nothing;
an edit, a run or a new document while stepping ends the mode with a message, because the
steps would then describe a graph that is no longer the one on the canvas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from gradstudio.graph import Change, ModelEvent

from .canvas.scene import GraphScene
from .document import Document

if TYPE_CHECKING:
    from gradstudio.graph.trace import Trace

    from .canvas.step_overlay import StepOverlay

__all__ = ["StepMode", "SPEEDS"]

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0)  # steps per second the speed slider offers
DEFAULT_SPEED = 2


class StepMode(QObject):
    """The controller. ``changed`` fires when the mode starts or ends and after every step;
    ``status`` carries the line to show in the status bar (the step's own text)."""

    changed = Signal()
    status = Signal(str)

    def __init__(self, document: Document, scene: GraphScene, parent: QObject | None = None
                 ) -> None:
        super().__init__(parent)
        self.document, self.scene = document, scene
        self.trace: Trace | None = None
        self.overlay: StepOverlay | None = None
        self.index = -1
        self.speed = DEFAULT_SPEED  # an index into SPEEDS
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._play_step)
        self._set_interval()
        document.model_changed.connect(self._on_model_event)
        document.evaluated.connect(self._on_evaluated)
        document.backward_done.connect(lambda _: self._stale(self.tr("gradients changed")))
        document.ledger_changed.connect(lambda: self._stale(self.tr("gradients changed")))
        document.trained.connect(lambda _: self._stale(self.tr("the graph was trained")))
        document.reset.connect(lambda: self._stale(self.tr("another graph was opened")))
        for view in scene.views():  # labels keep their size on screen: placed again
            view.zoom_changed.connect(lambda _zoom: self._redraw())

    # --- state ------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.trace is not None

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def position_text(self) -> str:
        """``14 / 16 · backward``: where the mode is."""
        if self.trace is None:
            return ""
        return f"{self.index + 1} / {len(self.trace)} · {self.trace[self.index].phase}"

    # --- moving -----------------------------------------------------------------------------
    def enter(self) -> None:
        """Start at the first forward step (again from there if already stepping)."""
        if self.active:
            self.go(0)
            return
        # the trace and its overlay are loaded when first stepped, not at start-up
        from gradstudio.graph.trace import build_trace

        from .canvas.step_overlay import StepOverlay

        trace = build_trace(self.document.session)
        if not len(trace):
            self.document.say(self.tr("Nothing to step through: the graph is empty"))
            return
        self.trace = trace
        self.overlay = StepOverlay(self.scene, trace)
        self.go(0)

    def go(self, index: int) -> None:
        """Show the picture after step ``index`` (clamped to the trace)."""
        if self.trace is None or self.overlay is None:
            return
        self.index = max(0, min(index, len(self.trace) - 1))
        self.overlay.show(self.index)
        self.status.emit(f"{self.position_text()}: {self.trace[self.index].text}")
        self.changed.emit()

    def step(self) -> None:
        self.go(self.index + 1)

    def step_back(self) -> None:
        self.go(self.index - 1)

    def run_to_end(self) -> None:
        self.set_playing(False)
        if self.trace is not None:
            self.go(len(self.trace) - 1)

    def set_playing(self, on: bool) -> None:
        """Play steps one after another at the chosen speed, or pause."""
        if on and self.active and self.index < len(self.trace) - 1:
            self._timer.start()
        else:
            self._timer.stop()
        self.changed.emit()

    def set_speed(self, index: int) -> None:
        """The speed slider's position: ``SPEEDS[index]`` steps per second."""
        self.speed = max(0, min(index, len(SPEEDS) - 1))
        self._set_interval()

    def _set_interval(self) -> None:
        self._timer.setInterval(round(1000 / SPEEDS[self.speed]))

    def _play_step(self) -> None:
        self.step()
        if self.trace is None or self.index >= len(self.trace) - 1:
            self.set_playing(False)

    def leave(self, why: str | None = None) -> None:
        """Back to the normal view, exactly as before; ``why`` is told as a message."""
        if not self.active:
            return
        self._timer.stop()
        if self.overlay is not None:
            self.overlay.remove()
        self.trace, self.overlay, self.index = None, None, -1
        self.status.emit("")
        if why:
            self.document.say(self.tr("Step Through ended: %s") % why)
        self.changed.emit()

    # --- what ends the mode -----------------------------------------------------------------
    def _on_model_event(self, event: ModelEvent) -> None:
        if not self.active:
            return
        if event.kind is Change.NODE_MOVED:  # the same graph: the labels follow the card
            self._redraw()
        elif event.kind.is_annotation:  # a note or a frame: nothing computed changed
            pass
        else:
            self._stale(self.tr("the graph was edited"))

    def _on_evaluated(self, _result: object) -> None:
        """Forward outside the mode re-filled the cards: that is now what leaving restores."""
        if self.overlay is not None:
            self.overlay.capture()
            self._redraw()

    def _redraw(self) -> None:
        if self.overlay is not None:
            self.overlay.show(self.index)

    def _stale(self, why: str) -> None:
        self.leave(why)
