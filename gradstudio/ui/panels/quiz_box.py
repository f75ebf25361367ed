"""The Inspector's quiz box: while quizzing, the selected node's questions — a field for the
prediction (the same text as on the card), the hint on request, and after *Reveal* the mark,
the true value and the chain-rule product that gives it (graph/quiz.py's words)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from gradstudio.graph.annotations import Question

from .. import theme

if TYPE_CHECKING:
    from ..quiz_mode import QuizMode

__all__ = ["QuizBox"]


class _QuestionRow(QWidget):
    def __init__(self, mode: QuizMode, q: Question) -> None:
        super().__init__()
        self.mode, self.question = mode, q
        what = mode.quiz.answer(q).what
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        self.title = QLabel(self.tr("Predict %s:") % what)
        self.edit = QLineEdit(mode.predictions.get(q, ""))
        self.edit.setAccessibleName(self.tr("Prediction for %s") % what)
        self.edit.setPlaceholderText(self.tr("a number, 1, 2, 3 for a vector, or None"))
        self.edit.textEdited.connect(lambda text: mode.set_prediction(q, text))
        self.title.setBuddy(self.edit)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName(self.tr("Prediction problem"))
        self.hint_button = QPushButton(self.tr("Show Hint"))
        self.hint_button.setVisible(bool(q.hint))
        self.hint = QLabel(q.hint)
        self.hint.setWordWrap(True)
        self.hint.setAccessibleName(self.tr("Hint"))
        self.hint.hide()
        self.hint_button.clicked.connect(self._show_hint)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.RichText)
        self.result.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.result.setAccessibleName(self.tr("Answer"))
        for w in (self.title, self.edit, self.problem, self.hint_button, self.hint,
                  self.result):
            layout.addWidget(w)
        self.refresh()

    def _show_hint(self) -> None:
        self.hint.show()
        self.hint_button.hide()

    def refresh(self) -> None:
        c = theme.current()
        text = self.mode.predictions.get(self.question, "")
        if self.edit.text() != text:
            self.edit.setText(text)
        problem = self.mode.problem(self.question)
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))
        self.problem.setStyleSheet(f"color: {c.error};")
        self.hint.setStyleSheet(f"color: {c.muted};")
        marks = self.mode.marks
        self.edit.setReadOnly(marks is not None)
        if marks is None:
            self.result.hide()
            return
        m = marks[self.question]
        first, *why = m.lines()
        colour = c.ok if m.right else c.error
        self.result.setText(f"<b style='color:{colour}'>{html.escape(first)}</b><br>"
                            + "<br>".join(html.escape(line) for line in why))
        self.result.show()


class QuizBox(QGroupBox):
    """Shown in the Inspector while quizzing and the selected node is asked about."""

    def __init__(self, mode: QuizMode, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Quiz"), parent)
        self.mode = mode
        self.node_id: str | None = None
        self.rows: list[_QuestionRow] = []
        self.tolerance = QLabel()  # its text once there are questions: see _rebuild
        self.tolerance.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tolerance)
        mode.typed.connect(self._typed)
        self.hide()

    def show_node(self, node_id: str | None) -> None:
        self.node_id = node_id
        self._rebuild()

    def _rebuild(self) -> None:
        for row in self.rows:
            row.setParent(None)
            row.deleteLater()
        self.rows = []
        questions = self.mode.questions_for(self.node_id) if self.node_id and \
            self.mode.active else []
        if questions:
            self.tolerance.setText(self.mode.tolerance_text())
        for q in questions:
            row = _QuestionRow(self.mode, q)
            self.layout().addWidget(row)
            self.rows.append(row)
        self.setVisible(bool(questions))

    def _typed(self, q: Question) -> None:
        for row in self.rows:
            if row.question == q:
                row.refresh()
