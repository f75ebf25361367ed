"""Edit operations on the canvas selection: delete, cut, copy, paste, duplicate, select all,
plus the right-click menus. Each change is one undo command."""

from __future__ import annotations

import json

from PySide6.QtCore import QMimeData, QObject, QPointF, QRectF
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu, QWidget

from gradstudio.graph import CATEGORIES, KINDS, kind
from gradstudio.graph.layout import GAP_Y

from .canvas.edge_item import EdgeItem
from .canvas.node_item import NodeItem
from .canvas.view import GraphView
from .commands import PasteNodes, RemoveItems, SetFlag, SetLoss
from .document import Document

__all__ = ["EditController", "GRAPH_MIME"]
GRAPH_MIME = "application/x-gradstudio-graph"
PASTE_OFFSET = 30.0


class EditController(QObject):
    def __init__(self, document: Document, view: GraphView, parent: QWidget) -> None:
        super().__init__(parent)
        self.document, self.view, self.window = document, view, parent
        self._pastes = 0

    @property
    def model(self):  # noqa: ANN201
        return self.document.model

    # --- selection-based edits --------------------------------------------------------------
    def delete_selection(self) -> None:
        nodes, edges = self.view.selected_node_ids(), self.view.selected_edges()
        if nodes or edges:
            self.document.run(RemoveItems(self.model, nodes, edges))

    def copy(self) -> bool:
        nodes = self.view.selected_node_ids()
        if not nodes:
            return False
        data = self.model.to_dict(nodes)
        mime = QMimeData()
        text = json.dumps(data)
        mime.setData(GRAPH_MIME, text.encode())
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        self._pastes = 0
        return True

    def cut(self) -> None:
        if self.copy():
            nodes = self.view.selected_node_ids()
            cmd = RemoveItems(self.model, nodes, [])
            cmd.setText(f"Cut {len(nodes)} node{'s' * (len(nodes) != 1)}")
            self.document.run(cmd)

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        raw = bytes(mime.data(GRAPH_MIME)).decode() if mime.hasFormat(GRAPH_MIME) else mime.text()
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
                raise ValueError
        except ValueError:
            self.document.refuse("The clipboard holds no GradStudio nodes")
            return
        self._pastes += 1
        self._paste(data, (self._pastes * PASTE_OFFSET,) * 2, "Paste")

    def duplicate(self) -> None:
        """The copy goes right below the selection, clear of it (a copy shifted by a few
        pixels lands on the original's ports and hides them)."""
        nodes = self.view.selected_node_ids()
        if nodes:
            cards = self.view.scene().nodes
            box = QRectF()
            for n in nodes:
                box = box.united(cards[n].sceneBoundingRect())
            self._paste(self.model.to_dict(nodes), (0.0, round(box.height() + GAP_Y)),
                        "Duplicate")

    def _paste(self, data: dict, offset: tuple[float, float], text: str) -> None:
        cmd = PasteNodes(self.model, data, offset, text)
        try:
            ok = self.document.run(cmd)
        except (KeyError, TypeError, ValueError) as e:  # malformed clipboard content
            self.document.refuse(f"Cannot paste: {e}")
            return
        if ok:
            self.view.scene().clearSelection()
            for n in cmd.new_ids:
                self.view.scene().nodes[n].setSelected(True)

    def select_all(self) -> None:
        for item in self.view.scene().nodes.values():
            item.setSelected(True)

    # --- per-node edits ---------------------------------------------------------------------
    def rename(self, node_id: str) -> None:
        """Rename on the card: an editor opens over its title (Enter commits, Esc cancels)."""
        self.view.edit_on_card(node_id)

    def rename_selected(self) -> None:
        nodes = self.view.selected_node_ids()
        if len(nodes) == 1:
            self.rename(nodes[0])

    def toggle_flag(self, node_id: str, flag: str) -> None:
        on = not self.model.node(node_id).flags[flag]
        self.document.run(SetFlag(self.model, node_id, flag, on))

    def set_loss(self, node_id: str | None) -> None:
        self.document.run(SetLoss(self.model, node_id))

    # --- context menus ----------------------------------------------------------------------
    def context_menu(self, item: object, global_pos: QPointF) -> None:
        menu = self.build_context_menu(item, self.view.mapToScene(
            self.view.mapFromGlobal(global_pos.toPoint())))
        menu.exec(global_pos.toPoint())

    def build_context_menu(self, item: object, scene_pos: QPointF) -> QMenu:
        """The right-click menu for a card, a wire, or empty canvas."""
        menu = QMenu(self.window)
        if isinstance(item, NodeItem):
            n = item.node_id
            if not item.isSelected():
                self.view.scene().clearSelection()
                item.setSelected(True)
            data = self.model.node(n)
            menu.addAction(self.tr("Rename…"), lambda: self.rename(n))
            if kind(data.kind).is_leaf:
                a = menu.addAction(self.tr("Requires grad"),
                                   lambda: self.toggle_flag(n, "requires_grad"))
                a.setCheckable(True)
                a.setChecked(data.flags["requires_grad"])
            a = menu.addAction(self.tr("Detach"), lambda: self.toggle_flag(n, "detach"))
            a.setCheckable(True)
            a.setChecked(data.flags["detach"])
            if not kind(data.kind).is_leaf:
                a = menu.addAction(self.tr("No-grad"), lambda: self.toggle_flag(n, "no_grad"))
                a.setCheckable(True)
                a.setChecked(data.flags["no_grad"])
            menu.addSeparator()
            if self.model.loss == n:
                menu.addAction(self.tr("Unset as loss"), lambda: self.set_loss(None))
            else:
                menu.addAction(self.tr("Set as loss"), lambda: self.set_loss(n))
            menu.addAction(self.tr("Backward from here"), lambda: self.document.backward(n))
            menu.addSeparator()
            menu.addAction(self.tr("Delete"), self.delete_selection)
        elif isinstance(item, EdgeItem):
            edge = item.edge
            menu.addAction(self.tr("Delete wire"),
                           lambda: self.document.run(RemoveItems(self.model, [], [edge])))
        else:
            add = menu.addMenu(self.tr("Add node"))
            for category in CATEGORIES:
                sub = add.addMenu(self.tr(category))
                for spec in KINDS.values():
                    if spec.category == category:
                        sub.addAction(spec.title, lambda k=spec.name: self.view.add_node(
                            k, scene_pos))
            if self.view.scene().nodes:
                menu.addSeparator()
                menu.addAction(self.tr("Select all"), self.select_all)
        return menu

