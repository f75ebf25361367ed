"""Run ▸ Compare with PyTorch: the graph run on real PyTorch (``gradstudio/oracle.py``) in the
worker thread, then a window with the verdict in one line and, per node, whether its value
and its gradient are bit-identical to PyTorch's or how far apart they are.

PyTorch is optional: without it the action is disabled and its tooltip says how to install
it. Nothing here imports torch; ``oracle.available()`` only looks it up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gradstudio import oracle
from gradstudio.graph import GraphError
from gradstudio.graph.ledger import format_number

from . import theme
from .tables import read_only_table
from .worker import Cancelled

if TYPE_CHECKING:
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
    w.compare_dialog = CompareDialog(result, w)  # non-modal: it can stay beside the canvas
    w.compare_dialog.show()
    return w.compare_dialog


class CompareDialog(QDialog):
    """The comparison's summary line above a table: one row per node, in evaluation order."""

    def __init__(self, comparison: oracle.Comparison, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.comparison = comparison
        self.setWindowTitle(self.tr("Compare with PyTorch"))
        c = theme.current()
        self.summary = QLabel(comparison.summary())
        self.summary.setObjectName("compare_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.summary.setAccessibleName(self.tr("Comparison result"))
        bold = self.summary.font()
        bold.setBold(True)
        self.summary.setFont(bold)
        self.summary.setStyleSheet(f"color: {c.ok if comparison.identical else c.warning};")
        how = QLabel(self.tr(
            "The graph as File ▸ Export ▸ PyTorch Script writes it, run on PyTorch %1 and in "
            "GradStudio on copies of the leaves: forward, then backward from the loss. "
            "Bit-identical: the same float bits. Otherwise the largest absolute difference, "
            "the relative one (to the larger of the two) and how many ulps (units in the "
            "last place: 1 ulp is the neighbouring float) apart. Hover a cell for both "
            "numbers. The document and its gradients are not changed.")
            .replace("%1", comparison.torch_version))
        how.setWordWrap(True)
        how.setStyleSheet(f"color: {c.muted};")
        self.table = read_only_table([self.tr(h) for h in HEADERS], len(comparison.rows))
        self.table.setObjectName("compare_table")
        self.table.setAccessibleName(self.tr("Agreement per node"))
        self._fill(c)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(how)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(760, 420)

    def _fill(self, c: theme.Theme) -> None:
        mono = QFont("monospace")
        mono.setStyleHint(QFont.Monospace)
        for r, row in enumerate(self.comparison.rows):
            self.table.setItem(r, 0, QTableWidgetItem(row.label))
            name = QTableWidgetItem(row.name)
            name.setFont(mono)
            self.table.setItem(r, 1, name)
            for col, agreement in ((2, row.value), (3, row.grad)):
                item = QTableWidgetItem(("✓ " if agreement.identical else "≠ ") +
                                        agreement.text())
                item.setForeground(QColor(c.ok if agreement.identical else c.warning))
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
