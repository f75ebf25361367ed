"""Export the canvas as a PNG image or an SVG drawing."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsScene

__all__ = ["export_scene"]
MARGIN = 30
MAX_SIDE = 12000


def export_scene(scene: QGraphicsScene, path: str, fmt: str) -> tuple[bool, str]:
    """Render every item of the scene; returns (ok, error message)."""
    bounds = scene.itemsBoundingRect()
    if bounds.isEmpty():  # test before the margin: an empty canvas plus a margin is not empty
        return False, "The canvas is empty: there is nothing to export."
    source = bounds.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
    selected = scene.selectedItems()
    for item in selected:  # export what the graph is, not the selection
        item.setSelected(False)
    try:
        if fmt == "svg":
            return _svg(scene, source, path)
        return _png(scene, source, path)
    finally:
        for item in selected:
            item.setSelected(True)


def _png(scene: QGraphicsScene, source: QRectF, path: str) -> tuple[bool, str]:
    scale = min(2.0, MAX_SIDE / max(source.width(), source.height()))
    size = QSize(int(source.width() * scale), int(source.height() * scale))
    image = QImage(size, QImage.Format_ARGB32_Premultiplied)
    image.fill(Qt.white)  # under the scene's own background
    painter = QPainter(image)
    painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
    scene.render(painter, QRectF(image.rect()), source, Qt.KeepAspectRatio)
    painter.end()
    if not image.save(path, "PNG"):
        return False, f"Could not write {path}."
    return True, ""


def _svg(scene: QGraphicsScene, source: QRectF, path: str) -> tuple[bool, str]:
    from PySide6.QtSvg import QSvgGenerator

    generator = QSvgGenerator()
    generator.setFileName(path)
    generator.setSize(source.size().toSize())
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle("GradStudio graph")
    painter = QPainter()
    if not painter.begin(generator):
        return False, f"Could not write {path}."
    scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
    painter.end()
    return True, ""
