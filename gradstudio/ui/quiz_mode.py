"""Quiz mode (issue 14): predict, then reveal.

``QuizMode`` asks the graph layer's quiz (``graph.quiz.Quiz``: questions, true answers and
the chain-rule product behind each) and holds what the learner typed. While it is on, the
canvas hides gradients (and, when a question asks a value, the computed values), the panels
that show gradients are covered, and the Inspector and each asked card take a prediction.
*Reveal* marks every prediction; *Leave* gives every card and panel back. The mode pushes no
command and edits nothing: an edit only recomputes the answers (and hides them again).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QLabel

from gradstudio.graph import Change, ModelEvent
from gradstudio.graph.annotations import Question

from .canvas.view import GraphView
from .document import Document

if TYPE_CHECKING:
    from gradstudio.graph.quiz import Mark, Quiz

    from .canvas.quiz_overlay import QuizOverlay


def _quiz():  # noqa: ANN202 - the module graph.quiz
    """The quiz's maths (graph.quiz, with the trace it reads), loaded when a quiz starts,
    not at start-up (tests/ui/test_startup_imports.py)."""
    from gradstudio.graph import quiz

    return quiz

__all__ = ["QuizMode", "COVERED_PANELS"]

# Panels whose numbers would give the answers away, covered while quizzing (when present).
COVERED_PANELS = ("gradients", "ledger", "chain_rule", "training", "grad_check", "loss_slice")


class QuizMode(QObject):
    """``changed`` fires when the quiz starts, is revealed, is recomputed or ends;
    ``typed(question)`` when a prediction changes (the card and the Inspector both show it)."""

    changed = Signal()
    typed = Signal(object)
    status = Signal(str)

    def __init__(self, document: Document, view: GraphView,
                 docks: dict[str, QDockWidget] | None = None, parent: QObject | None = None
                 ) -> None:
        super().__init__(parent)
        self.document, self.view, self.scene = document, view, view.scene()
        self.docks = docks if docks is not None else {}  # the window's, filled in later
        self.quiz: Quiz | None = None
        self.overlay: QuizOverlay | None = None
        self.marks: dict[Question, Mark] | None = None  # None until revealed
        self.predictions: dict[Question, str] = {}
        self._covered: dict[str, tuple[QDockWidget, object]] = {}
        document.model_changed.connect(self._on_model_event)
        document.reset.connect(self._on_reset)

    # --- state ------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.quiz is not None

    @property
    def revealed(self) -> bool:
        return self.marks is not None

    @property
    def questions(self) -> tuple[Question, ...]:
        return () if self.quiz is None else self.quiz.questions

    def questions_for(self, node_id: str) -> list[Question]:
        return [q for q in self.questions if q.node == node_id]

    def hides_value(self, node_id: str) -> bool:
        """Values are hidden (computed nodes only) when some question asks for a value,
        until the answers are revealed."""
        if self.quiz is None or self.revealed or \
                not any(q.ask == "value" for q in self.questions):
            return False
        return not self.document.model.node(node_id).spec.is_leaf

    def score_text(self) -> str:
        """``2 of 3 right`` after the reveal; before it, how many are typed."""
        if self.quiz is None:
            return ""
        if self.marks is not None:
            return _quiz().score_line(list(self.marks.values()))
        done = sum(1 for q in self.questions if self.predictions.get(q, "").strip())
        return self.tr("%d of %d predicted") % (done, len(self.questions))

    @staticmethod
    def tolerance_text() -> str:
        return _quiz().TOLERANCE_TEXT

    # --- the learner's actions ---------------------------------------------------------------
    def enter(self) -> None:
        """Start the quiz (again from the typed predictions if already on)."""
        if self.quiz is not None:
            return
        from .canvas.quiz_overlay import QuizOverlay

        quiz = _quiz().Quiz(self.document.session)
        if not quiz.questions:
            self.document.say(self.tr("Nothing to ask: no leaf requires grad, and the file "
                                      "has no questions"))
            return
        self.quiz, self.marks = quiz, None
        self._cover_panels()
        self.scene.set_quiz(self)
        self.overlay = QuizOverlay(self.view, self)
        self.changed.connect(self.overlay.refresh)
        self.status.emit(self.intro())
        self.changed.emit()

    def intro(self) -> str:
        """What the quiz asks, in the example's words (its ``exercise`` intro), else how."""
        return self.document.model.exercise.intro or self.tr(
            "Type a prediction into each asked card, then Reveal")

    def set_prediction(self, q: Question, text: str) -> None:
        if self.predictions.get(q, "") == text:
            return
        self.predictions[q] = text
        self.typed.emit(q)

    def problem(self, q: Question) -> str | None:
        """Why the typed text cannot be marked (shown under the field as it is typed)."""
        text = self.predictions.get(q, "")
        if self.quiz is None or not text.strip():
            return None
        return self.quiz.check(q, text)

    def reveal(self) -> None:
        if self.quiz is None:
            return
        self.marks = {m.answer.question: m for m in self.quiz.mark_all(self.predictions)}
        for m in self.marks.values():  # the whole derivation of each, in the Messages panel
            self.document.say("\n".join(m.lines()), "info" if m.right else "wrong")
        tolerance = self.tolerance_text()
        self.document.say(f"Quiz: {self.score_text()} ({tolerance})")
        self.status.emit(f"{self.score_text()} ({tolerance})")
        if "messages" in self.docks:  # where every answer's chain-rule product is
            self.docks["messages"].raise_()
        self.scene.set_quiz(self)  # the hidden values are answers now: shown
        self.changed.emit()

    def retry(self) -> None:
        """Hide the answers again, keeping the predictions to change them."""
        if self.marks is not None:
            self.marks = None
            self.scene.set_quiz(self)
            self.changed.emit()

    def leave(self, why: str | None = None) -> None:
        """Back to the normal view; the predictions are kept for the next quiz."""
        if self.quiz is None:
            return
        self.quiz, self.marks = None, None
        if self.overlay is not None:
            self.changed.disconnect(self.overlay.refresh)
            self.overlay.remove()
            self.overlay = None
        self.scene.set_quiz(None)
        self._uncover_panels()
        self.status.emit("")
        if why:
            self.document.say(self.tr("Quiz ended: %s") % why)
        self.changed.emit()

    # --- following the document ------------------------------------------------------------
    def _on_model_event(self, event: ModelEvent) -> None:
        if self.quiz is None or event.kind is Change.NODE_MOVED:
            return
        if event.kind is Change.EXERCISE_CHANGED or (not event.kind.is_annotation
                                                     and not self.quiz.is_current()):
            self.quiz = _quiz().Quiz(self.document.session)  # the answers for the graph as it is
            self.marks = None
            if not self.quiz.questions:
                self.leave(self.tr("nothing left to ask"))
                return
            self.scene.set_quiz(self)
            self.changed.emit()

    def _on_reset(self) -> None:
        self.predictions.clear()
        self.leave(self.tr("another graph was opened"))

    # --- covering the panels that show gradients ---------------------------------------------
    def _cover_panels(self) -> None:
        for name in _present(COVERED_PANELS, self.docks):
            dock = self.docks[name]
            cover = QLabel(self.tr("Hidden during the quiz: Leave Quiz (Esc) to see it again."))
            cover.setAlignment(Qt.AlignCenter)
            cover.setWordWrap(True)
            cover.setObjectName("quiz_cover")
            panel = dock.widget()
            self._covered[name] = (dock, panel)
            dock.setWidget(cover)
            panel.setParent(cover)  # kept, hidden, and gone with the window if it closes
            panel.hide()

    def _uncover_panels(self) -> None:
        for dock, panel in self._covered.values():
            cover = dock.widget()
            dock.setWidget(panel)
            panel.show()
            if cover is not None and cover is not panel:
                cover.deleteLater()
        self._covered.clear()


def _present(names: Iterable[str], docks: dict[str, QDockWidget]) -> list[str]:
    return [n for n in names if n in docks]
