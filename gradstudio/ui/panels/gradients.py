"""Gradients: a table of the leaves (and, when intermediate gradients are kept, the computed
nodes) with value, grad, what the last backward added, and requires_grad. Selecting a row
selects that node on the canvas.

The table is a view over a list model whose cells are printed when first shown, so a graph
of ten thousand nodes costs its visible rows, not ten thousand reprs per evaluation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gradstudio.graph import (
    Change,
    GraphError,
    ModelEvent,
    format_number,
    kind,
    requires_grad_reason,
)

from .. import theme

if TYPE_CHECKING:
    from ..canvas.view import GraphView
    from ..document import Document

__all__ = ["GradientsPanel", "COLUMNS"]

COLUMNS = ("node", "kind", "value", "grad", "last contribution", "requires_grad")
ID_ROLE = Qt.UserRole + 1
SIZE_ROWS = 100  # rows read to size the columns: all of them in any graph a person builds
TRAINING_REFRESH_MS = 250  # the table at most this often while Train N runs
_Index = QModelIndex | QPersistentModelIndex


def _one_line(text: str) -> str:
    return " ".join(text.split())


class GradientsModel(QAbstractTableModel):
    """One row per node id; a row's cells and tooltips are made from the session the first
    time the row is read after ``show`` (then kept until the next ``show``)."""

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.ids: list[str] = []
        self._row_of: dict[str, int] = {}
        self._made: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._received: dict[str, object] = {}

    def show(self, ids: list[str], received: dict[str, object]) -> None:
        """Show these rows from now on; every cell is made afresh when next read."""
        self._made.clear()
        self._received = received
        if ids == self.ids:
            if ids:
                self.dataChanged.emit(self.index(0, 0),
                                      self.index(len(ids) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self.ids = ids
        self._row_of = {n: r for r, n in enumerate(ids)}
        self.endResetModel()

    def row_of(self, node_id: str) -> int:
        return self._row_of.get(node_id, -1)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.DisplayRole) -> Any:  # noqa: ANN401
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return self.tr(COLUMNS[section])
        return None

    def data(self, index: _Index, role: int = Qt.DisplayRole) -> Any:  # noqa: ANN401
        if not index.isValid():
            return None
        if role == ID_ROLE:
            return self.ids[index.row()]
        if role in (Qt.DisplayRole, Qt.ToolTipRole):
            cells, tips = self.row(index.row())
            return (cells if role == Qt.DisplayRole else tips)[index.column()]
        return None

    def row(self, row: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The cells and tooltips of a row, made on first reading."""
        made = self._made.get(row)
        if made is None:
            made = self._made[row] = self._make(self.ids[row])
        return made

    def _make(self, n: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        model, session = self.document.model, self.document.session
        forward = session.last_forward
        data = model.node(n)
        value = None if forward is None else forward.value(n)
        grad = session.grad(n)
        got = self._received.get(data.label) if data.spec.is_leaf else None
        if data.spec.is_leaf:  # the full reason is cheap for a leaf, not for every op
            on, why = requires_grad_reason(model, n, session.no_grad_mode)
        else:
            on = "—" if value is None else value.requires_grad
            why = self.tr("Select the node: the inspector says why")
        cells = (data.label, data.spec.title,
                 "—" if value is None else _one_line(repr(value)),
                 "None" if grad is None else _one_line(repr(grad)),
                 "—" if got is None else format_number(got), str(on))
        tips = (n, data.spec.doc, "" if value is None else repr(value),
                "" if grad is None else repr(grad),
                self.tr("what the last backward added to %s.grad") % data.label, why)
        return cells, tips


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
        self.model = GradientsModel(document, self)
        self.table = QTableView()
        self.table.setModel(self.model)
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
        header.setResizeContentsPrecision(SIZE_ROWS)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        self._syncing = False
        self._stale = True
        self._order_version = -1
        self._order: tuple[list[str], list[str]] = ([], [])
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._refresh_if_shown)
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self._select_on_canvas())
        view.scene().selectionChanged.connect(self._follow_canvas)
        document.evaluated.connect(lambda _: self._schedule())
        document.ledger_changed.connect(self._schedule)
        document.reset.connect(self._schedule)
        document.model_changed.connect(self._on_model_event)
        theme.follow(self, self._show_summary)

    # --- content ----------------------------------------------------------------------------
    def node_ids(self) -> list[str]:
        """The rows: leaves by name, then computed nodes in evaluation order if kept."""
        model = self.document.model
        leaves, computed = self._kinds_in_order()
        leaves = sorted(leaves, key=model.label)
        if not self.document.session.retain_intermediate:
            return leaves
        return leaves + computed

    def _kinds_in_order(self) -> tuple[list[str], list[str]]:
        """The leaves, and the computed nodes in evaluation order (the compiled plan's): found
        once per change of the graph's structure, not on every evaluation."""
        model = self.document.model
        if self._order_version != model.structure_version:
            graph = model.graph
            leaf = [n for n, k in graph.nodes(data="kind") if kind(k).is_leaf]
            try:
                order = self.document.session.evaluator.plan().node_ids
            except GraphError:  # pragma: no cover - the model refuses cycles
                order = tuple(graph.nodes)
            is_leaf = set(leaf)
            self._order = (leaf, [n for n in order if n not in is_leaf])
            self._order_version = model.structure_version
        return self._order

    def refresh(self) -> None:
        """Show the rows of the model and the session now (cells are printed when shown)."""
        self._timer.stop()
        self._stale = False
        self._syncing = True
        self.model.show(self.node_ids(), self.document.session.ledger.last_received())
        self._syncing = False
        self._follow_canvas()
        if self.document.training is None:  # during Train N the widths wait for its end
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
        return list(self.model.ids)

    def row_of(self, node_id: str) -> int:
        self._catch_up()
        return self.model.row_of(node_id)

    def text(self, node_id: str, column: str) -> str:
        """What a cell shows, by node id and column name (for tests and tools)."""
        row = self.row_of(node_id)
        return "" if row < 0 else self.model.index(row, COLUMNS.index(column)).data()

    # --- following and driving the canvas ---------------------------------------------------
    def _on_model_event(self, event: ModelEvent) -> None:
        if event.kind is not Change.NODE_MOVED:
            self._schedule()

    def _schedule(self) -> None:
        """Refresh at the next turn of the event loop; during a Train N run (a change every
        slice of steps) at most every TRAINING_REFRESH_MS, so the table's re-layout does not
        cost more than the training itself. The run's end refreshes it at once."""
        if self.document.training is None:
            self._timer.start(0)
        elif not self._timer.isActive():
            self._timer.start(TRAINING_REFRESH_MS)

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
        node_id = rows[0].data(ID_ROLE)
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
