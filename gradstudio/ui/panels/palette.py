"""The node palette: every kind in the catalog, grouped by category, with a filter box.
Drag an entry onto the canvas, or double-click it to add it at the view's centre."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from gradstudio.graph import CATEGORIES, KINDS

from ..canvas.view import KIND_MIME

__all__ = ["Palette"]
KIND_ROLE = Qt.UserRole + 1


class _KindTree(QTreeWidget):
    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [KIND_MIME]

    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:  # noqa: N802
        data = QMimeData()
        kinds = [i.data(0, KIND_ROLE) for i in items if i.data(0, KIND_ROLE)]
        if kinds:
            data.setData(KIND_MIME, kinds[0].encode())
        return data


class Palette(QWidget):
    """Emits ``add_requested(kind)`` on double-click or Enter."""

    add_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter = QLineEdit(placeholderText=self.tr("Filter nodes…"))
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName(self.tr("Filter nodes"))
        self.tree = _KindTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QTreeWidget.DragOnly)
        self.tree.setAccessibleName(self.tr("Node palette"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self._groups: dict[str, QTreeWidgetItem] = {}
        for category in CATEGORIES:
            group = QTreeWidgetItem(self.tree, [self.tr(category)])
            group.setFlags(Qt.ItemIsEnabled)
            self._groups[category] = group
        for spec in KINDS.values():
            item = QTreeWidgetItem(self._groups[spec.category], [spec.title])
            item.setData(0, KIND_ROLE, spec.name)
            item.setToolTip(0, f"{spec.title}: {spec.doc}")
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
        self.tree.expandAll()
        self.filter.textChanged.connect(self._apply_filter)
        self.tree.itemActivated.connect(self._activated)
        self.filter.returnPressed.connect(self._add_first_visible)

    def items(self) -> dict[str, QTreeWidgetItem]:
        """Kind name -> its palette entry."""
        out = {}
        for group in self._groups.values():
            for i in range(group.childCount()):
                child = group.child(i)
                out[child.data(0, KIND_ROLE)] = child
        return out

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for group in self._groups.values():
            shown = 0
            for i in range(group.childCount()):
                child = group.child(i)
                spec = KINDS[child.data(0, KIND_ROLE)]
                match = not needle or needle in f"{spec.name} {spec.title} {spec.doc}".lower()
                child.setHidden(not match)
                shown += match
            group.setHidden(shown == 0)

    def _activated(self, item: QTreeWidgetItem) -> None:
        kind = item.data(0, KIND_ROLE)
        if kind:
            self.add_requested.emit(kind)

    def _add_first_visible(self) -> None:
        for kind, item in self.items().items():
            if not item.isHidden() and not item.parent().isHidden():
                self.add_requested.emit(kind)
                return
