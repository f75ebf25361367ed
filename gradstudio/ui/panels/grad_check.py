"""Gradient check: the table of Run ▸ Check Gradients — for every element checked, the
gradient backward gave, the one finite differences give, and their relative error, green
below the tolerance and red above; a line says what was checked and what it found (the
graph layer's words, graph/gradcheck.py). Emptied when the graph changes; an undo or redo
back to the graph it checked shows it again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QColor, QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gradstudio.graph.gradcheck import (
    EPS,
    MAX_CHECKED_ELEMENTS,
    TOLERANCE,
    format_error,
    format_gradient,
)

from .. import theme
from ..tables import read_only_table

if TYPE_CHECKING:
    from ..document import Document

__all__ = ["GradCheckPanel", "HEADERS"]

HEADERS = ("leaf", "backward (analytic)", "finite differences", "relative error", "")


class GradCheckPanel(QWidget):
    """The 'Gradient check' dock."""

    def __init__(self, document: Document, check: QAction, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.document = document
        button = QToolButton()
        button.setDefaultAction(check)
        button.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.button = button
        self.how = QLabel(self.tr(
            "Central differences (L(w+ε) − L(w−ε)) / 2ε with ε = %1, in float64, against "
            "backward. Green: relative error below %2; a gradient smaller than the quotient's "
            "rounding noise is measured against that noise. Vector leaves: the first %3 "
            "elements. Backward here is one pass from zero on copies of the leaves: a .grad "
            "that holds more (passes added up) stays as it is.").replace("%1", f"{EPS:g}")
            .replace("%2", f"{TOLERANCE:g}")
            .replace("%3", str(MAX_CHECKED_ELEMENTS)))
        self.how.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName(self.tr("Gradient check result"))
        self.table = read_only_table([self.tr(h) for h in HEADERS])
        top = QHBoxLayout()
        top.addWidget(button)
        top.addWidget(self.how, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        document.gradients_checked.connect(lambda _: self.refresh())
        document.reset.connect(self.refresh)
        theme.follow(self, self.refresh)
        self.refresh()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(640, 240)

    def refresh(self) -> None:
        """Render the document's last check (or say how to run one)."""
        c = theme.current()
        self.how.setStyleSheet(f"color: {c.muted};")
        check = self.document.last_check
        self.table.setRowCount(0)
        if check is None:
            self.summary.setText(self.tr(
                "The graph changed since the last check: Run ▸ Check Gradients to check "
                "this one."
                if self.document.checked else "No check yet: Run ▸ Check Gradients."))
            self.summary.setStyleSheet(f"color: {c.muted};")
            return
        self.summary.setText(check.summary())
        self.summary.setStyleSheet(f"color: {c.ok if check.ok else c.error};")
        mono = QFont("monospace")
        mono.setStyleHint(QFont.Monospace)
        rows = [(leaf, e) for leaf in check.leaves for e in leaf.elements]
        self.table.setRowCount(len(rows))
        for r, (leaf, e) in enumerate(rows):
            colour = QColor(c.ok if e.ok else c.error)
            cells = (leaf.name(e), format_gradient(e.analytic), format_gradient(e.numeric),
                     format_error(e.error), "✓" if e.ok else "✗")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col in (1, 2, 3):
                    item.setFont(mono)
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if col >= 3:
                    item.setForeground(colour)
                self.table.setItem(r, col, item)

    def cells(self) -> list[list[str]]:
        """The table's text, row by row (what a person reads)."""
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]
