"""The quiz on the canvas: each asked card grows a line per question — ``grad`` with an
editor to type the prediction into, and after *Reveal* ``✓ grad 6.6918`` or ``✗ grad
0.9988`` in the ok or error colour. The editors are line edits on the viewport (as the
rename editor is), laid over the card's quiz line, so they keep a readable size at any zoom.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFontMetricsF, QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit

from gradstudio.graph.annotations import Question

from .. import theme
from .node_item import card_fonts

if TYPE_CHECKING:
    from ..quiz_mode import QuizMode
    from .view import GraphView

__all__ = ["QuizOverlay", "PredictionEdit"]
MIN_WIDTH = 48  # viewport pixels: room for a few digits when the canvas is zoomed out


def quiz_word(q: Question) -> str:
    return "grad" if q.ask == "grad" else "value"


def label_width(q: Question) -> float:
    """Scene width of ``grad `` / ``value `` as the card paints it, left of the editor."""
    return QFontMetricsF(card_fonts()["body"]).horizontalAdvance(quiz_word(q) + " ")


class PredictionEdit(QLineEdit):
    """Where a prediction is typed. Enter goes to the next question; Esc gives the keys back
    to the canvas (a second Esc there leaves the quiz)."""

    def __init__(self, overlay: QuizOverlay, q: Question, what: str) -> None:
        super().__init__(overlay.view.viewport())
        self.overlay, self.question = overlay, q
        self.setAccessibleName(f"Prediction for {what}")
        self.setPlaceholderText(f"{what} = ?")
        self.setToolTip(f"Your prediction for {what}: a number, numbers separated by commas "
                        "for a vector, or None")
        self.setText(overlay.mode.predictions.get(q, ""))
        self.textEdited.connect(lambda text: overlay.mode.set_prediction(q, text))
        self.returnPressed.connect(lambda: overlay.focus_next(self))

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.ShortcutOverride and event.key() == Qt.Key_Escape:
            event.accept()  # Esc here is ours: back to the canvas, the quiz stays
            return True
        if event.type() == QEvent.KeyPress and event.key() in (Qt.Key_Tab, Qt.Key_Backtab):
            # Tab goes from box to box (else it reached the canvas, whose Tab adds a node)
            self.overlay.focus_next(self, -1 if event.key() == Qt.Key_Backtab else 1,
                                    wrap=True)
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key_Escape:
            self.overlay.view.setFocus(Qt.OtherFocusReason)
            return
        super().keyPressEvent(event)


class QuizOverlay(QObject):
    """The mode's questions drawn on the cards of ``view``; ``refresh()`` after any change.
    A child of the view, so its connections go when the view does."""

    def __init__(self, view: GraphView, mode: QuizMode) -> None:
        super().__init__(view)
        self.view, self.mode = view, mode
        self.editors: dict[Question, PredictionEdit] = {}
        self.problem = QLabel(view.viewport())
        self.problem.setWordWrap(True)
        self.problem.setObjectName("quiz_problem")
        self.problem.hide()
        self._nodes: set[str] = set()
        view.zoom_changed.connect(self.place)
        view.horizontalScrollBar().valueChanged.connect(self.place)
        view.verticalScrollBar().valueChanged.connect(self.place)
        view.scene().changed.connect(self.place)  # a card dragged or grown: follow it
        mode.typed.connect(self._typed)
        self.refresh()

    # --- building ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Lines and editors for the questions as the mode has them now."""
        mode, scene = self.mode, self.view.scene()
        model = self.view.document.model
        asked = {q.node for q in mode.questions}
        for n in self._nodes - asked:
            if n in scene.nodes:
                scene.nodes[n].set_quiz([], mode.hides_value(n) if n in model else False)
        self._nodes = asked
        for n, item in scene.nodes.items():
            lines = []
            for q in mode.questions_for(n):
                if mode.marks is None:
                    lines.append((quiz_word(q), "muted"))
                else:
                    m = mode.marks[q]
                    lines.append((f"{m.symbol} {quiz_word(q)} {m.answer.truth_text}",
                                  "ok" if m.right else "error"))
            item.set_quiz(lines, mode.hides_value(n))
        for q in list(self.editors):
            if q not in mode.questions or mode.revealed:
                editor = self.editors.pop(q)
                editor.hide()
                editor.deleteLater()
        if not mode.revealed:
            for q in mode.questions:
                if q not in self.editors and q.node in scene.nodes:
                    what = mode.quiz.answer(q).what
                    self.editors[q] = PredictionEdit(self, q, what)
                    self.editors[q].show()
        self._restyle()
        self.place()

    def _restyle(self) -> None:
        c = theme.current()
        self.problem.setStyleSheet(f"background: {c.card}; color: {c.error}; padding: 2px;")

    def remove(self) -> None:
        for item in self.view.scene().nodes.values():
            item.set_quiz([], False)
        for editor in self.editors.values():
            editor.hide()
            editor.deleteLater()
        self.editors.clear()
        self.problem.hide()
        self.problem.deleteLater()
        for signal in (self.view.zoom_changed, self.view.horizontalScrollBar().valueChanged,
                       self.view.verticalScrollBar().valueChanged, self.view.scene().changed):
            signal.disconnect(self.place)
        self.mode.typed.disconnect(self._typed)
        self.deleteLater()

    # --- placing ----------------------------------------------------------------------------
    def place(self, *_: object) -> None:
        scene = self.view.scene()
        if scene is None:  # the window is closing
            return
        for q, editor in self.editors.items():
            item = scene.nodes.get(q.node)
            if item is None:
                editor.hide()
                continue
            i = self.mode.questions_for(q.node).index(q)
            rect = item.quiz_rect(i).adjusted(0, 2, 0, -2)
            rect.setLeft(rect.left() + label_width(q))
            box = self.view.mapFromScene(item.mapRectToScene(rect)).boundingRect()
            # inside the card's quiz line down to the zoom where that gets too small to
            # type into; below it the editor keeps a usable size and overhangs the card
            height = max(box.height(), editor.minimumSizeHint().height())
            box.setTop(box.center().y() - height // 2)
            box.setHeight(height)
            box.setWidth(max(box.width(), MIN_WIDTH))
            editor.setGeometry(box)
        self._show_problem()

    def _typed(self, q: Question) -> None:
        editor = self.editors.get(q)
        text = self.mode.predictions.get(q, "")
        if editor is not None and editor.text() != text:
            editor.setText(text)
        self._show_problem()

    def _show_problem(self) -> None:
        """Under the editor with focus: why what is typed there cannot be marked."""
        focus = next((e for e in self.editors.values() if e.hasFocus()), None)
        text = None if focus is None else self.mode.problem(focus.question)
        if not text:
            self.problem.hide()
            return
        geo = focus.geometry()
        self.problem.setText(text)
        width = max(geo.width(), 220)
        self.problem.setGeometry(geo.left(), geo.bottom() + 2, width,
                                 self.problem.heightForWidth(width))
        self.problem.show()
        self.problem.raise_()

    def focus_next(self, editor: PredictionEdit, step: int = 1, wrap: bool = False) -> None:
        """The next box (``step`` -1: the one before); past the last one only if ``wrap``."""
        order = [self.editors[q] for q in self.mode.questions if q in self.editors]
        i = order.index(editor) + step
        if wrap:
            i %= len(order)
        if 0 <= i < len(order):
            order[i].setFocus(Qt.TabFocusReason)
            order[i].selectAll()
        self._show_problem()
