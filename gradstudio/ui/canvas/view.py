"""GraphView: the canvas widget. It turns gestures into commands on the document:
wiring (drag from an output port to an input port), moving (one command per drag), drops
from the palette, zoom around the cursor, panning, rubber-band selection."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QResizeEvent, QTransform, QWheelEvent
from PySide6.QtWidgets import QGraphicsView

from gradstudio.graph import FLAGS, KINDS, Edge, GraphError, NodeData, pick_target

from .. import theme
from ..annotation_commands import MoveItems
from ..commands import AddNode, AddWired, InsertIntoWire, MoveNodes
from ..style import repaint_canvas
from .annotation_items import FrameItem, NoteItem
from .box_drag import BoxDrag
from .edge_item import EdgeItem
from .inline_edit import InlineEditor, edit_label, edit_value
from .node_item import READABLE_ZOOM, NodeItem, fresh_size
from .quick_add import QuickAdd
from .scene import GraphScene
from .wire_insert import WireHighlight, can_insert, wire_under
from .wiring import HIT_PX, Port, WireDrag, ports_near

__all__ = ["GraphView", "KIND_MIME"]

KIND_MIME = "application/x-gradstudio-node-kind"
MIN_ZOOM, MAX_ZOOM = 0.1, 4.0
FIT_MARGIN = 12  # screen pixels kept free around a fitted graph
ADDED_MARGIN = 16  # screen pixels kept free around a card scrolled into view as it is added
_HANDS_ON = (QEvent.MouseButtonPress, QEvent.Wheel)


class GraphView(QGraphicsView):
    """The canvas. ``status`` carries messages for the status bar (e.g. a refused wire)."""

    status = Signal(str)
    context_menu_requested = Signal(object, QPointF)  # item or None, global position
    zoom_changed = Signal(float)  # the new scale, 1.0 = 100%

    def __init__(self, document, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.document = document
        self._refit_on_resize = False  # see fit()
        self.setScene(GraphScene(document))
        document.reset.connect(self.reset_zoom)  # New at 100%; opening a file fits after
        document.model_changed.connect(self._stop_refitting)  # an edit: the view is theirs
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        # The wheel zooms around its own event position (see zoom_by); Qt's AnchorUnderMouse
        # reads QCursor::pos() and needs underMouse(), so it misses synthesized, touchpad
        # and just-after-a-popup wheel events. Menu and key zooms keep the centre still.
        self.setTransformationAnchor(QGraphicsView.AnchorViewCenter)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setAcceptDrops(True)
        self.setAccessibleName("Graph canvas")
        self._wire: WireDrag | None = None
        # what a quick-add choice is wired to: a wire let go in empty space, or a wire to
        # insert the new node into (double-click on it)
        self._pending: WireDrag | Edge | None = None
        self._insert = WireHighlight(self)  # the wire a dragged card or kind would go into
        self._dragged_card: NodeItem | None = None
        self.editor: InlineEditor | None = None  # a name or value being typed on a card
        self._on_port = False  # the pointer is over a port (crosshair cursor)
        self.quick_add = QuickAdd(self)
        self.quick_add.chosen.connect(self._quick_add_chosen)
        self.quick_add.closed.connect(self._quick_add_closed)
        self._press_positions: dict[str, tuple[float, float]] = {}
        self.boxes = BoxDrag(self)  # notes and frames: resize by the grip, frames carry cards
        # set by the window: opens the in-place editor of a note or a frame's title
        self.edit_annotation = None
        self._pan_from: QPointF | None = None
        self._space_down = False
        theme.follow(self, lambda: repaint_canvas(self))  # the cards cache their picture

    def scene(self) -> GraphScene:  # narrower type
        return super().scene()

    # --- helpers ----------------------------------------------------------------------------
    def node_at(self, scene_pos: QPointF) -> NodeItem | None:
        for item in self.scene().items(scene_pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def port_under(self, scene_pos: QPointF) -> tuple[NodeItem, tuple[str, str | None]] | None:
        """The card and port nearest a scene position, within HIT_PX screen pixels."""
        near = ports_near(self, scene_pos, HIT_PX)
        return (near[0].item, (near[0].side, near[0].port)) if near else None

    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.scene().selectedItems() if isinstance(i, NodeItem)]

    def selected_edges(self) -> list:
        return [i.edge for i in self.scene().selectedItems() if isinstance(i, EdgeItem)]

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Scale by ``factor`` within 10%–400%, keeping the scene point under the viewport
        position ``anchor`` (default: the centre) where it is."""
        self._stop_refitting()
        factor = max(MIN_ZOOM / self.zoom(), min(MAX_ZOOM / self.zoom(), factor))
        if anchor is None:
            self.scale(factor, factor)
        else:
            fixed = self.viewportTransform().inverted()[0].map(anchor)
            self.scale(factor, factor)
            drift = self.viewportTransform().map(fixed) - anchor  # in viewport pixels
            h, v = self.horizontalScrollBar(), self.verticalScrollBar()
            h.setValue(h.value() + round(drift.x()))
            v.setValue(v.value() + round(drift.y()))
        self.zoom_changed.emit(self.zoom())

    def fit(self) -> None:
        """Frame the graph as a file opens: all of it, at up to 100%, when it fits with its
        text readable (READABLE_ZOOM); a graph too big for that is shown at readable size
        around where backward starts (the loss at the right), else from its first card.
        Until the person zooms, scrolls or clicks, a resized canvas (a window manager fitting
        the window to a small screen, a dock dragged) frames it again."""
        self._refit_on_resize = True
        cards = self._cards_rect()
        if cards is None:
            self.reset_zoom()
            return
        zoom = min(1.0, self._zoom_showing(cards))
        if zoom >= READABLE_ZOOM or not self.scene().nodes:
            self._frame(max(zoom, READABLE_ZOOM), cards.center())
            return
        self._frame(READABLE_ZOOM, self._start_centre(cards, READABLE_ZOOM))

    def frame_if_cut(self) -> None:
        """After cards moved (Arrange): when some are now outside the view, frame the
        graph as a file opens (``fit``); when all are in sight, the view stays."""
        cards = self._cards_rect()
        seen = self.mapToScene(self.viewport().rect()).boundingRect()
        if cards is not None and not seen.contains(cards):
            self.fit()

    def fit_all(self) -> None:
        """View ▸ Fit View: the whole graph, however small, at most 100%."""
        self._stop_refitting()
        cards = self._cards_rect()
        if cards is None:
            self.reset_zoom()
            return
        zoom = max(MIN_ZOOM, min(1.0, self._zoom_showing(cards)))
        self._frame(zoom, cards.center())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._refit_on_resize:
            self.fit()

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802
        if event.type() in _HANDS_ON:  # the person has taken over the view
            self._refit_on_resize = False
        return super().viewportEvent(event)

    def _stop_refitting(self, _event: object = None) -> None:
        self._refit_on_resize = False

    def reset_zoom(self) -> None:
        """100%, scene (0, 0) in the middle: a new document."""
        self._stop_refitting()
        self._frame(1.0, QPointF(0, 0))

    def _cards_rect(self) -> QRectF | None:
        """The cards with the notes and frames around them (None: nothing on the canvas)."""
        return self.scene().content_rect()

    def _zoom_showing(self, rect: QRectF) -> float:
        """The zoom at which ``rect`` just fits in the viewport, with FIT_MARGIN around it."""
        vp = self.viewport().rect()
        return min((vp.width() - 2 * FIT_MARGIN) / rect.width(),
                   (vp.height() - 2 * FIT_MARGIN) / rect.height())

    def _frame(self, zoom: float, centre: QPointF) -> None:
        self.setTransform(QTransform.fromScale(zoom, zoom))
        self.centerOn(centre)
        self.zoom_changed.emit(self.zoom())

    def _start_centre(self, cards: QRectF, zoom: float) -> QPointF:
        """Where to centre a graph larger than the viewport: on each axis where it fits, its
        middle; where it does not, the loss card at the right edge (a learner looks at the
        loss and what leads to it), or without a loss the first card at the left and top."""
        try:
            anchor = self.scene().nodes[pick_target(self.document.model)].sceneBoundingRect()
            at_loss = True
        except (GraphError, KeyError):
            first = min(self.scene().nodes.values(), key=lambda i: (i.x(), i.y()))
            anchor, at_loss = first.sceneBoundingRect(), False
        vp, margin = self.viewport().rect(), FIT_MARGIN / zoom
        half_w, half_h = vp.width() / zoom / 2, vp.height() / zoom / 2
        if cards.width() + 2 * margin <= 2 * half_w:
            x = cards.center().x()
        else:
            x = anchor.right() + margin - half_w if at_loss else anchor.left() - margin + half_w
        if cards.height() + 2 * margin <= 2 * half_h:
            y = cards.center().y()
        else:
            y = anchor.center().y() if at_loss else anchor.top() - margin + half_h
        return QPointF(x, y)

    def center_scene_pos(self) -> QPointF:
        return self.mapToScene(self.viewport().rect().center())

    # --- mouse ------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = self.mapToScene(event.position().toPoint())
        if event.button() == Qt.MiddleButton or (event.button() == Qt.LeftButton
                                                  and self._space_down):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.ClosedHandCursor)
            return
        if event.button() == Qt.LeftButton:
            near = ports_near(self, pos, HIT_PX)
            if near:
                self._wire = self._start_wire(near[0])
                self._wire.move(pos)
                return
            if self.boxes.start_resize(pos):
                return
            # Every card, not only the selected ones: Ctrl+dragging an unselected card moves
            # it (with the selection) without selecting it, and that move must reach the model.
            self._press_positions = {n: (i.pos().x(), i.pos().y())
                                     for n, i in self.scene().nodes.items()}
            self.boxes.record()
        super().mousePressEvent(event)
        # a card dragged alone may be dropped into a wire (looked up once, not per move)
        grabber = self.scene().mouseGrabberItem()
        alone = isinstance(grabber, NodeItem) and len(self.scene().selectedItems()) <= 1
        self._dragged_card = grabber if alone else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            return
        if self._wire is not None:
            self._wire.move(self.mapToScene(event.position().toPoint()))
            return
        if self.boxes.resizing:
            self.boxes.resize_to(self.mapToScene(event.position().toPoint()))
            return
        super().mouseMoveEvent(event)
        pos = self.mapToScene(event.position().toPoint())
        if event.buttons() & Qt.LeftButton and self.boxes.recorded:
            self.boxes.carry(self._press_positions)
        if self._dragged_card is not None and event.buttons() & Qt.LeftButton:
            self._insert.show(self._wire_for_card(pos))
        elif event.buttons() == Qt.NoButton and not self._space_down:
            self._show_port_cursor(bool(ports_near(self, pos, HIT_PX)))

    def _show_port_cursor(self, on_port: bool) -> None:
        """A crosshair over a port says "a wire starts here"."""
        if on_port != self._on_port:
            self._on_port = on_port
            if on_port:
                self.viewport().setCursor(Qt.CrossCursor)
            else:
                self.viewport().unsetCursor()

    def _wire_for_card(self, scene_pos: QPointF) -> EdgeItem | None:
        """The wire under the cursor the dragged card would be inserted into, if it fits."""
        card = self._dragged_card
        model = self.document.model
        return wire_under(self, scene_pos, lambda e: can_insert(model, card.node_id, e))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            return
        if self._wire is not None:
            wire, self._wire = self._wire, None
            pos = self.mapToScene(event.position().toPoint())
            if wire.finish(pos):
                self.open_quick_add(pos, wire)
            return
        if self.boxes.resizing:
            self.boxes.finish_resize()
            return
        super().mouseReleaseEvent(event)
        card, self._dragged_card = self._dragged_card, None
        into = self._insert.take()
        if event.button() == Qt.LeftButton and (self._press_positions or self.boxes.recorded):
            self._commit_moves(None if card is None or into is None else (card.node_id, into))

    def _start_wire(self, port: Port) -> WireDrag:
        """From an output or a free input a new wire; from a connected input, that input's
        wire, picked up by its end."""
        if port.side == "in":
            src = self.document.model.inputs_of(port.node_id).get(port.port)
            if src is not None:
                return WireDrag(self, Port(self.scene().nodes[src], "out", None),
                                lifted=Edge(src, port.node_id, port.port))
        return WireDrag(self, port)

    def _commit_moves(self, insert: tuple[str, Edge] | None = None) -> None:
        """One command for the drag: the move, or the move and the dragged card's insertion
        into the wire it was let go on."""
        moves = {}
        for n, old in self._press_positions.items():
            item = self.scene().nodes.get(n)
            if item is not None and (item.pos().x(), item.pos().y()) != old:
                moves[n] = (old, (item.pos().x(), item.pos().y()))
        self._press_positions = {}
        model = self.document.model
        rects = self.boxes.rect_changes()
        if rects:
            self.document.run(MoveItems(model, moves, rects, self._move_text(rects, moves)))
        elif moves and insert is not None:
            self.document.run(InsertIntoWire(model, *insert, moves))
        elif moves:
            self.document.run(MoveNodes(model, moves))

    def _move_text(self, rects: dict, moves: dict) -> str:
        """What Undo says for a drag that moved notes or frames."""
        if len(rects) == 1 and not set(moves) - set(self._members_of(rects)):
            item_id = next(iter(rects))
            frame = self.scene().frames.get(item_id)
            if frame is not None:
                return f"Move frame {frame.title}"
            return "Move note"
        n = len(rects) + len(moves)
        return f"Move {n} item{'s' * (n != 1)}"

    def _members_of(self, item_ids) -> set[str]:  # noqa: ANN001
        notes = self.document.model.annotations
        return {m for i in item_ids if i in self.scene().frames for m in notes.frame(i).members}

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = self.mapToScene(event.position().toPoint())
        card = self.node_at(pos)
        box = self.boxes.box_at(pos) if card is None else None
        if isinstance(box, NoteItem) or (isinstance(box, FrameItem) and
                                         box.title_rect().contains(box.mapFromScene(pos))):
            if self.edit_annotation is not None:
                self.edit_annotation(box.item_id)
            return
        if card is None:
            on_wire = wire_under(self, pos)
            self.open_quick_add(pos, None if on_wire is None else on_wire.edge)
            return
        local = card.mapFromScene(pos)
        if card.title_rect().contains(local):
            self.edit_on_card(card.node_id)
            return
        if card.spec.is_leaf and card.value_rect().contains(local):
            self.edit_on_card(card.node_id, value=True)
            return
        super().mouseDoubleClickEvent(event)

    # --- editing on the card ------------------------------------------------------------------
    def edit_on_card(self, node_id: str, value: bool = False) -> InlineEditor | None:
        """Open the editor over a card's name (or a leaf's value)."""
        item = self.scene().nodes.get(node_id)
        if item is None or (value and not item.spec.is_leaf):
            return None
        if self.editor is not None:
            self.editor.close_editor()
        self._select_only(node_id)
        self.editor = edit_value(self, item) if value else edit_label(self, item)
        return self.editor

    def editor_closed(self, editor: InlineEditor, had_focus: bool) -> None:
        if self.editor is editor:
            self.editor = None
        if had_focus:  # Enter or Esc: the keys go back to the canvas
            self.setFocus(Qt.OtherFocusReason)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.15 ** steps, event.position())

    def contextMenuEvent(self, event) -> None:  # noqa: N802, ANN001
        pos = self.mapToScene(event.pos())
        item = self.node_at(pos)
        if item is None:
            for it in self.scene().items(pos):
                if isinstance(it, EdgeItem):
                    item = it
                    break
        if item is None:
            item = self.boxes.box_at(pos)
        self.context_menu_requested.emit(item, QPointF(event.globalPos()))

    # --- keys -------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key_Escape and self._wire is not None:
            self._wire.clear()  # a wire being drawn is dropped, nothing changes
            self._wire = None
            return
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            self.viewport().setCursor(Qt.OpenHandCursor)
            return
        if event.key() == Qt.Key_Tab:
            cursor = self.mapFromGlobal(self.cursor().pos())
            inside = self.viewport().rect().contains(cursor)
            self.open_quick_add(self.mapToScene(cursor) if inside else self.center_scene_pos())
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self.viewport().unsetCursor()
            return
        super().keyReleaseEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002, N802 - Tab is quick-add
        return False

    # --- drops from the palette -------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802, ANN001
        if event.mimeData().hasFormat(KIND_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802, ANN001
        """A kind with inputs dragged over a wire lights it up: dropping inserts it."""
        self.dragEnterEvent(event)
        if event.isAccepted():
            self._insert.show(self._wire_for_kind(event))

    def dragLeaveEvent(self, event) -> None:  # noqa: N802, ANN001
        self._insert.show(None)
        super().dragLeaveEvent(event)

    def _wire_for_kind(self, event) -> EdgeItem | None:  # noqa: ANN001
        kind = bytes(event.mimeData().data(KIND_MIME)).decode()
        if kind not in KINDS or not _takes_input(kind):
            return None
        return wire_under(self, self.mapToScene(event.position().toPoint()))

    def dropEvent(self, event) -> None:  # noqa: N802, ANN001
        if not event.mimeData().hasFormat(KIND_MIME):
            event.ignore()
            return
        kind = bytes(event.mimeData().data(KIND_MIME)).decode()
        pos = self.mapToScene(event.position().toPoint())
        self._insert.show(self._wire_for_kind(event))
        into = self._insert.take()
        if into is None:
            self.add_node(kind, pos)
        else:
            self.insert_node(kind, pos, into)
        event.acceptProposedAction()

    # --- quick add ----------------------------------------------------------------------------
    def open_quick_add(self, scene_pos: QPointF, wire: WireDrag | Edge | None = None) -> None:
        """The quick-add popup at a scene position. With ``wire`` — one let go in empty
        space, or a wire to insert into — it offers the kinds that fit and wires the chosen
        node in."""
        self._quick_add_closed()
        self._pending = wire
        global_pos = self.viewport().mapToGlobal(self.mapFromScene(scene_pos))
        accepts = (None if wire is None else
                   _takes_input if isinstance(wire, Edge) else wire.accepts_kind)
        self.quick_add.open_at(global_pos, scene_pos, accepts)

    def _quick_add_chosen(self, kind: str, scene_pos: QPointF) -> None:
        wire, self._pending = self._pending, None
        if wire is None:
            self.add_node(kind, scene_pos)
            return
        if isinstance(wire, Edge):
            self.insert_node(kind, scene_pos, wire)
            return
        wire.clear()
        anchor = wire.anchor
        if anchor.side == "out":  # the new card's first input where the wire was let go
            offset = _probe(kind).input_port_pos(KINDS[kind].inputs[0])
            src, into = anchor.node_id, None
        else:  # its output there
            offset = _probe(kind).output_port_pos()
            src, into = None, (anchor.node_id, anchor.port)
        at = scene_pos - offset
        cmd = AddWired(self.document.model, kind, (round(at.x()), round(at.y())), src, into)
        if self.document.run(cmd):
            self._select_only(cmd.node_id)

    def _quick_add_closed(self) -> None:
        """The popup went away without a choice (Esc, a click elsewhere): nothing changes."""
        wire, self._pending = self._pending, None
        if isinstance(wire, WireDrag):
            wire.clear()

    def insert_node(self, kind: str, scene_pos: QPointF, edge: Edge) -> str | None:
        """Add a node of ``kind`` at scene_pos spliced into the wire ``edge``."""
        cmd = AddWired(self.document.model, kind, (round(scene_pos.x()), round(scene_pos.y())),
                       edge.src, (edge.dst, edge.port))
        if self.document.run(cmd):
            self._select_only(cmd.node_id)
            return cmd.node_id
        return None

    def _select_only(self, node_id: str) -> None:
        """Select the card just added, and scroll it into view when it was added at the
        canvas's edge (a wire let go near the edge, a palette entry dropped there)."""
        self.scene().clearSelection()
        card = self.scene().nodes[node_id]
        card.setSelected(True)
        self.ensureVisible(card, ADDED_MARGIN, ADDED_MARGIN)

    def add_node(self, kind: str, scene_pos: QPointF) -> str | None:
        """Add a node of ``kind`` with its card centred on scene_pos; returns its id."""
        try:
            width, height = fresh_size(kind)
        except GraphError:  # an unknown kind: AddNode says so
            width = height = 0.0
        cmd = AddNode(self.document.model, kind, (round(scene_pos.x() - width / 2),
                                                  round(scene_pos.y() - height / 2)))
        if self.document.run(cmd):
            self._select_only(cmd.node_id)
            return cmd.node_id
        return None


def _takes_input(kind_name: str) -> bool:
    return bool(KINDS[kind_name].inputs)


def _probe(kind_name: str) -> NodeItem:
    """A card of ``kind_name`` at (0, 0), off the canvas: where its ports sit on a card."""
    spec = KINDS[kind_name]
    return NodeItem(NodeData("probe", kind_name, spec.default_label or spec.name,
                             spec.defaults(), dict.fromkeys(FLAGS, False), (0.0, 0.0)))
