"""Quick add: a small search popup (Tab or double-click on the canvas, or a wire let go in
empty space) that adds the chosen node where the cursor is. For a wire it lists only the
kinds that can take it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QHideEvent, QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from gradstudio.graph import KINDS

__all__ = ["QuickAdd"]


class QuickAdd(QFrame):
    """Emits ``chosen(kind, scene_pos)``, or ``closed`` when it goes away without a choice."""

    chosen = Signal(str, QPointF)
    closed = Signal()

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent, Qt.Popup)
        self.setFrameShape(QFrame.StyledPanel)
        self.search = QLineEdit(placeholderText=self.tr("Add node…"))
        self.search.setAccessibleName(self.tr("Search node kinds"))
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Node kinds"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.resize(240, 280)
        self._scene_pos = QPointF()
        self._accepts: Callable[[str], bool] | None = None
        self._choosing = False
        for spec in KINDS.values():
            item = QListWidgetItem(f"{spec.title}  —  {spec.category}")
            item.setData(Qt.UserRole, spec.name)
            item.setToolTip(spec.doc)
            self.list.addItem(item)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._accept)
        self.list.itemActivated.connect(lambda _: self._accept())
        self.search.installEventFilter(self)

    def open_at(self, global_pos: QPoint, scene_pos: QPointF,
                accepts: Callable[[str], bool] | None = None) -> None:
        """Show at ``global_pos``; ``accepts(kind)`` limits the list (None: every kind)."""
        self._scene_pos, self._accepts = scene_pos, accepts
        self.search.clear()
        self._filter("")
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        first = None
        for i in range(self.list.count()):
            item = self.list.item(i)
            spec = KINDS[item.data(Qt.UserRole)]
            hidden = (bool(needle) and needle not in f"{spec.name} {spec.title}".lower()) or \
                (self._accepts is not None and not self._accepts(spec.name))
            item.setHidden(hidden)
            if not hidden and first is None:
                first = item
        self.list.setCurrentItem(first)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802, ANN001
        if isinstance(event, QKeyEvent) and event.type() == QKeyEvent.KeyPress and \
                event.key() in (Qt.Key_Down, Qt.Key_Up):
            rows = [i for i in range(self.list.count()) if not self.list.item(i).isHidden()]
            if rows:
                cur = self.list.currentRow()
                pos = rows.index(cur) if cur in rows else 0
                pos = min(len(rows) - 1, pos + 1) if event.key() == Qt.Key_Down else max(0, pos - 1)
                self.list.setCurrentRow(rows[pos])
            return True
        return super().eventFilter(obj, event)

    def _accept(self) -> None:
        item = self.list.currentItem()
        if item is not None and not item.isHidden():
            self._choosing = True
            try:
                self.hide()
            finally:
                self._choosing = False
            self.chosen.emit(item.data(Qt.UserRole), self._scene_pos)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        super().hideEvent(event)
        # Give the keyboard back to the canvas (Ctrl+Z right after a quick-add must undo it);
        # otherwise the hidden popup can stay the active window.
        parent = self.parentWidget()
        if parent is not None:
            parent.activateWindow()
            parent.setFocus(Qt.PopupFocusReason)
        if not self._choosing:
            self.closed.emit()
