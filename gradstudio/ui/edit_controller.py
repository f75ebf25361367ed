"""Edit operations on the canvas selection: delete, cut, copy, paste, duplicate, select all,
plus the right-click menus. Each change is one undo command."""

from __future__ import annotations

import json

from PySide6.QtCore import QMimeData, QObject, QPointF, QRectF
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu, QWidget

from gradstudio.graph import CATEGORIES, KINDS, kind
from gradstudio.graph.layout import GAP_Y

from .annotation_commands import DeleteSelection
from .annotation_controller import AnnotationController
from .canvas.annotation_items import BoxItem
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
        self.notes = AnnotationController(document, view, parent)  # notes and frames
        self._pastes = 0

    @property
    def model(self):  # noqa: ANN201
        return self.document.model

    # --- selection-based edits --------------------------------------------------------------
    def delete_selection(self) -> None:
        nodes, edges = self.view.selected_node_ids(), self.view.selected_edges()
        notes, frames = self.notes.selected_notes(), self.notes.selected_frames()
        if notes or frames:
            self.document.run(DeleteSelection(self.model, nodes, edges, notes, frames))
        elif nodes or edges:
            self.document.run(RemoveItems(self.model, nodes, edges))

    def _selection_data(self) -> dict | None:
        """The selected nodes (with the wires between them), notes and frames as plain data,
        or None when nothing of them is selected."""
        nodes = self.view.selected_node_ids()
        boxes = set(self.notes.selected_notes()) | set(self.notes.selected_frames())
        if not nodes and not boxes:
            return None
        data = self.model.to_dict(nodes)
        for section, items in self.model.annotations.to_dict().items():
            picked = [item for item in items if item["id"] in boxes]
            if picked:
                data[section] = picked
        return data

    def copy(self) -> bool:
        data = self._selection_data()
        if data is None:
            return False
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
            notes, frames = self.notes.selected_notes(), self.notes.selected_frames()
            n = len(nodes) + len(notes) + len(frames)
            what = "node" if not (notes or frames) else "item"
            self.document.run(DeleteSelection(self.model, nodes, [], notes, frames,
                                              f"Cut {n} {what}{'s' * (n != 1)}"))

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()  # None while the clipboard is empty
        if mime is None:
            raw = ""
        else:
            raw = bytes(mime.data(GRAPH_MIME)).decode() if mime.hasFormat(GRAPH_MIME) \
                else mime.text()
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
        pixels lands on the original's ports and hides them), and further down past any
        other card or note it would cover."""
        data = self._selection_data()
        if data is not None:
            box = QRectF()
            for item in self.view.scene().selectedItems():
                if isinstance(item, (NodeItem, BoxItem)):
                    box = box.united(item.sceneBoundingRect())
            self._paste(data, (0.0, self._clear_drop(box)), "Duplicate")

    def _clear_drop(self, box: QRectF) -> float:
        """How far down ``box`` moves to land on no card or note but its own."""
        scene = self.view.scene()
        others = [item.sceneBoundingRect()
                  for item in (*scene.nodes.values(), *scene.notes.values())
                  if not item.isSelected()]
        dy = box.height() + GAP_Y
        while hits := [r for r in others if box.translated(0, dy).intersects(r)]:
            dy = max(r.bottom() for r in hits) + GAP_Y - box.top()
        return round(dy)

    def _paste(self, data: dict, offset: tuple[float, float], text: str) -> None:
        cmd = PasteNodes(self.model, data, offset, text)
        try:
            ok = self.document.run(cmd)
        except (KeyError, TypeError, ValueError) as e:  # malformed clipboard content
            self.document.refuse(f"Cannot paste: {e}")
            return
        if ok:
            scene = self.view.scene()
            scene.clearSelection()
            for n in cmd.new_ids:
                scene.nodes[n].setSelected(True)
            for i in cmd.new_boxes:
                (scene.notes.get(i) or scene.frames[i]).setSelected(True)

    def select_all(self) -> None:
        scene = self.view.scene()
        for items in (scene.nodes, scene.notes, scene.frames):
            for item in items.values():
                item.setSelected(True)

    # --- per-node edits ---------------------------------------------------------------------
    def rename(self, node_id: str) -> None:
        """Rename on the card: an editor opens over its title (Enter commits, Esc cancels)."""
        self.view.edit_on_card(node_id)

    def rename_selected(self) -> None:
        """F2: rename the selected node on its card, or edit the selected note's text or
        frame's title in place."""
        nodes = self.view.selected_node_ids()
        boxes = self.notes.selected_notes() + self.notes.selected_frames()
        if len(nodes) == 1:
            self.rename(nodes[0])
        elif not nodes and len(boxes) == 1:
            self.notes.edit(boxes[0])

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
            self.notes.add_node_entries(menu, self.view.selected_node_ids())
            menu.addSeparator()
            menu.addAction(self.tr("Delete"), self.delete_selection)
        elif isinstance(item, BoxItem):
            self.notes.add_box_entries(menu, item)
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
            self.notes.add_canvas_entries(menu, scene_pos)
            if self.view.scene().nodes:
                menu.addSeparator()
                menu.addAction(self.tr("Select all"), self.select_all)
        return menu

