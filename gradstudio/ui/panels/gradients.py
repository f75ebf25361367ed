"""Gradients: a table of the leaves (and, when intermediate gradients are kept, the computed
nodes) with value, grad, what the last backward added, and requires_grad. Selecting a row
selects that node on the canvas."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gradstudio.graph import Change, ModelEvent, format_number, requires_grad_reason
from gradstudio.graph.ledger import BackwardEntry

from .. import theme

if TYPE_CHECKING:
    from ..canvas.view import GraphView
    from ..document import Document

__all__ = ["GradientsPanel", "COLUMNS"]

COLUMNS = ("node", "kind", "value", "grad", "last contribution", "requires_grad")
ID_ROLE = Qt.UserRole + 1


def _one_line(text: str) -> str:
    return " ".join(text.split())


class GradientsPanel(QWidget):
    """The leaves' gradients at a glance; follows evaluations, backward and zero grad.

    Changes come in bursts (a backward is three signals), so they are gathered and shown
    once on the next turn of the event loop, and only while the panel is visible; reading
    rows through ``rows()``, ``row_of()`` or ``text()`` catches up first."""

    def __init__(self, document: Document, view: GraphView, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.document, self.view = document, view
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setAccessibleName(self.tr("Gradients table"))
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        self._syncing = False
        self._stale = True
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._refresh_if_shown)
        self.table.itemSelectionChanged.connect(self._select_on_canvas)
        view.scene().selectionChanged.connect(self._follow_canvas)
        document.evaluated.connect(lambda _: self._timer.start())
        document.ledger_changed.connect(self._timer.start)
        document.reset.connect(self._timer.start)
        document.model_changed.connect(self._on_model_event)
        theme.follow(self, self._show_summary)

    # --- content ----------------------------------------------------------------------------
    def node_ids(self) -> list[str]:
        """The rows: leaves by name, then computed nodes in evaluation order if kept."""
        model = self.document.model
        leaves = sorted((n.id for n in model.nodes() if n.spec.is_leaf), key=model.label)
        if not self.document.session.retain_intermediate:
            return leaves
        try:
            order = list(nx.topological_sort(model.graph))
        except nx.NetworkXUnfeasible:  # pragma: no cover - the model refuses cycles
            order = model.node_ids()
        return leaves + [n for n in order if not model.node(n).spec.is_leaf]

    def _last_received(self) -> dict[str, object]:
        for entry in reversed(self.document.session.ledger.entries):
            if isinstance(entry, BackwardEntry):
                return entry.received
        return {}

    def refresh(self) -> None:
        """Rebuild the rows now from the model and the session."""
        self._timer.stop()
        self._stale = False
        model, session = self.document.model, self.document.session
        forward = session.last_forward
        received = self._last_received()
        ids = self.node_ids()
        self._syncing = True
        self.table.setRowCount(len(ids))
        for row, n in enumerate(ids):
            data = model.node(n)
            value = None if forward is None else forward.value(n)
            grad = session.grad(n)
            got = received.get(data.label) if data.spec.is_leaf else None
            if data.spec.is_leaf:  # the full reason is cheap for a leaf, not for every op
                on, why = requires_grad_reason(model, n, session.no_grad_mode)
            else:
                on = "—" if value is None else value.requires_grad
                why = self.tr("Select the node: the inspector says why")
            cells = (data.label, data.spec.title,
                     "—" if value is None else _one_line(repr(value)),
                     "None" if grad is None else _one_line(repr(grad)),
                     "—" if got is None else format_number(got), str(on))
            tips = (n, data.spec.doc, None if value is None else repr(value),
                    None if grad is None else repr(grad),
                    self.tr("what the last backward added to %s.grad") % data.label, why)
            for col, (text, tip) in enumerate(zip(cells, tips, strict=True)):
                item = self.table.item(row, col)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(row, col, item)
                item.setText(text)
                item.setToolTip(tip or "")
                item.setData(ID_ROLE, n)
        self._syncing = False
        self._follow_canvas()
        self.table.resizeColumnsToContents()
        self._show_summary()

    def _show_summary(self) -> None:
        session = self.document.session
        warning = session.ledger.warning()
        if warning:
            self.summary.setText(f"⚠ {warning}")
            self.summary.setStyleSheet(f"color: {theme.current().warning};")
            return
        self.summary.setStyleSheet("")
        where = self.tr("leaves and computed nodes") if session.retain_intermediate \
            else self.tr("leaves")
        self.summary.setText(self.tr("Gradients of the %s. Backward adds to .grad; "
                                     "Zero grad sets it to 0.") % where)

    def _refresh_if_shown(self) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def _catch_up(self) -> None:
        if self._stale or self._timer.isActive():
            self.refresh()

    def rows(self) -> list[str]:
        """The node ids shown, top to bottom."""
        self._catch_up()
        return [self.table.item(r, 0).data(ID_ROLE) for r in range(self.table.rowCount())]

    def row_of(self, node_id: str) -> int:
        self._catch_up()
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(ID_ROLE) == node_id:
                return row
        return -1

    def text(self, node_id: str, column: str) -> str:
        """What a cell shows, by node id and column name (for tests and tools)."""
        row = self.row_of(node_id)
        return "" if row < 0 else self.table.item(row, COLUMNS.index(column)).text()

    # --- following and driving the canvas ---------------------------------------------------
    def _on_model_event(self, event: ModelEvent) -> None:
        if event.kind is not Change.NODE_MOVED:
            self._timer.start()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _select_on_canvas(self) -> None:
        if self._syncing:
            return
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        node_id = self.table.item(rows[0].row(), 0).data(ID_ROLE)
        scene = self.view.scene()
        item = scene.nodes.get(node_id)
        if item is None:
            return
        self._syncing = True
        try:
            scene.clearSelection()
            item.setSelected(True)
            self.view.ensureVisible(item)
        finally:
            self._syncing = False

    def _follow_canvas(self) -> None:
        """Highlight the row of the one node selected on the canvas."""
        if self._syncing:
            return
        ids = self.view.selected_node_ids()
        row = self.row_of(ids[0]) if len(ids) == 1 else -1
        self._syncing = True
        try:
            if row < 0:
                self.table.clearSelection()
            else:
                self.table.selectRow(row)
        finally:
            self._syncing = False
