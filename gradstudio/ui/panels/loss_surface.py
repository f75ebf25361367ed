"""The loss surface of two selected weights, drawn in the Loss slice dock: contour lines of
the loss over the two weights (graph/loss_surface.py computes it), a faint shading from
low to high, the point where the weights are, an arrow down the gradient (−grad: where a
train step goes), and the path gradient descent took so far. pyqtgraph is imported when
the first surface is drawn.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gradstudio.graph.laid_open import number
from gradstudio.graph.loss_surface import LossSurface

from .. import theme

__all__ = ["LossSurfaceView"]

ARROW_FRACTION = 0.15  # the gradient arrow's length, as a fraction of the x range


class LossSurfaceView(QWidget):
    """A contour plot and a readout; ``show_surface`` draws one, ``clear`` hides it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.surface: LossSurface | None = None
        self.path: list[tuple[float, float]] = []
        self.isocurves: list = []
        self._plot = None
        self.readout = QLabel()
        self.readout.setWordWrap(True)
        self.readout.setAccessibleName(self.tr("Loss surface numbers"))
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.readout)
        theme.follow(self, self._restyle)

    def ensure_plot(self):  # noqa: ANN201 - a pyqtgraph PlotWidget, made on first use
        if self._plot is None:
            import pyqtgraph as pg

            from .plot_style import make_plot

            plot = make_plot(160)
            self.image = pg.ImageItem(axisOrder="row-major")
            plot.addItem(self.image)
            self.trail = plot.plot()
            self.arrow = plot.plot()
            self.point = pg.ScatterPlotItem(size=11)
            plot.addItem(self.point)
            self._layout.insertWidget(0, plot, 1)
            self._plot = plot
        return self._plot

    def clear(self) -> None:
        self.surface, self.path = None, []
        if self._plot is not None:
            self._plot.hide()
        self.readout.setText("")
        self.hide()

    def show_surface(self, surface: LossSurface, labels: tuple[str, str], target: str,
                     path: list[tuple[float, float]], lr: float) -> None:
        """Draw ``surface`` with ``path`` (the weights before each train step so far)."""
        self.surface, self.path, self._labels = surface, path, labels
        self.show()
        plot = self.ensure_plot()
        plot.show()
        item = plot.getPlotItem()
        item.setLabel("bottom", labels[0])
        item.setLabel("left", labels[1])
        item.setTitle(self.tr("%1 over %2 and %3").replace("%1", target)
                      .replace("%2", labels[0]).replace("%3", labels[1]), size="10pt")
        xs, ys = surface.xs, surface.ys
        self.image.setImage(_shading(surface.losses))
        self.image.setRect(QRectF(xs[0], ys[0], xs[-1] - xs[0], ys[-1] - ys[0]))
        self._draw_isocurves()
        self.point.setData([surface.point[0]], [surface.point[1]])
        trail = [*path, surface.point] if path else []
        self.trail.setData([p[0] for p in trail], [p[1] for p in trail],
                           symbol="o" if trail else None, symbolSize=5)
        ga, gb = surface.grad
        norm = float(np.hypot(ga, gb))
        if norm > 0:
            length = ARROW_FRACTION * (xs[-1] - xs[0])
            tip = (surface.point[0] - length * ga / norm, surface.point[1] - length * gb / norm)
            self.arrow.setData([surface.point[0], tip[0]], [surface.point[1], tip[1]])
        else:
            self.arrow.setData([], [])
        a, b = labels
        self.readout.setText(self.tr(
            "%1 = %2, %3 = %4 · %5 = %6\ngradient (%1.grad, %3.grad) = (%7, %8); the arrow "
            "points down it, where a train step (lr %9) goes").replace("%1", a)
            .replace("%2", number(surface.point[0])).replace("%3", b)
            .replace("%4", number(surface.point[1])).replace("%5", target)
            .replace("%6", number(surface.loss)).replace("%7", number(ga))
            .replace("%8", number(gb)).replace("%9", f"{lr:g}"))
        self._restyle()

    def _draw_isocurves(self) -> None:
        import pyqtgraph as pg

        for iso in self.isocurves:
            iso.setParentItem(None)
            if iso.scene() is not None:
                iso.scene().removeItem(iso)
        self.isocurves = []
        assert self.surface is not None
        data = np.where(np.isfinite(self.surface.losses), self.surface.losses, np.nan)
        for level in self.surface.levels():
            iso = pg.IsocurveItem(data, float(level), axisOrder="row-major")
            iso.setParentItem(self.image)  # drawn in the image's coordinates: the weights
            self.isocurves.append(iso)

    def _restyle(self) -> None:
        self.readout.setStyleSheet(f"color: {theme.current().text};")
        if self._plot is None:
            return
        import pyqtgraph as pg

        from .plot_style import style_plot

        c = style_plot(self._plot, self, self.trail, self.point)
        low, high = pg.mkColor(c.background), pg.mkColor(c.loss)
        high.setAlpha(110)
        self.image.setLookupTable(_ramp(low, high))
        for iso in self.isocurves:
            iso.setPen(pg.mkPen(c.text, width=1))
        self.arrow.setPen(pg.mkPen(c.gradient, width=2))


def _shading(losses: np.ndarray) -> np.ndarray:
    """The losses ranked into 0..1 (low to high), so the shading shows a valley's shape
    whatever the loss's scale; points with no finite loss get the highest shade."""
    finite = np.isfinite(losses)
    shade = np.ones_like(losses)
    if finite.any():
        values = losses[finite]
        ranks = np.searchsorted(np.sort(values), values, side="right") / values.size
        shade[finite] = ranks
    return shade


def _ramp(low, high) -> np.ndarray:  # noqa: ANN001 - QColors
    """A 256-entry RGBA lookup table from ``low`` to ``high``."""
    t = np.linspace(0.0, 1.0, 256)[:, None]
    a = np.array(low.getRgb(), dtype=float)
    b = np.array(high.getRgb(), dtype=float)
    return (a + (b - a) * t).astype(np.uint8)
