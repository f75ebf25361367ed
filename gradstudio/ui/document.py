"""Document: one open graph in the window — model, session, undo stack, file path.

Views subscribe to its Qt signals; edits arrive as commands through ``run()``; running
(forward, backward, train) goes through the graph Session and is announced afterwards.

Whatever is refused (an edit, a backward, a train step, an open, a save) becomes a
``Refusal``: it is emitted once on ``message`` and returned to the caller, who can read its
reason and the nodes it concerns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

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
    SessionState,
    TrainRun,
    TrainStep,
    fileformat,
)
from gradstudio.graph.evaluate import gc_paused
from gradstudio.graph.gradcheck import GradCheck, check_gradients
from gradstudio.graph.overflow import overflows

from .commands import ApplyTrainStep, ModelCommand
from .worker import Cancelled, Runner, Task, run_inline

__all__ = ["Document", "TrainJob", "Message", "Refusal", "Cancel", "Outcome"]
log = logging.getLogger(__name__)
T = TypeVar("T")
# A run that took this long (a freeze a person notices) goes to the worker thread next time;
# quicker ones stay here, where they cost no thread hand-over (a 10,000-node scalar graph
# evaluates in about 70 ms).
HEAVY_SECONDS = 0.1
BIG_GRAPH = 15_000  # nodes: a graph this big runs in the worker from its first run
OVERFLOWS_LISTED = 10  # a file's values past their dtype, one line each in Messages


@dataclass(frozen=True)
class Message:
    """Something to tell the person once: a note (``info``) or a refusal (``error``)."""

    level: str  # "info", "warning" (done, but look: a number past its dtype), "error", or
    # "wrong" (a quiz answer marked wrong: not a refusal)
    text: str  # the first line says what happened; more lines say why
    nodes: tuple[str, ...] = ()  # the nodes it concerns, first the one to point at


class Refusal(Message):
    """Why something did not happen. It is falsy, so ``if document.run(command):`` reads
    "if it was done", and the caller who needs the reason has it."""

    def __init__(self, reason: str, nodes: Iterable[str | None] = ()) -> None:
        super().__init__("error", reason, tuple(n for n in nodes if n is not None))

    def __bool__(self) -> bool:
        return False

    @property
    def reason(self) -> str:
        return self.text


class Cancel(Refusal):
    """The person cancelled it: nothing happened, and there is nothing to explain (a note,
    not an error)."""

    def __init__(self, text: str) -> None:
        Message.__init__(self, "info", text, ())


Outcome = Literal[True] | Refusal  # what an edit, an open or a save returns


class Document(QObject):
    """The open graph and everything that runs it."""

    model_changed = Signal(object)  # ModelEvent
    evaluated = Signal(object)  # ForwardResult
    backward_done = Signal(object)  # BackwardResult
    ledger_changed = Signal()
    trained = Signal(object)  # TrainRun: the steps of a finished run, with their updates
    gradients_checked = Signal(object)  # GradCheck, or None when the graph changed since
    message = Signal(object)  # Message (a Refusal for what was refused)
    path_changed = Signal(object)  # Path | None
    reset = Signal()  # the whole model was replaced (new, open)
    # An undo or redo of a train run put the session back (Session.restore): gradients,
    # ledger, training history; ``evaluated`` and ``ledger_changed`` have been emitted.
    session_restored = Signal()
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
        self._check_shown = False  # views show a gradient check (gradients_checked)
        # Check Gradients' result of each place on the undo stack (``_check_places``)
        self._root_check: GradCheck | None = None  # of the graph before every edit on it
        self.checked = False  # Check Gradients ran on this document (the panel's words)
        self._index = 0  # the undo stack's index as last seen: lower is an undo, higher a redo
        self._pushing = False
        # where long work runs: here, or (in a window) a worker thread with progress + Cancel
        self.runner: Runner = run_inline
        self._run_seconds: float | None = None  # how long the last run took (None: not yet)
        self._working = False  # a run is in progress (the worker's wait lets timers fire)
        self.training: TrainJob | None = None  # the Train N run in progress, between slices
        self._unsubscribe = self.model.subscribe(self._on_model_event)
        self.session.on_restore(self._on_session_restored)
        self._timer = QTimer(self, singleShot=True, interval=30)
        self._timer.timeout.connect(self._evaluate)
        self.undo_stack.indexChanged.connect(self._on_index_changed)

    # --- messages -------------------------------------------------------------------------
    def say(self, text: str, level: str = "info") -> None:
        """Tell the person what happened (status bar, Messages)."""
        self.message.emit(Message(level, text))

    def refuse(self, reason: str, nodes: Iterable[str | None] = ()) -> Refusal:
        """Report a refusal once, as a message, and return it for the caller."""
        refusal = Refusal(reason, nodes)
        self.message.emit(refusal)
        return refusal

    # --- editing --------------------------------------------------------------------------
    def run(self, command: ModelCommand) -> Outcome:
        """Apply an edit and put it on the undo stack: True, or the Refusal (reported once
        as a message) when the model refused it; a refused edit leaves nothing behind."""
        try:
            command.apply()
        except GraphError as e:
            return self.refuse(str(e), command.nodes)
        self._pushing = True
        try:
            self.undo_stack.push(command)
        finally:
            self._pushing = False
        self._index = self.undo_stack.index()
        # the new place (a merge changed the top's): checked if the edit kept the graph
        self._set_check_here(self.session.last_check)
        return True

    # --- undo and redo ------------------------------------------------------------------------
    # The graph at each place on the stack is the one its top command left, so that command
    # keeps the place's Check Gradients result (``check_after``; below the first, the
    # document): an undo or redo back to a checked graph shows its result again.
    def _top(self) -> ModelCommand | None:
        i = self.undo_stack.index()
        return self.undo_stack.command(i - 1) if i else None

    def _set_check_here(self, check: GradCheck | None) -> None:
        top = self._top()
        if top is None:
            self._root_check = check
        else:
            top.check_after = check

    def _on_index_changed(self, index: int) -> None:
        """An undo or redo (not a push, whose ``run`` follows): say what it did, and give the
        graph it went back to its gradient check, if it had one."""
        previous, self._index = self._index, index
        if self._pushing or index == previous or not self.undo_stack.count():
            return
        top = self._top()
        check = self._root_check if top is None else top.check_after
        self.session.last_check = check
        if check is not None or self._check_shown:
            self._check_shown = check is not None
            self.gradients_checked.emit(check)
        undone = index < previous
        moved = abs(index - previous)
        if moved == 1:
            self._say_moved(index if undone else index - 1, undone)
        else:
            self.say(f"{'undone' if undone else 'redone'}: {moved} edits")

    def _say_moved(self, at: int, undone: bool) -> None:
        """'undone: Add tanh' (the stack's command ``at``); for a train run with the loss it
        gave back (the status bar said 'trained ...': it now says what the undo did)."""
        text = f"{'undone' if undone else 'redone'}: {self.undo_stack.text(at)}"
        if isinstance(self.undo_stack.command(at), ApplyTrainStep):
            forward = self._evaluate() if self._timer.isActive() else self.session.last_forward
            loss = None if forward is None else self._loss_now(forward)
            if loss is not None:
                text += f" (loss back to {loss:.6g})" if undone else f" (loss {loss:.6g} again)"
        self.say(text)

    def _on_model_event(self, event: ModelEvent) -> None:
        self.model_changed.emit(event)
        if event.kind is not Change.NODE_MOVED and not event.kind.is_annotation:
            if self._check_shown:  # it described the graph as it was (the session forgot it)
                self._check_shown = False
                self.gradients_checked.emit(None)
            if self.auto_evaluate and self.training is None:  # a run evaluates at its end
                self._timer.start()

    def _on_session_restored(self) -> None:
        """The cards and panels show the restored session: its last forward as it was (the
        gradients kept in intermediate results with it), not a fresh evaluation."""
        forward = self.session.last_forward
        if self.training is not None:  # its steps so far were undone: it stops there
            self.training.taken_back = True
            self.training.cancel()
        self._timer.stop()
        if forward is None:
            if self.auto_evaluate:
                self._timer.start()
        else:
            self.evaluated.emit(forward)
        self.ledger_changed.emit()
        self._check_shown = self.session.last_check is not None
        self.gradients_checked.emit(self.session.last_check)
        self.session_restored.emit()

    @property
    def last_check(self) -> GradCheck | None:
        """Check Gradients' result, while the graph is as it was checked (the session's)."""
        return self.session.last_check

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    # --- running --------------------------------------------------------------------------
    def forward(self) -> ForwardResult:
        self.run_requested.emit()
        return self._evaluate()

    def _evaluate(self) -> ForwardResult:
        self._timer.stop()
        if self._working:  # a run is in the worker: evaluate once it is over
            self._timer.start()
            return self.session.last_forward or ForwardResult()
        result = self._session_work(self.session.forward, "Evaluating…")
        self.evaluated.emit(result)
        if result.cancelled:
            self.say("evaluation cancelled: Run ▸ Forward evaluates again")
        return result

    def _session_work(self, work: Callable[[Callable[[], bool] | None], T], label: str) -> T:
        """Run the session: here when it is quick, in the runner's worker thread (progress,
        Cancel, the window repainting) when the last run took HEAVY_SECONDS or more, or the
        graph is big and has not run yet. ``work`` gets the stop check (None: no cancel)."""
        heavy = self.runner is not run_inline and (
            self._run_seconds >= HEAVY_SECONDS if self._run_seconds is not None
            else len(self.model) >= BIG_GRAPH)
        started = time.perf_counter()
        self._working = True
        try:
            if heavy:
                return self.runner(lambda t: work(t.should_stop), label)
            return work(None)
        finally:
            self._working = False
            self._run_seconds = time.perf_counter() - started

    def in_worker(self, work: Callable[[Task], T], label: str) -> T:
        """Long work that reads the session but is not a run (Compare with PyTorch): always
        in the runner (the worker thread, progress and Cancel in a window), auto-evaluation
        held off until it is over."""
        self._timer.stop()
        self._working = True
        try:
            return self.runner(work, label)
        finally:
            self._working = False

    def backward(self, target: str | None = None) -> BackwardResult:
        self.run_requested.emit()
        self._timer.stop()
        if self._working:
            return self.refuse("backward: a run is still in progress")
        result = self._session_work(lambda stop: self.session.backward(target, stop),
                                    "Running backward…")
        self.evaluated.emit(self.session.last_forward)
        self.backward_done.emit(result)
        self.ledger_changed.emit()
        if result.ok:
            self.say(f"backward from {self.model.label(result.target)} done")
        elif self.session.last_forward is not None and self.session.last_forward.cancelled:
            self.say("backward cancelled: nothing was accumulated")
        else:
            self.refuse(f"{result.error}\n{result.reason}", [result.target])
        return result

    def zero_grad(self) -> None:
        self.session.zero_grad()
        self.ledger_changed.emit()
        self.forward()
        self.say("gradients set to zero")

    def set_no_grad_mode(self, on: bool) -> None:
        self.session.no_grad_mode = on
        self.forward()

    def set_retain_intermediate(self, on: bool) -> None:
        self.session.retain_intermediate = on
        self.forward()

    def check_gradients(self, progress: Callable[[int, int], None] | None = None,
                        should_stop: Callable[[], bool] | None = None) -> GradCheck:
        """Run ▸ Check Gradients: backward against finite differences for every leaf that
        requires grad (graph/gradcheck.py); ``progress`` and ``should_stop`` as there."""
        self.run_requested.emit()
        if self._timer.isActive():  # an edit not evaluated yet: the cards show it first
            self._evaluate()
        check = check_gradients(self.session, progress=progress, should_stop=should_stop)
        self.session.last_check = check
        self._set_check_here(check)
        self.checked = True
        self._check_shown = True
        self.gradients_checked.emit(check)
        if check.ran and (check.cancelled or not check.failing):
            self.say(check.summary())
        else:
            self.refuse(check.summary(), [check.target] if not check.ran else
                        [leaf.node for leaf in check.failing])
        return check

    def train(self, steps: int, lr: float | None = None) -> list[float]:
        """Train steps now, as one undoable change of the weights; returns the losses."""
        self.run_requested.emit()
        job = TrainJob(self, steps, lr)
        job.run_all()
        return job.run.losses

    def start_training(self, steps: int, lr: float | None = None) -> TrainJob:
        """Train in slices between events so the window stays responsive."""
        self.run_requested.emit()
        job = self.training = TrainJob(self, steps, lr)
        job.start()
        return job

    def _before_block(self, job: TrainJob) -> SessionState | None:
        """The session before a block of ``job``'s steps, for undo; None when the block's
        command will merge into the run's command on top of the stack (which holds the
        session from before the run)."""
        stack = self.undo_stack
        top = stack.command(stack.index() - 1) if stack.index() > 0 else None
        if isinstance(top, ApplyTrainStep) and top.run is job and \
                stack.index() != stack.cleanIndex():  # QUndoStack does not merge into clean
            return None
        return self.session.snapshot()

    def _apply_train_step(self, job: TrainJob, updates: dict, steps: int = 1,
                          before: SessionState | None = None) -> Outcome:
        """The new weights after ``steps`` steps, through the undo stack (merged with the
        run's earlier steps); the Refusal if the model refused them. ``before``: the session
        before the steps (``_before_block``), which undo puts back."""
        return not updates or self.run(ApplyTrainStep(self.model, self.session, job, updates,
                                                      steps, before))

    def _finish_training(self, job: TrainJob) -> None:
        run = job.run
        if self.training is job:
            self.training = None
        self.ledger_changed.emit()
        forward = self._evaluate()
        run.loss_after = self._loss_now(forward)
        if job.taken_back:
            self.say("training stopped: its steps were undone")
            return
        if run.steps:
            self.session.record_run(run)
            self.trained.emit(run)
        if run.failure is not None:
            self.backward_done.emit(run.failure)
            self.refuse(f"{run.failure.error}\n{run.failure.reason}", [run.failure.target])
        elif run.cancelled and not run.steps:
            self.say("training cancelled before its first step: nothing changed")
        elif run.steps:
            # the losses are each step's loss before its update: say where it went, too
            n = len(run.steps)
            steps = f"{n} step{'s' * (n != 1)}"
            now = run.loss_after
            self.say(f"trained {steps}: loss {run.losses[-1]:.6g}" if now is None else
                     f"trained {steps}: loss {run.losses[0]:.6g} -> {now:.6g}")

    def _loss_now(self, forward: ForwardResult) -> float | None:
        try:
            value = forward.values.get(self.session.target())
        except GraphError:
            return None
        return None if value is None or value.numel() != 1 else float(value.item())

    # --- files ----------------------------------------------------------------------------
    def load(self, path: str | Path) -> Outcome:
        """Open a file: True, or the Refusal saying why, or a Cancel (the current document
        stays as it was). The file is read, checked and built into a scratch model by the
        runner (a worker thread in the window); only the swap happens here."""
        name = Path(path).name
        # Opening makes tens of thousands of objects at once (nodes, cards, wires): the cycle
        # collector would rescan the whole heap many times over while they are made.
        with gc_paused():
            try:
                loaded = self.runner(lambda _task: fileformat.load(path), f"Opening {name}…",
                                     drop_on_cancel=True)
            except GraphError as e:
                return self.refuse(str(e))
            except Cancelled:
                cancel = Cancel(f"opening {name} cancelled")
                self.message.emit(cancel)
                return cancel
            self.replace_model(loaded)
            self._tell_overflows(name)
        self.path = Path(path)
        self.path_changed.emit(self.path)
        return True

    def _tell_overflows(self, name: str) -> None:
        """A file just opened whose numbers pass their dtype (1e308 in float32) is open, as
        PyTorch would hold it (inf), and said so once, here (graph/overflow.py)."""
        found = overflows(self.model, self.session.last_forward)
        if not found:
            return
        lines = list(found.values())
        head = (f"{name}: {lines[0]}" if len(lines) == 1 else
                f"{name}: {len(lines)} nodes hold inf that no number in the file wrote "
                f"(past {self.model.settings.dtype}'s largest number); each says why in the "
                "Inspector")
        more = lines[:OVERFLOWS_LISTED] if len(lines) > 1 else []
        if len(lines) > OVERFLOWS_LISTED:
            more.append(f"… and {len(lines) - OVERFLOWS_LISTED} more")
        self.message.emit(Message("warning", "\n".join([head, *more]), tuple(found)))

    def replace_model(self, data: dict | GraphModel) -> None:
        """Make this the whole document: plain data (checked first), or a model just read
        from a file (taken over as it is, not copied)."""
        if isinstance(data, GraphModel):
            self.model.take_over(data)
        else:
            self.model.load_dict(data)
        self._run_seconds = None  # another graph: its cost is not known yet
        self.session.forget_runs()
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self._index, self._root_check, self.checked = 0, None, False
        self.reset.emit()
        self.ledger_changed.emit()
        self._evaluate()

    def restore(self, model: GraphModel, path: Path | None) -> None:
        """Make an autosaved model the document: bound to the file it came from (if any) and
        modified, since its changes were never saved there."""
        self.replace_model(model)
        self.path = path
        self.path_changed.emit(path)
        self.undo_stack.resetClean()  # no clean state: closing asks, Save writes

    def new(self) -> None:
        self.replace_model({"nodes": [], "edges": []})
        self.path = None
        self.path_changed.emit(None)

    def save(self, path: str | Path | None = None) -> Outcome:
        """Save (atomically): True, or the Refusal saying why."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("save() needs a path for a new document")
        try:
            fileformat.save(self.model, target)
        except GraphError as e:
            return self.refuse(str(e))
        self.path = target
        self.undo_stack.setClean()
        self.path_changed.emit(self.path)
        self.say(f"saved {target.name}")
        return True


class TrainJob(QObject):
    """Train steps run in short slices on the event loop; cancel() stops after the current
    step. The session computes each step's new weights and the document applies them as an
    undoable command; ``progress`` carries the steps of each slice, ``finished`` fires once
    at the end, after ``Document.trained``."""

    progress = Signal(object)  # list[TrainStep]: the steps done since the last progress
    finished = Signal()
    SLICE_SECONDS = 0.03  # the shortest slice (the first: the window repaints soon)
    FRAME_SECONDS = 0.075  # a slice and the repaint after it: the window answers this often

    def __init__(self, document: Document, steps: int, lr: float | None) -> None:
        super().__init__(document)
        self.document, self.steps, self.lr = document, steps, lr
        self.run = TrainRun()
        self.done = False
        self.taken_back = False  # an undo during the run took its steps back
        self._slice_end: float | None = None  # when the last slice gave the window back

    @property
    def losses(self) -> list[float]:
        """Each step's loss before its update, so far."""
        return self.run.losses

    @property
    def cancelled(self) -> bool:
        return self.run.cancelled

    def cancel(self) -> None:
        """Stop after the current block of steps (train_block runs one time slice)."""
        self.run.cancelled = True

    def start(self) -> None:
        QTimer.singleShot(0, self._slice)

    def run_all(self) -> None:
        while not self._step_slice(float("inf")):
            pass

    def _slice(self) -> None:
        """One slice of steps: longer while the window repaints quickly (what the event
        loop took since the last slice is left of the frame for the repaint)."""
        seconds = self.SLICE_SECONDS if self._slice_end is None else max(
            self.SLICE_SECONDS, self.FRAME_SECONDS - (time.monotonic() - self._slice_end))
        over = self._step_slice(seconds)
        self._slice_end = time.monotonic()
        if not over:
            QTimer.singleShot(0, self._slice)

    def _step_slice(self, seconds: float) -> bool:
        """Run steps for up to ``seconds``; True when the job is over."""
        deadline = time.monotonic() + seconds
        session, run = self.document.session, self.run
        done: list[TrainStep] = []
        refused = False
        while len(run.steps) < self.steps and not run.cancelled and run.failure is None:
            before = self.document._before_block(self)
            block = session.train_block(self.steps - len(run.steps), self.lr,
                                        len(run.steps) + 1, id(self),
                                        max(deadline - time.monotonic(), 0.0))
            if block.failure is not None:
                run.failure = block.failure
                break
            if not self.document._apply_train_step(self, block.updates, len(block.steps),
                                                   before):
                refused = True  # the document said why; the run ends here
                break
            session.record_steps(block.steps)
            done.extend(block.steps)
            run.steps.extend(block.steps)
            if time.monotonic() > deadline:
                break
        if done:
            self.progress.emit(done)
        over = refused or len(run.steps) >= self.steps or run.cancelled or \
            run.failure is not None
        if over and not self.done:
            self.done = True
            self.document._finish_training(self)
            self.finished.emit()
        return over
