"""Run ▸ Compare with PyTorch: the graph run on real PyTorch (``gradstudio/oracle.py``) in the
worker thread, then a window with the verdict in one line and, per node, whether its value
and its gradient are bit-identical to PyTorch's or how far apart they are.

PyTorch is optional: without it the action is disabled and its tooltip says how to install
it. Nothing here imports torch; ``oracle.available()`` only looks it up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QColor, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gradstudio import oracle
from gradstudio.graph import Change, GraphError, ModelEvent
from gradstudio.graph.ledger import format_number

from . import theme
from .tables import read_only_table
from .worker import Cancelled

if TYPE_CHECKING:
    from .document import Document
    from .main_window import MainWindow
    from .quiz_mode import QuizMode

__all__ = ["CompareDialog", "compare_with_pytorch", "follow_availability", "HEADERS"]

HEADERS = ("node", "in the code", "value", "gradient")


def follow_availability(action: QAction, quiz: QuizMode) -> None:
    """Enabled when PyTorch can be imported (looked up once, not imported); else disabled,
    with the command that installs it in its tooltip. Disabled during the quiz too: the
    table would give the hidden gradients away."""
    found = oracle.available()

    def follow() -> None:
        action.setEnabled(found and not quiz.active)
        if not found:
            tip = action.tr("PyTorch is not installed: %1, then restart GradStudio") \
                .replace("%1", oracle.INSTALL)
        elif quiz.active:
            tip = action.tr("Not during the quiz: Leave Quiz (Esc) to compare")
        else:
            tip = action.tr("Run the graph on real PyTorch and compare every node's value and "
                            "gradient with GradStudio's, bit for bit")
        action.setToolTip(tip)
        action.setStatusTip(tip)

    quiz.changed.connect(follow)
    follow()


def compare_with_pytorch(w: MainWindow) -> CompareDialog | None:
    """Compare in the worker thread (importing PyTorch takes seconds; Cancel stops between
    statements), then show the result; a graph that cannot be written as code or a failure
    inside PyTorch gets a message. The session is not touched."""
    doc = w.document
    doc.run_requested.emit()  # typed but unconfirmed values count

    def work(task):  # noqa: ANN001, ANN202 - the worker's Task
        return oracle.compare(doc.session, should_stop=task.should_stop)

    try:
        result = doc.in_worker(work, w.tr("Comparing with PyTorch…"))
    except Cancelled:  # not raised today (the work is waited for), but a cancel is no error
        return None
    except (GraphError, oracle.OracleError) as e:
        QMessageBox.warning(w, w.tr("Cannot compare with PyTorch"), str(e))
        return None
    w.statusBar().showMessage(result.summary(), 8000)
    if result.cancelled:
        return None
    dialog = w.findChild(CompareDialog)  # one per window: Compare Again refreshes it
    if dialog is None:  # non-modal: it can stay beside the canvas
        dialog = CompareDialog(result, doc, w.action_map["compare_torch"], w.quiz_mode, w)
    else:
        dialog.show_comparison(result)
    w.compare_dialog = dialog
    dialog.show()
    dialog.raise_()
    return dialog


class CompareDialog(QDialog):
    """The comparison's summary line above a table: one row per node, in evaluation order.
    It follows the document: once an edit changes what was compared, it is greyed under a
    line that says so, with Compare Again (the Run menu's action); undoing the edit makes
    it current again. It closes when a quiz starts."""

    def __init__(self, comparison: oracle.Comparison, document: Document, again: QAction,
                 quiz: QuizMode, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.comparison = comparison
        self.document = document
        self.setWindowTitle(self.tr("Compare with PyTorch"))
        self.summary = QLabel()
        self.summary.setObjectName("compare_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.summary.setAccessibleName(self.tr("Comparison result"))
        bold = self.summary.font()
        bold.setBold(True)
        self.summary.setFont(bold)
        self.stale = QLabel(self.tr("The graph has changed since this comparison: the table "
                                    "shows it as it was. Compare again to see it as it is."))
        self.stale.setObjectName("compare_stale")
        self.stale.setWordWrap(True)
        self.stale.setAccessibleName(self.tr("Out of date"))
        self.again = QPushButton(self.tr("Compare &Again"))
        self.again.setObjectName("compare_again")
        self.again.clicked.connect(again.trigger)
        self._action = again  # enabled as the menu entry is (not during the quiz)
        again.changed.connect(self._follow_action)
        self._follow_action()
        banner = QHBoxLayout()
        banner.addWidget(self.stale, 1)
        banner.addWidget(self.again)
        self.banner = QWidget()
        self.banner.setLayout(banner)
        self._stale = False
        banner.setContentsMargins(0, 0, 0, 0)
        how = QLabel(self.tr(
            "The graph as File ▸ Export ▸ PyTorch Script writes it, run on PyTorch %1 and in "
            "GradStudio on copies of the leaves: forward, then backward from the loss. "
            "Bit-identical: the same float bits. Otherwise the largest absolute difference, "
            "the relative one (to the larger of the two) and how many ulps (units in the "
            "last place: 1 ulp is the neighbouring float) apart. Hover a cell for both "
            "numbers. The document and its gradients are not changed.")
            .replace("%1", comparison.torch_version))
        how.setWordWrap(True)
        self.how = how
        self.table = read_only_table([self.tr(h) for h in HEADERS])
        self.table.setObjectName("compare_table")
        self.table.setAccessibleName(self.tr("Agreement per node"))
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.summary)
        layout.addWidget(how)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(760, 460)
        self._check = QTimer(self, singleShot=True, interval=0)  # a burst of edits: one look
        self._check.timeout.connect(self._follow)
        document.model_changed.connect(self._on_model_changed)
        self._quiz = quiz
        quiz.changed.connect(self._hide_in_quiz)
        theme.follow(self, self._restyle)
        self.show_comparison(comparison)

    def show_comparison(self, comparison: oracle.Comparison) -> None:
        """Show this comparison (Compare Again: the dialog stays where the person put it)."""
        self.comparison = comparison
        self.summary.setText(comparison.summary())
        self._stale = not comparison.describes(self.document.model)
        self._show_state()

    def _follow_action(self) -> None:
        self.again.setEnabled(self._action.isEnabled())
        self.again.setToolTip(self._action.toolTip())

    def _hide_in_quiz(self) -> None:
        """The table shows every gradient the quiz asks for: it closes when a quiz starts
        (the Run menu's entry is disabled until the quiz is left)."""
        if self._quiz.active:
            self.hide()

    def _on_model_changed(self, event: ModelEvent) -> None:
        if event.kind is not Change.NODE_MOVED and not event.kind.is_annotation and \
                self.isVisible():  # a closed one is renewed before it shows again
            self._check.start()

    @property
    def out_of_date(self) -> bool:
        """An edit since the comparison (not undone) changed what was compared."""
        return self._stale

    def _follow(self) -> None:
        """Looked at once per burst of edits, while shown (on a 10,000-node graph the look
        takes about a tenth of a second)."""
        stale = not self.comparison.describes(self.document.model)
        if stale != self._stale:
            self._stale = stale
            self._show_state()

    def _show_state(self) -> None:
        """Greyed under the banner while the graph is not the one compared."""
        stale = self._stale
        self.banner.setVisible(stale)
        for part in (self.summary, self.how, self.table):
            part.setEnabled(not stale)
        title = self.tr("Compare with PyTorch")
        self.setWindowTitle(self.tr("%1 (out of date)").replace("%1", title) if stale else title)
        self._restyle()  # the table's ✓ and ≠ greyed too

    def _restyle(self) -> None:
        c = theme.current()
        self.summary.setStyleSheet(
            f"QLabel:enabled {{ color: {c.ok if self.comparison.identical else c.warning}; }}")
        self.how.setStyleSheet(f"QLabel:enabled {{ color: {c.muted}; }}")
        self.stale.setStyleSheet(f"color: {c.warning};")
        self.stale.setFont(self.summary.font())
        self._fill(c)

    def _fill(self, c: theme.Theme) -> None:
        mono = QFont("monospace")
        mono.setStyleHint(QFont.Monospace)
        self.table.setRowCount(len(self.comparison.rows))
        for r, row in enumerate(self.comparison.rows):
            self.table.setItem(r, 0, QTableWidgetItem(row.label))
            name = QTableWidgetItem(row.name)
            name.setFont(mono)
            self.table.setItem(r, 1, name)
            for col, agreement in ((2, row.value), (3, row.grad)):
                item = QTableWidgetItem(("✓ " if agreement.identical else "≠ ") +
                                        agreement.text())
                colour = c.muted if self._stale else c.ok if agreement.identical \
                    else c.warning
                item.setForeground(QColor(colour))
                item.setToolTip(self.tr("GradStudio: %1\nPyTorch: %2")
                                .replace("%1", _number(agreement.ours))
                                .replace("%2", _number(agreement.theirs)))
                self.table.setItem(r, col, item)

    def cells(self) -> list[list[str]]:
        """The table's text, row by row (what a person reads)."""
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]


def _number(value: object) -> str:
    return "None" if value is None else format_number(value)
