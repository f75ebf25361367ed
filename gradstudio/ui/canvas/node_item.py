"""NodeItem: a node drawn as a card — title, ports, value, gradient, grad_fn, badges.

Painted, not built from widgets, so a thousand cards stay fast; far zoomed out a card is
drawn as a plain box. The card only displays; editing happens in the inspector.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

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


class NodeItem(QGraphicsItem):
    """One node card. ``lines`` is what the body shows (value, grad, grad_fn or error)."""

    def __init__(self, data: NodeData) -> None:
        super().__init__()
        self.node_id = data.id
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.edges: list = []  # EdgeItems attached, kept in sync by the scene
        self.value_lines: list[str] = []
        self.grad_line = ""
        self.grad_fn = ""
        self.error: str | None = None
        self.is_loss = False
        self.highlighted_ports: set[str] = set()
        self.snap = 0.0
        self.update_data(data)
        self.setPos(*data.position)

    # --- content ----------------------------------------------------------------------------
    def update_data(self, data: NodeData) -> None:
        self.data_ = data
        self.spec = kind(data.kind)
        self.prepareGeometryChange()
        self._height = self._compute_height()
        self.setToolTip(self._tooltip())
        self.update()

    def set_result(self, value_text: str | None, grad_text: str | None, grad_fn: str | None,
                   error: str | None) -> None:
        """Show the latest evaluation: the value in PyTorch's printed form, etc."""
        lines = (value_text or "").split("\n")
        if len(lines) > MAX_VALUE_LINES:
            lines = lines[:MAX_VALUE_LINES - 1] + ["  …"]
        self.value_lines = [] if value_text is None else lines
        self.grad_line = "" if grad_text is None else f"grad: {grad_text}"
        self.grad_fn = grad_fn or ""
        self.error = error
        self.prepareGeometryChange()
        self._height = self._compute_height()
        self.setToolTip(self._tooltip())
        self.update()

    def display_lines(self) -> list[str]:
        """The body text as shown on the card, top to bottom."""
        if self.error:
            return [f"⚠ {self.error}"]
        lines = list(self.value_lines)  # the repr names grad_fn, as PyTorch prints it
        if self.grad_line:
            lines.append(self.grad_line)
        return lines

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

    def _tooltip(self) -> str:
        tip = f"{self.data_.label} — {self.spec.title}: {self.spec.doc}"
        if self.error:
            tip += f"\n\nError: {self.error}"
        return tip

    # --- geometry ---------------------------------------------------------------------------
    def _ports_height(self) -> float:
        return max(len(self.spec.inputs), 1) * PORT_ROW + 6

    def _compute_height(self) -> float:
        body = max(len(self.display_lines()), 1) * LINE_H + 10
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
        return self.mapToScene(QPointF(0, TITLE_H + 13 + i * PORT_ROW))

    def output_port_pos(self) -> QPointF:
        return self.mapToScene(QPointF(WIDTH, TITLE_H + 13))

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
        snap, self.snap = self.snap, 0.0
        try:
            self.setPos(x, y)
        finally:
            self.snap = snap

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:  # noqa: N802
        if change == QGraphicsItem.ItemPositionChange and self.snap:
            p = value
            return QPointF(round(p.x() / self.snap) * self.snap,
                           round(p.y() / self.snap) * self.snap)
        if change == QGraphicsItem.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_path()
            scene = self.scene()
            if scene is not None and hasattr(scene, "include"):  # dragged towards the edge
                scene.include(self.sceneBoundingRect())
        return super().itemChange(change, value)

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
