"""Accumulation: the session's ledger as a list — every backward (what each leaf received and
what it now holds) and every zero grad, newest at the bottom — with a warning banner while
gradients pile up across runs without a zero grad.

The list is a view over the ledger itself (a list model), so thousands of entries from a
long training run cost nothing until they are scrolled into view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QAction, QColor, QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gradstudio.graph.ledger import BackwardEntry, NoteEntry, ZeroGradEntry

from .. import theme

if TYPE_CHECKING:
    from ..document import Document

__all__ = ["LedgerPanel", "LedgerListModel"]

_Index = QModelIndex | QPersistentModelIndex


class LedgerListModel(QAbstractListModel):
    """Rows are the ledger's entries, read on demand."""

    def __init__(self, ledger: Any, parent: QWidget | None = None) -> None:  # noqa: ANN401
        super().__init__(parent)
        self.ledger = ledger
        self._rows = len(ledger.entries)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self._rows

    def data(self, index: _Index, role: int = Qt.DisplayRole) -> Any:  # noqa: ANN401
        if not index.isValid() or index.row() >= len(self.ledger.entries):
            return None
        entry = self.ledger.entries[index.row()]
        if role in (Qt.DisplayRole, Qt.ToolTipRole):
            return entry.text()
        if role == Qt.ForegroundRole:
            return QColor(_entry_color(entry))
        if role == Qt.FontRole and isinstance(entry, NoteEntry | ZeroGradEntry):
            font = QFont()
            font.setItalic(isinstance(entry, NoteEntry))
            font.setBold(isinstance(entry, ZeroGradEntry))
            return font
        return None

    def sync(self) -> None:
        """Catch up with the ledger: append the new rows, or start over after a clear."""
        count = len(self.ledger.entries)
        if count < self._rows:
            self.beginResetModel()
            self._rows = count
            self.endResetModel()
        elif count > self._rows:
            self.beginInsertRows(QModelIndex(), self._rows, count - 1)
            self._rows = count
            self.endInsertRows()

    def reset_to(self, ledger: Any) -> None:  # noqa: ANN401
        self.beginResetModel()
        self.ledger = ledger
        self._rows = len(ledger.entries)
        self.endResetModel()


def _entry_color(entry: object) -> str:
    c = theme.current()
    if isinstance(entry, BackwardEntry):
        return c.gradient if entry.accumulated else c.text
    if isinstance(entry, ZeroGradEntry):
        return c.ok
    return c.muted


class LedgerPanel(QWidget):
    """The 'Accumulation' dock."""

    def __init__(self, document: Document, zero_grad: QAction,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._zero_grad = zero_grad  # the window's Run > Zero Grad, so both do the same
        self.model = LedgerListModel(document.session.ledger, self)

        self.banner = QLabel()
        self.banner.setObjectName("ledgerWarning")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.RichText)
        self.banner.setAccessibleName(self.tr("Accumulation warning"))
        self.banner.hide()

        self.placeholder = QLabel(self.tr(
            "Nothing yet. Press Backward (F6): each backward is listed here with the gradient "
            "every leaf received and what its .grad holds after it."))
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignTop | Qt.AlignLeft)

        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)
        self.list.setAlternatingRowColors(True)
        self.list.setAccessibleName(self.tr("Gradient ledger"))
        mono = QFont("monospace")
        mono.setStyleHint(QFont.Monospace)
        self.list.setFont(mono)

        # newest at the bottom: stay at the end as rows arrive (laid out later, when the view
        # gets to it), unless the person scrolls up to read
        self._follow = True
        bar = self.list.verticalScrollBar()
        bar.rangeChanged.connect(lambda _lo, hi: bar.setValue(hi) if self._follow else None)
        bar.valueChanged.connect(lambda v: setattr(self, "_follow", v >= bar.maximum()))

        self.count_label = QLabel()
        self.zero_button = QPushButton(self.tr("Zero grad"))
        self.zero_button.setToolTip(self.tr("Set every leaf's gradient to zero (F7), "
                                            "as x.grad.zero_() does"))
        self.zero_button.clicked.connect(self.zero_grad)

        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label, 1)
        buttons.addWidget(self.zero_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.banner)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

        document.ledger_changed.connect(self.refresh)
        document.reset.connect(self.refresh)
        theme.follow(self, self._restyle)
        self._restyle()
        self.refresh()

    def sizeHint(self) -> QSize:  # noqa: N802
        """The same with or without the warning banner: the banner takes its room from the
        list, so the dock (and the canvas beside it) does not jump when it appears."""
        return QSize(360, 220)

    # --- reading ----------------------------------------------------------------------------
    @property
    def ledger(self):  # noqa: ANN201 - gradstudio.graph.Ledger
        return self.document.session.ledger

    def lines(self) -> list[str]:
        """The rows as shown, oldest first."""
        return [str(self.model.data(self.model.index(r))) for r in range(self.model.rowCount())]

    def warning_visible(self) -> bool:
        return not self.banner.isHidden()

    # --- updating ---------------------------------------------------------------------------
    def _restyle(self) -> None:
        """Colours from the theme: now and whenever the app switches light/dark."""
        c = theme.current()
        self.placeholder.setStyleSheet(f"color: {c.muted}; padding: 6px;")
        self.count_label.setStyleSheet(f"color: {c.muted};")
        self.banner.setStyleSheet(
            f"QLabel#ledgerWarning {{ background: {c.warning_fill}; color: {c.warning}; "
            f"border: 1px solid {c.warning_border}; border-radius: 4px; padding: 6px 8px; }}")
        self.list.viewport().update()  # the rows' colours are read as they are drawn

    def refresh(self) -> None:
        if self.model.ledger is not self.ledger:
            self.model.reset_to(self.ledger)
        else:
            self.model.sync()
        rows = self.model.rowCount()
        self.placeholder.setVisible(rows == 0)
        self.list.setVisible(rows > 0)
        count = self.tr("1 entry") if rows == 1 else self.tr("%s entries") % rows
        self.count_label.setText(count if rows else "")
        if rows:
            self._follow = True
            self.list.scrollToBottom()
        self._show_warning(self.ledger.warning())

    def _show_warning(self, text: str | None) -> None:
        if not text:
            self.banner.hide()
            return
        hint = self.tr("Press <b>Zero grad</b> before the next backward to start fresh, "
                       "as <code>x.grad.zero_()</code> does in the notebook.")
        self.banner.setText(f"<b>⚠ {text[0].upper()}{text[1:]}.</b><br>{hint}")
        self.banner.show()

    # --- acting -----------------------------------------------------------------------------
    def zero_grad(self) -> None:
        """The Zero Grad button: the window's Zero Grad action, as the Run menu's."""
        self._zero_grad.trigger()
