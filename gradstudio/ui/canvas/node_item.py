"""NodeItem: a node drawn as a card — title, ports, value, gradient, grad_fn, badges.

Painted, not built from widgets, so a thousand cards stay fast; far zoomed out a card is
drawn as a plain box. The card only displays; editing happens in the inspector.

Ten thousand cards open at once, so a card is cheap to build: its texts (value, gradient,
tooltip) are formatted when first shown, not when set, and it has no Python ``itemChange``
(every flag, tooltip or position change of every card would call into Python): a card moved
by the hand or by the model moves its wires itself (``mouseMoveEvent``, ``place``).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from gradstudio.graph import NodeData, kind
from gradstudio.graph.layout import Box

from .. import theme

__all__ = ["NodeItem"]

WIDTH = 300.0
TITLE_H = 24.0
PORT_ROW = 20.0
LINE_H = 15.0
PORT_R = 6.0
MAX_VALUE_LINES = 3
# Enum members looked up once: each PySide6 enum attribute access costs microseconds.
FLAGS = (QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable)
CACHE = QGraphicsItem.DeviceCoordinateCache
OUT_PORT = QPointF(WIDTH, TITLE_H + 13)


def _value_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if len(lines) > MAX_VALUE_LINES:
        lines = lines[:MAX_VALUE_LINES - 1] + ["  …"]
    return lines


class NodeItem(QGraphicsItem):
    """One node card. ``display_lines()`` is what the body shows (value, grad or error)."""

    def __init__(self, data: NodeData) -> None:
        super().__init__()
        self.node_id = data.id
        self.setFlags(FLAGS)
        self.setCacheMode(CACHE)
        self.setAcceptHoverEvents(True)
        self.edges: list = []  # EdgeItems attached, kept in sync by the scene
        self._value: object = None  # the evaluated tensor, printed when first shown
        self._grad: object = None
        self._n_value_lines = 0
        self._lines: list[str] | None = []  # None: not formatted since the last result
        self.error: str | None = None
        self.is_loss = False
        self.highlighted_ports: set[str] = set()
        self.snap = 0.0
        self.data_ = data
        self.spec = kind(data.kind)
        self._height = self._compute_height()
        self.setPos(*data.position)

    # --- content ----------------------------------------------------------------------------
    def update_data(self, data: NodeData) -> None:
        self.data_ = data
        self.spec = kind(data.kind)
        self._geometry_changed()

    def set_result(self, value: object, grad: object, error: str | None) -> None:
        """Show the latest evaluation: the value and gradient tensors (or None), printed in
        PyTorch's form when the card is first shown; the value's repr names its grad_fn."""
        self._value, self._grad, self.error = value, grad, error
        self._lines = None
        # A 0-d tensor prints on one line: the height needs no printing for most cards.
        self._n_value_lines = (0 if value is None else 1 if value.dim() == 0
                               else len(_value_lines(repr(value))))
        self._geometry_changed()

    def _geometry_changed(self) -> None:
        height = self._compute_height()
        if height != self._height:
            self.prepareGeometryChange()
            self._height = height
        if self.toolTip():  # shown once already: keep it current
            self.setToolTip(self._tooltip())
        self.update()

    def display_lines(self) -> list[str]:
        """The body text as shown on the card, top to bottom."""
        if self.error:
            return [f"⚠ {self.error}"]
        if self._lines is None:
            self._lines = [] if self._value is None else _value_lines(repr(self._value))
            if self._grad is not None:
                self._lines.append(f"grad: {self._grad!r}")
        return list(self._lines)

    def _line_count(self) -> int:
        if self.error:
            return 1
        return self._n_value_lines + (self._grad is not None)

    def badges(self) -> list[str]:
        flags = self.data_.flags
        out = []
        if self.is_loss:
            out.append("loss")
        if flags.get("requires_grad"):
            out.append("grad")
        if flags.get("detach"):
            out.append("detach")
        if flags.get("no_grad"):
            out.append("no-grad")
        return out

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self.setToolTip(self._tooltip())  # made when first needed, not for every card
        super().hoverEnterEvent(event)

    def _tooltip(self) -> str:
        tip = f"{self.data_.label} — {self.spec.title}: {self.spec.doc}"
        if self.error:
            tip += f"\n\nError: {self.error}"
        return tip

    # --- geometry ---------------------------------------------------------------------------
    def _ports_height(self) -> float:
        return max(len(self.spec.inputs), 1) * PORT_ROW + 6

    def _compute_height(self) -> float:
        body = max(self._line_count(), 1) * LINE_H + 10
        return TITLE_H + self._ports_height() + body

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return QRectF(-PORT_R - 2, -2, WIDTH + 2 * PORT_R + 4, self._height + 4)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(-PORT_R, 0, WIDTH + 2 * PORT_R, self._height), 6, 6)
        return path

    def box(self) -> Box:
        """The card's size and port heights, for the layered layout."""
        return Box(WIDTH, self._height, TITLE_H + 13,
                   {p: TITLE_H + 13 + i * PORT_ROW for i, p in enumerate(self.spec.inputs)})

    def input_port_pos(self, port: str) -> QPointF:
        """Scene position of an input port's socket."""
        i = self.spec.inputs.index(port)
        return self.pos() + QPointF(0, TITLE_H + 13 + i * PORT_ROW)  # a top-level item

    def output_port_pos(self) -> QPointF:
        return self.pos() + OUT_PORT

    def title_rect(self) -> QRectF:
        """The title bar, in item coordinates (a double-click there renames on the card)."""
        return QRectF(0, 0, WIDTH, TITLE_H)

    def value_rect(self) -> QRectF:
        """The body under the ports, where the value is shown, in item coordinates."""
        top = TITLE_H + self._ports_height()
        return QRectF(0, top, WIDTH, self._height - top)

    def port_at(self, scene_pos: QPointF) -> tuple[str, str | None] | None:
        """("out", None) or ("in", port) when scene_pos is on a socket (generous radius)."""
        reach = PORT_R * 2.2
        if (self.output_port_pos() - scene_pos).manhattanLength() <= reach * 1.4:
            return ("out", None)
        for port in self.spec.inputs:
            if (self.input_port_pos(port) - scene_pos).manhattanLength() <= reach * 1.4:
                return ("in", port)
        return None

    def place(self, x: float, y: float) -> None:
        """Put the card exactly where the model says (snapping is for the hand only)."""
        self.setPos(x, y)
        self._follow()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        super().mouseMoveEvent(event)  # Qt moves this card and every selected one
        scene = self.scene()
        moved = {self, *scene.selectedItems()} if scene is not None else {self}
        for item in moved:
            if isinstance(item, NodeItem):
                item._moved_by_hand()

    def _moved_by_hand(self) -> None:
        if self.snap:
            p = self.pos()
            self.setPos(round(p.x() / self.snap) * self.snap,
                        round(p.y() / self.snap) * self.snap)
        self._follow()
        scene = self.scene()
        if scene is not None and hasattr(scene, "include"):  # dragged towards the edge
            scene.include(self.sceneBoundingRect())

    def _follow(self) -> None:
        for edge in self.edges:
            edge.update_path()

    # --- painting ---------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        colors = theme.current()
        accent = QColor(colors.categories[self.spec.category])
        rect = QRectF(0, 0, WIDTH, self._height)
        border = QColor(colors.error) if self.error else (
            QColor(colors.selection) if self.isSelected() else QColor(colors.border))
        pen = QPen(border, 3 if (self.isSelected() or self.error) else 1.2)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(QBrush(QColor(colors.card)))
        if lod < 0.35:  # far out: a box in the category colour and the name
            painter.setBrush(accent)
            painter.drawRect(rect)
            if lod > 0.15:
                painter.setPen(QColor(colors.on_fill))
                f = QFont()
                f.setPointSizeF(24)
                painter.setFont(f)
                painter.drawText(rect, Qt.AlignCenter, self.data_.label)
            return
        painter.drawRoundedRect(rect, 6, 6)
        self._paint_title(painter, accent, colors)
        self._paint_ports(painter, colors)
        self._paint_body(painter, colors)

    def _paint_title(self, painter: QPainter, accent: QColor, colors: theme.Theme) -> None:
        # Rounded on top, square below, drawn as one outline: the union of a rounded rect and
        # a rect (QPainterPath.simplified) left slivers poking out under the bar's corners.
        title = QPainterPath(QPointF(0, TITLE_H))
        title.lineTo(0, 6)
        title.arcTo(QRectF(0, 0, 12, 12), 180, -90)
        title.lineTo(WIDTH - 6, 0)
        title.arcTo(QRectF(WIDTH - 12, 0, 12, 12), 90, -90)
        title.lineTo(WIDTH, TITLE_H)
        title.closeSubpath()
        painter.fillPath(title, accent)
        painter.setPen(QColor(colors.on_fill))
        font = QFont()
        font.setBold(True)
        painter.setFont(font)
        fm = QFontMetricsF(font)
        badges = self.badges()
        badge_w = sum(QFontMetricsF(self._small()).horizontalAdvance(b) + 10 for b in badges)
        text = f"{self.data_.label}  ·  {self.spec.title}"
        text = fm.elidedText(text, Qt.ElideRight, WIDTH - 12 - badge_w)
        painter.drawText(QRectF(8, 0, WIDTH - 16, TITLE_H), Qt.AlignVCenter | Qt.AlignLeft, text)
        x = WIDTH - 6
        painter.setFont(self._small())
        for b in reversed(badges):
            w = QFontMetricsF(self._small()).horizontalAdvance(b) + 8
            x -= w
            r = QRectF(x, 5, w, TITLE_H - 10)
            painter.setBrush(QColor(colors.badge(b)))
            painter.setPen(Qt.NoPen)
            painter.drawRoundedRect(r, 3, 3)
            painter.setPen(QColor(colors.on_fill))
            painter.drawText(r, Qt.AlignCenter, b)
            x -= 2

    def _paint_ports(self, painter: QPainter, colors: theme.Theme) -> None:
        painter.setFont(self._small())
        for i, port in enumerate(self.spec.inputs):
            y = TITLE_H + 13 + i * PORT_ROW
            hot = port in self.highlighted_ports
            painter.setPen(QPen(QColor(colors.border), 1))
            painter.setBrush(QColor(colors.port_hot if hot else colors.port))
            painter.drawEllipse(QPointF(0, y), PORT_R, PORT_R)
            painter.setPen(QColor(colors.muted))
            painter.drawText(QRectF(PORT_R + 4, y - 8, 120, 16), Qt.AlignVCenter, port)
        y = TITLE_H + 13
        painter.setPen(QPen(QColor(colors.border), 1))
        painter.setBrush(QColor(colors.port_out))
        painter.drawEllipse(QPointF(WIDTH, y), PORT_R, PORT_R)
        painter.setPen(QColor(colors.muted))
        painter.drawText(QRectF(WIDTH - 130, y - 8, 120 - PORT_R, 16),
                         Qt.AlignVCenter | Qt.AlignRight, "out")

    def _paint_body(self, painter: QPainter, colors: theme.Theme) -> None:
        font = QFont("monospace")
        font.setStyleHint(QFont.Monospace)
        font.setPointSizeF(8.5)
        painter.setFont(font)
        fm = QFontMetricsF(font)
        y = TITLE_H + self._ports_height()
        painter.setPen(QPen(QColor(colors.border), 0.6))
        painter.drawLine(QPointF(6, y - 3), QPointF(WIDTH - 6, y - 3))
        for line in self.display_lines() or ["(not evaluated)"]:
            if line.startswith("⚠"):
                painter.setPen(QColor(colors.error))
            elif line.startswith("grad:"):
                painter.setPen(QColor(colors.gradient))
            elif line.startswith("grad_fn"):
                painter.setPen(QColor(colors.muted))
            else:
                painter.setPen(QColor(colors.text))
            text = fm.elidedText(line, Qt.ElideRight, WIDTH - 14)
            painter.drawText(QRectF(7, y, WIDTH - 14, LINE_H), Qt.AlignVCenter, text)
            y += LINE_H

    @staticmethod
    def _small() -> QFont:
        f = QFont()
        f.setPointSizeF(7.5)
        return f
