"""What step-through mode draws on top of the canvas: the current node lit up, the trace's
words on the wires into it (forward: the value flowing in; backward: ``grad out × local =
contribution → source``), the node's own line above its card (the formula with numbers, the
gradients arriving and their sum at a fan-out, ``old .grad + contribution = new .grad`` at a
leaf) and a mark on every node backward skipped.

Every word and number comes from the trace (``gradstudio.graph.trace``): this module only
places its text. The cards show the values and gradients of the frame (a card fills in when
its forward step runs); ``remove()`` gives every card back what it showed before and takes
the overlay's items away, so the canvas is as it was.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from gradstudio.graph import Edge
from gradstudio.graph.trace import BACKWARD, FORWARD, LEAF, REFUSED, SKIPPED, Frame, Trace

from .. import theme
from .annotation_items import NoteItem
from .node_item import NodeItem
from .scene import GraphScene

__all__ = ["StepLabel", "StepHighlight", "StepOverlay", "LABEL_PX"]

LABEL_PX = 12  # the labels' text size on screen, at any zoom
WRAP = 420.0  # screen pixels: longer lines wrap (a node's lines)
WIRE_WRAP = 240.0  # a wire's label
PAD = 4.0
Z = 90.0  # over cards and wires, under a refusal's bubble


def _role(phase: str) -> str:
    """The theme role a step's highlight and labels are drawn in."""
    return {FORWARD: "selection", BACKWARD: "gradient", LEAF: "gradient", SKIPPED: "muted",
            REFUSED: "error"}.get(phase, "text")


class StepLabel(QGraphicsItem):
    """A boxed text centred on its position, the same size on screen at any zoom."""

    def __init__(self, text: str, role: str, bold: bool = False, wrap: float = WRAP) -> None:
        super().__init__()
        self.text, self.role = text, role
        self.leader: QPointF | None = None  # the scene point a thin line ties the label to
        self._leader_px = QPointF()
        self.setFlag(QGraphicsItem.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setZValue(Z + 1)
        self.font = QFont()
        self.font.setPixelSize(LABEL_PX)
        self.font.setBold(bold)
        flags = int(Qt.TextWordWrap)
        size = QFontMetricsF(self.font).boundingRect(QRectF(0, 0, wrap, 10_000), flags,
                                                     text).size()
        w, h = size.width() + 2 * PAD, size.height() + 2 * PAD
        self._box = QRectF(-w / 2, -h / 2, w, h)

    def box(self) -> QRectF:
        """The text's box, around the item's position, in screen pixels."""
        return QRectF(self._box)

    def tie_to(self, point: QPointF | None, zoom: float) -> None:
        """Draw a line from the box to ``point`` (scene), the label being away from it."""
        self.prepareGeometryChange()
        self.leader = point
        self._leader_px = QPointF() if point is None else (point - self.pos()) * zoom

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        box = self._box.adjusted(-1, -1, 1, 1)
        if self.leader is None:
            return box
        return box.united(QRectF(self._leader_px, self._leader_px).adjusted(-3, -3, 3, 3))

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        c = theme.current()
        accent = QColor(getattr(c, self.role))
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(accent, 1.2))
        if self.leader is not None:
            painter.setBrush(accent)
            painter.drawLine(QPointF(), self._leader_px)
            painter.drawEllipse(self._leader_px, 2.5, 2.5)
        painter.setBrush(QColor(c.card))
        painter.drawRoundedRect(self._box, 4, 4)
        painter.setPen(QColor(c.text))
        painter.setFont(self.font)
        painter.drawText(self._box.adjusted(PAD, PAD, -PAD, -PAD), int(Qt.TextWordWrap),
                         self.text)


class StepHighlight(QGraphicsItem):
    """A thick rounded frame around the current node's card."""

    def __init__(self, rect: QRectF, role: str) -> None:
        super().__init__()
        self.role = role
        self._rect = rect.adjusted(-5, -5, 5, 5)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setZValue(Z)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect.adjusted(-3, -3, 3, 3)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.Antialiasing)
        pen = QPen(QColor(getattr(theme.current(), self.role)), 4)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        path = QPainterPath()
        path.addRoundedRect(self._rect, 9, 9)
        painter.drawPath(path)


def _area(rect: QRectF) -> float:
    return 0.0 if rect.isEmpty() else rect.width() * rect.height()


def _along(path: QPainterPath, box: QRectF) -> list[QPointF]:
    """Spots for a wire's label: on the wire (its middle first, then further along, a
    little above or below it), then away from it, above or below its middle."""
    h = box.height()
    on = [path.pointAtPercent(t) + QPointF(0, dy * h) for t in (0.5, 0.35, 0.65, 0.2, 0.8)
          for dy in (0, -0.4, 0.4)]
    middle = path.pointAtPercent(0.5)
    off = [middle + QPointF(dx * box.width(), dy * h) for dy in (-1.5, 1.5, -2.5, 2.5, -3.5, 3.5)
           for dx in (0, -0.5, 0.5)]
    return on + off


def _around_card(card: QRectF, box: QRectF) -> list[QPointF]:
    """Spots for the node's own lines (centre of the label): above the card, below it,
    beside it, then further out."""
    w, h, gap = box.width(), box.height(), 8.0
    above = card.top() - gap - h / 2
    below = card.bottom() + gap + h / 2
    x = card.center().x()
    left, right = card.left() + w / 2, card.right() - w / 2
    side_y = card.center().y()
    return [QPointF(x, above), QPointF(left, above), QPointF(right, above),
            QPointF(x, below), QPointF(left, below), QPointF(right, below),
            QPointF(card.right() + gap + w / 2, side_y), QPointF(card.left() - gap - w / 2, side_y),
            QPointF(x, above - h), QPointF(x, below + h)]


def _node_lines(trace: Trace, index: int) -> list[str]:
    """The step's text, cut where the trace joined its parts, minus the wires' own texts
    (those go on the wires): the words above the current card."""
    step = trace[index]
    text = step.text
    if step.phase == FORWARD:
        head, sep, note = text.partition("  (")
        return [head] + ([f"({note}"] if sep else [])
    if step.phase == BACKWARD:
        wires = "; ".join(w.text for w in step.wires)
        if wires and text.endswith("; " + wires):
            text = text[:-len(wires) - 2]
        return [text, *step.maths]
    if step.phase == LEAF:
        head, sep, grad = text.partition(f"; {step.label}.grad = ")
        return [head] + ([f"{step.label}.grad = {grad}"] if sep else [])
    return [text]


class StepOverlay:
    """Draws one frame of a trace on ``scene`` (``show``) and takes it all back (``remove``).
    The labels of one frame are replaced by the next; skipped marks stay until stepped back
    over; cards change only where the frame differs from what they show."""

    def __init__(self, scene: GraphScene, trace: Trace) -> None:
        self.scene, self.trace = scene, trace
        self.items: list[QGraphicsItem] = []  # this frame's highlight and labels
        self.skip_marks: dict[str, StepLabel] = {}
        self._saved: dict[str, tuple] = {}  # node -> what its card showed before
        self._shown: dict[str, tuple] = {}  # node -> (value, grad) the card shows now
        self._zoom_now: float | None = None
        self.capture()

    # --- the cards -------------------------------------------------------------------------
    def capture(self) -> None:
        """Remember what every card shows now (again after an evaluation outside the mode)."""
        self._saved = {n: (item.value, item.grad, item.error)
                       for n, item in self.scene.nodes.items()}
        self._shown = {}

    def _fill_cards(self, frame: Frame) -> None:
        values, grads = frame.values, frame.grads
        tensors = self.trace.forward.values
        for n, item in self.scene.nodes.items():
            value = values.get(n)
            want = (value, grads.get(n) if value is not None else None)
            shown = self._shown.get(n)
            if shown is not None and shown[0] is want[0] and shown[1] is want[1]:
                continue
            self._shown[n] = want
            # the card prints the tensor (its grad_fn too); the trace's array is its value
            item.set_result(tensors.get(n) if value is not None else None, want[1], None)

    # --- drawing ---------------------------------------------------------------------------
    def show(self, index: int) -> None:
        """Draw the picture after step ``index``."""
        frame = self.trace.frame(index)
        self._zoom_now: float | None = None  # read once per picture
        self._clear_labels()
        self._fill_cards(frame)
        self._mark_skipped(frame)
        step = frame.step
        item = self.scene.nodes.get(step.node)
        if item is None:
            return
        role = _role(step.phase)
        card = item.card_rect()
        self._add(StepHighlight(card, role))
        caption = StepLabel("\n".join(_node_lines(self.trace, index)), role, bold=True)
        self._place(caption, _around_card(card, self._size(caption)))
        for wire in step.wires:
            edge = self.scene.edges.get(Edge(wire.source, step.node, wire.port))
            if edge is not None:
                label = StepLabel(wire.text, role, wrap=WIRE_WRAP)
                path = edge.mapToScene(edge.path())
                spots = _along(path, self._size(label))
                source = self.scene.nodes.get(wire.source)
                if source is not None:  # else next to the card it comes from
                    spots += _around_card(source.card_rect(), self._size(label))
                self._place(label, spots, path.pointAtPercent(0.5))

    # --- placing: on the wire or next to the card, where it hides the least -----------------
    def _zoom(self) -> float:
        if self._zoom_now is None:
            views = self.scene.views()
            self._zoom_now = views[0].transform().m11() if views else 1.0
        return self._zoom_now

    def _visible(self) -> QRectF | None:
        """The part of the scene the view shows."""
        views = self.scene.views()
        if not views:
            return None
        view = views[0]
        return view.mapToScene(view.viewport().rect()).boundingRect()

    def _size(self, label: StepLabel) -> QRectF:
        """The label's box in scene units at the current zoom (it keeps its screen size)."""
        box, zoom = label.box(), self._zoom()
        return QRectF(box.left() / zoom, box.top() / zoom, box.width() / zoom,
                      box.height() / zoom)

    def _place(self, label: StepLabel, spots: list[QPointF], tie: QPointF | None = None
               ) -> None:
        """Put ``label`` on the first spot that covers no card and no other label, else on
        the one that covers the least. A wire's label away from its wire (``tie``: the
        wire's middle, outside the label) gets a line to it."""
        box = self._size(label)
        placed = [self._size(i).translated(i.pos())
                  for i in [*self.items, *self.skip_marks.values()] if isinstance(i, StepLabel)]
        seen = self._visible()
        best, best_cost = spots[0], float("inf")
        for spot in spots:
            rect = box.translated(spot)
            near = self.scene.items(rect, Qt.IntersectsItemBoundingRect)  # no wire shapes
            cost = sum(_area(rect & n.card_rect()) for n in near if isinstance(n, NodeItem))
            cost += sum(_area(rect & n.sceneBoundingRect()) for n in near  # a teacher's note
                        if isinstance(n, NoteItem))
            cost += 4 * sum(_area(rect & p) for p in placed)
            if seen is not None:  # cut by the window's edge: as bad as hidden
                cost += 2 * (_area(rect) - _area(rect & seen))
            if cost < best_cost:
                best, best_cost = spot, cost
            if cost == 0:
                break
        self._add(label, best)
        if tie is not None and not box.translated(best).contains(tie):
            label.tie_to(tie, self._zoom())

    def _add(self, item: QGraphicsItem, pos: QPointF | None = None) -> None:
        if pos is not None:
            item.setPos(pos)
        self.scene.addItem(item)
        self.items.append(item)

    def _mark_skipped(self, frame: Frame) -> None:
        for n in [n for n in self.skip_marks if n not in frame.skipped]:
            self.scene.removeItem(self.skip_marks.pop(n))
        for n, reason in frame.skipped.items():
            item = self.scene.nodes.get(n)
            if n in self.skip_marks or item is None:
                continue
            mark = StepLabel(SKIPPED, "muted")
            mark.setToolTip(reason)
            rect = item.card_rect()
            mark.setPos(QPointF(rect.center().x(), rect.bottom() + (LABEL_PX + 2 * PAD) / 2 + 2))
            self.scene.addItem(mark)
            self.skip_marks[n] = mark

    def _clear_labels(self) -> None:
        for item in self.items:
            if item.scene() is self.scene:
                self.scene.removeItem(item)
        self.items.clear()

    def remove(self) -> None:
        """Take every item away and give each card back what it showed before."""
        self._clear_labels()
        for mark in self.skip_marks.values():
            if mark.scene() is self.scene:
                self.scene.removeItem(mark)
        self.skip_marks.clear()
        for n in self._shown:  # only the cards the mode changed
            item, saved = self.scene.nodes.get(n), self._saved.get(n)
            if item is not None and saved is not None:
                item.set_result(*saved)
        self._shown.clear()
