"""Document: one open graph in the window — model, session, undo stack, file path.

Views subscribe to its Qt signals; edits arrive as commands through ``run()``; running
(forward, backward, train) goes through the graph Session and is announced afterwards.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from gradstudio.graph import (
    BackwardResult,
    Change,
    ForwardResult,
    GraphError,
    GraphModel,
    ModelEvent,
    Session,
    fileformat,
)

from .commands import ModelCommand, SetValues

__all__ = ["Document", "TrainJob"]
log = logging.getLogger(__name__)


class Document(QObject):
    """The open graph and everything that runs it."""

    model_changed = Signal(object)  # ModelEvent
    evaluated = Signal(object)  # ForwardResult
    backward_done = Signal(object)  # BackwardResult
    ledger_changed = Signal()
    trained = Signal(object)  # list of losses added
    message = Signal(str, str)  # level ("info", "error"), text
    path_changed = Signal(object)  # Path | None
    reset = Signal()  # the whole model was replaced (new, open)
    # The person asked to run (Forward, Backward, Zero grad, Train, a mode switch): editors
    # apply what is typed but not entered yet, since toolbar buttons and F-keys take no focus.
    run_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = GraphModel()
        self.session = Session(self.model)
        self.undo_stack = QUndoStack(self)
        self.path: Path | None = None
        self.auto_evaluate = True
        self.last_error: str | None = None
        self.message.connect(self._remember_error)
        self._unsubscribe = self.model.subscribe(self._on_model_event)
        self._timer = QTimer(self, singleShot=True, interval=30)
        self._timer.timeout.connect(self._evaluate)

    def _remember_error(self, level: str, text: str) -> None:
        if level == "error":
            self.last_error = text

    # --- editing --------------------------------------------------------------------------
    def run(self, command: ModelCommand) -> bool:
        """Apply an edit and put it on the undo stack; a refused edit is reported as a
        message and leaves nothing behind."""
        try:
            command.apply()
        except GraphError as e:
            self.message.emit("error", str(e))
            return False
        self.undo_stack.push(command)
        return True

    def _on_model_event(self, event: ModelEvent) -> None:
        self.model_changed.emit(event)
        if event.kind is not Change.NODE_MOVED and self.auto_evaluate:
            self._timer.start()

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    # --- running --------------------------------------------------------------------------
    def forward(self) -> ForwardResult:
        self.run_requested.emit()
        return self._evaluate()

    def _evaluate(self) -> ForwardResult:
        self._timer.stop()
        result = self.session.forward()
        self.evaluated.emit(result)
        return result

    def backward(self, target: str | None = None) -> BackwardResult:
        self.run_requested.emit()
        self._timer.stop()
        result = self.session.backward(target)
        self.evaluated.emit(self.session.last_forward)
        self.backward_done.emit(result)
        self.ledger_changed.emit()
        if result.ok:
            self.message.emit("info", f"backward from {self.model.label(result.target)} done")
        else:
            self.message.emit("error", f"{result.error}\n{result.reason}")
        return result

    def zero_grad(self) -> None:
        self.session.zero_grad()
        self.ledger_changed.emit()
        self.forward()
        self.message.emit("info", "gradients set to zero")

    def set_no_grad_mode(self, on: bool) -> None:
        self.session.no_grad_mode = on
        self.forward()

    def set_retain_intermediate(self, on: bool) -> None:
        self.session.retain_intermediate = on
        self.forward()

    def train(self, steps: int, lr: float | None = None) -> list[float]:
        """Train steps now, as one undoable change of the weights; returns the losses."""
        self.run_requested.emit()
        job = TrainJob(self, steps, lr)
        job.run_all()
        return job.losses

    def start_training(self, steps: int, lr: float | None = None) -> TrainJob:
        """Train in slices between events so the window stays responsive."""
        self.run_requested.emit()
        job = TrainJob(self, steps, lr)
        job.start()
        return job

    def _finish_training(self, job: TrainJob) -> None:
        new = {n: self.model.node(n).params["value"] for n in job.old if n in self.model}
        old = {n: v for n, v in job.old.items() if n in new}
        if new != old:
            text = "Train step" if len(job.losses) == 1 else f"Train {len(job.losses)} steps"
            command = SetValues(self.model, text, old, new)
            command._applied = True  # the session already wrote the new values
            self.undo_stack.push(command)
        self.ledger_changed.emit()
        if job.losses:
            self.trained.emit(job.losses)
        forward = self._evaluate()
        if job.failure is not None:
            self.backward_done.emit(job.failure)
            self.message.emit("error", f"{job.failure.error}\n{job.failure.reason}")
        elif job.losses:
            # the losses are each step's loss before its update: say where it went, too
            steps = f"{len(job.losses)} step{'s' * (len(job.losses) != 1)}"
            now = self._loss_now(forward)
            self.message.emit("info", f"trained {steps}: loss {job.losses[-1]:.6g}"
                              if now is None else
                              f"trained {steps}: loss {job.losses[0]:.6g} -> {now:.6g}")

    def _loss_now(self, forward: ForwardResult) -> float | None:
        try:
            value = forward.values.get(self.session.target())
        except GraphError:
            return None
        return None if value is None or value.numel() != 1 else float(value.item())

    # --- files ----------------------------------------------------------------------------
    def load(self, path: str | Path) -> bool:
        """Open a file; a bad file is reported and the current document stays as it was."""
        try:
            loaded = fileformat.load(path)
        except GraphError as e:
            self.message.emit("error", str(e))
            return False
        self.replace_model(loaded.to_dict())
        self.path = Path(path)
        self.path_changed.emit(self.path)
        return True

    def replace_model(self, data: dict) -> None:
        self.model.load_dict(data)
        self.session.ledger.clear()
        self.session.loss_history.clear()
        self.session.last_backward = None
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.reset.emit()
        self.ledger_changed.emit()
        self._evaluate()

    def new(self) -> None:
        self.replace_model({"nodes": [], "edges": []})
        self.path = None
        self.path_changed.emit(None)

    def save(self, path: str | Path | None = None) -> bool:
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("save() needs a path for a new document")
        try:
            fileformat.save(self.model, target)
        except GraphError as e:
            self.message.emit("error", str(e))
            return False
        self.path = target
        self.undo_stack.setClean()
        self.path_changed.emit(self.path)
        self.message.emit("info", f"saved {target.name}")
        return True


class TrainJob(QObject):
    """Train steps run in short slices on the event loop; cancel() stops after the current
    step. ``finished`` fires once, after the weights' change is on the undo stack."""

    progress = Signal(int, float)  # steps done, latest loss
    finished = Signal()
    SLICE_SECONDS = 0.03

    def __init__(self, document: Document, steps: int, lr: float | None) -> None:
        super().__init__(document)
        self.document, self.steps, self.lr = document, steps, lr
        self.losses: list[float] = []
        self.failure: BackwardResult | None = None
        self.cancelled = False
        self.done = False
        model = document.model
        self.old = {n.id: n.params["value"] for n in model.nodes() if n.spec.trainable}

    def cancel(self) -> None:
        self.cancelled = True

    def start(self) -> None:
        QTimer.singleShot(0, self._slice)

    def run_all(self) -> None:
        while not self._step_slice(float("inf")):
            pass

    def _slice(self) -> None:
        if not self._step_slice(self.SLICE_SECONDS):
            QTimer.singleShot(0, self._slice)

    def _step_slice(self, seconds: float) -> bool:
        """Run steps for up to ``seconds``; True when the job is over."""
        deadline = time.monotonic() + seconds
        session = self.document.session
        while len(self.losses) < self.steps and not self.cancelled and self.failure is None:
            result = session.train_step(self.lr)
            if not result.ok:
                self.failure = result.backward
                break
            self.losses.append(result.loss)
            if time.monotonic() > deadline:
                break
        if self.losses:
            self.progress.emit(len(self.losses), self.losses[-1])
        over = len(self.losses) >= self.steps or self.cancelled or self.failure is not None
        if over and not self.done:
            self.done = True
            self.document._finish_training(self)
            self.finished.emit()
        return over
