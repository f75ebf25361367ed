"""Wire gestures: finding ports in screen pixels, and a wire being drawn.

Ports are hit and snapped to by their distance on screen, not in scene units, so they stay
as easy to hit at 50% as at 100%. A wire is drawn from an output (towards an input), from a
free input (towards an output), or picked up by its end from a connected input (then
dropping it in empty space disconnects it, as in Blender and Orange).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import networkx as nx
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsPathItem

from gradstudio.graph import KINDS, Edge, GraphError

from .. import theme
from ..commands import Connect, MoveWire, RemoveItems
from .edge_item import wire_path
from .node_item import NodeItem

if TYPE_CHECKING:
    from .view import GraphView

__all__ = ["HIT_PX", "SNAP_PX", "Port", "WireDrag", "ports_near", "scene_radius"]

HIT_PX = 10.0  # a port answers within this many screen pixels of its centre: a 20 px target
SNAP_PX = 24.0  # a dragged wire's end jumps to a compatible port this close
MIN_HIT_ZOOM = 0.5  # below this zoom the hit radius stops growing in scene units
HINT_PX = 7.0  # radius of the ring marking a port the wire may go to
HINT_MIN_ZOOM = 0.35  # further out the rings would cover the cards


class Port(NamedTuple):
    """One socket: ``side`` is "in" (with the input's name) or "out" (port None)."""

    item: NodeItem
    side: str
    port: str | None

    def pos(self) -> QPointF:
        return self.item.output_port_pos() if self.side == "out" else \
            self.item.input_port_pos(self.port)

    @property
    def node_id(self) -> str:
        return self.item.node_id


def scene_radius(view: GraphView, px: float) -> float:
    """``px`` screen pixels in scene units at the view's zoom (not past MIN_HIT_ZOOM)."""
    return px / max(view.zoom(), MIN_HIT_ZOOM)


def ports_near(view: GraphView, scene_pos: QPointF, px: float) -> list[Port]:
    """The ports within ``px`` screen pixels of ``scene_pos``, nearest first."""
    r = scene_radius(view, px)
    found = []
    for item in view.scene().items(QRectF(scene_pos - QPointF(r, r), scene_pos + QPointF(r, r))):
        if not isinstance(item, NodeItem):
            continue
        ports = [Port(item, "out", None)] + [Port(item, "in", p) for p in item.spec.inputs]
        for port in ports:
            d = QLineF(port.pos(), scene_pos).length()
            if d <= r:
                found.append((d, port))
    found.sort(key=lambda dp: dp[0])
    return [p for _, p in found]


def _cosmetic(color: str, width: float) -> QPen:
    pen = QPen(QColor(color), width)
    pen.setCosmetic(True)
    return pen


class WireDrag:
    """A wire held by the mouse. ``anchor`` is its fixed end; ``lifted`` is the wire picked
    up from a connected input (hidden while held; the anchor is then its source's output).

    Ports it may go to are ringed; the port it would connect to now (the one under the
    cursor, or the nearest compatible one within SNAP_PX) is marked more strongly."""

    def __init__(self, view: GraphView, anchor: Port, lifted: Edge | None = None) -> None:
        self.view, self.anchor, self.lifted = view, anchor, lifted
        self.target: Port | None = None
        graph = view.document.model.graph
        n = anchor.node_id
        # wiring into (from) these would close a cycle
        self.blocked = (nx.ancestors(graph, n) if anchor.side == "out"
                        else nx.descendants(graph, n)) | {n}
        c = theme.current()
        scene = view.scene()
        self.wire = QGraphicsPathItem()
        self.wire.setPen(_cosmetic(c.wire_selected, 2))
        self.hints = QGraphicsPathItem()
        self.hints.setPen(_cosmetic(c.port_hot, 2))
        self.ring = QGraphicsEllipseItem()
        self.ring.setPen(_cosmetic(c.selection, 3))
        self.ring.setBrush(QBrush(QColor(c.port_hot)))
        self.ring.hide()
        for z, item in enumerate((self.hints, self.wire, self.ring)):
            item.setZValue(10 + z)
            scene.addItem(item)
        if lifted is not None:
            scene.edges[lifted].hide()
        self._mark_compatible()

    # --- what may connect -------------------------------------------------------------------
    def compatible(self, port: Port) -> bool:
        return port.side != self.anchor.side and port.node_id not in self.blocked

    def _mark_compatible(self) -> None:
        """Ring the compatible ports on screen (only those: a big graph stays fast; none
        when zoomed out so far that cards are drawn without ports)."""
        view = self.view
        if view.zoom() < HINT_MIN_ZOOM:
            return
        visible = view.mapToScene(view.viewport().rect()).boundingRect()
        r = scene_radius(view, HINT_PX)
        path = QPainterPath()
        for item in view.scene().items(visible):
            if isinstance(item, NodeItem) and item.node_id not in self.blocked:
                ports = ([Port(item, "in", p) for p in item.spec.inputs]
                         if self.anchor.side == "out" else [Port(item, "out", None)])
                for port in ports:
                    path.addEllipse(port.pos(), r, r)
        self.hints.setPath(path)

    def _snap(self, scene_pos: QPointF) -> Port | None:
        return next((p for p in ports_near(self.view, scene_pos, SNAP_PX)
                     if self.compatible(p)), None)

    # --- following the mouse ----------------------------------------------------------------
    def move(self, scene_pos: QPointF) -> None:
        self.target = self._snap(scene_pos)
        end = scene_pos if self.target is None else self.target.pos()
        start = self.anchor.pos()
        self.wire.setPath(wire_path(start, end) if self.anchor.side == "out"
                          else wire_path(end, start))
        style = Qt.SolidLine if self.target is not None else Qt.DashLine
        pen = self.wire.pen()
        pen.setStyle(style)
        self.wire.setPen(pen)
        if self.target is None:
            self.ring.hide()
        else:
            r = scene_radius(self.view, HIT_PX)
            self.ring.setRect(QRectF(end - QPointF(r, r), end + QPointF(r, r)))
            self.ring.show()

    def clear(self) -> None:
        """Take the drawn wire and marks off the canvas; a lifted wire shows again."""
        scene = self.view.scene()
        for item in (self.hints, self.wire, self.ring):
            if item.scene() is scene:
                scene.removeItem(item)
        if self.lifted is not None and self.lifted in scene.edges:
            scene.edges[self.lifted].show()

    # --- letting go -------------------------------------------------------------------------
    def finish(self, scene_pos: QPointF) -> bool:
        """Connect, disconnect, or refuse with the reason. True when the wire was let go in
        empty space with nothing decided: the caller offers quick-add (the drawn wire stays
        until ``clear()``)."""
        under = ports_near(self.view, scene_pos, HIT_PX)
        target = under[0] if under else self._snap(scene_pos)
        if target is None:
            card = self.view.node_at(scene_pos)
            if card is not None:  # over a card's body (its own: a slip, nothing happens)
                target = None if card is self.anchor.item else self._port_on(card)
                if target is None:
                    self.clear()
                    return False
        if target is None:
            if self.lifted is not None:
                self.clear()
                self._run(RemoveItems(self.view.document.model, [], [self.lifted]),
                          f"Disconnect {self._wire_text(self.lifted)}")
                return False
            return True
        self.clear()
        if target in (self.anchor, self._lifted_end()):
            return False  # let go where it started: nothing changes
        self._connect(target)
        return False

    def _port_on(self, card: NodeItem) -> Port | None:
        """Let go over a card's body: its output, or its first free input."""
        if self.anchor.side == "in":
            return Port(card, "out", None)
        taken = self.view.document.model.inputs_of(card.node_id)
        free = [p for p in card.spec.inputs if p not in taken]
        if not free:
            self.view.document.refuse(
                f"{card.data_.label} has no free input: drop the wire on the input to replace"
                if card.spec.inputs else f"{card.data_.label} is a leaf: it has no inputs",
                [card.node_id])
            return None
        return Port(card, "in", free[0])

    def _lifted_end(self) -> Port | None:
        if self.lifted is None:
            return None
        return Port(self.view.scene().nodes[self.lifted.dst], "in", self.lifted.port)

    def _connect(self, target: Port) -> None:
        model = self.view.document.model
        if target.side == self.anchor.side:
            self.view.document.refuse(
                "Drop the wire on an input port (the left side of a card)" if target.side == "out"
                else "Drop the wire on an output port (the right side of a card)",
                [target.node_id])
            return
        src, dst = (self.anchor, target) if self.anchor.side == "out" else (target, self.anchor)
        try:
            model.check_connection(src.node_id, dst.node_id, dst.port, replace=True)
        except GraphError as e:  # a refusal: said once, and shown at the card it concerns
            self.view.document.refuse(str(e), [dst.node_id, src.node_id])
            return
        if self.lifted is not None:
            self._run(MoveWire(model, self.lifted, dst.node_id, dst.port))
        else:
            self._run(Connect(model, src.node_id, dst.node_id, dst.port))

    def _run(self, command, text: str | None = None) -> None:  # noqa: ANN001
        if text:
            command.setText(text)
        self.view.document.run(command)

    def _wire_text(self, edge: Edge) -> str:
        model = self.view.document.model
        return f"{model.label(edge.src)} → {model.label(edge.dst)}.{edge.port}"

    def accepts_kind(self, kind_name: str) -> bool:
        """Quick-add offers only kinds this wire can go into (or come from)."""
        return bool(KINDS[kind_name].inputs) if self.anchor.side == "out" else True
