"""The loss plots' shared look (the slice and the surface): one way to make a pyqtgraph
plot and to colour its axes, the path a weight took and the point where it is, from the
theme. Callers import this module only when a plot is first wanted (pyqtgraph is heavy)."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from .. import theme

__all__ = ["make_plot", "style_plot"]


def make_plot(min_height: int) -> Any:
    """A plot widget with plain axis numbers (no SI prefixes such as 'm' or 'µ')."""
    plot = pg.PlotWidget()
    plot.setMinimumHeight(min_height)
    item = plot.getPlotItem()
    for name in ("left", "bottom"):
        item.getAxis(name).enableAutoSIPrefix(False)
    return plot


def style_plot(plot: Any, owner: QWidget, trail: Any, point: Any) -> theme.Theme:
    """Theme colours on the plot's background and axes, the dotted path (``trail``) and the
    current point; returns the theme for the caller's own items."""
    c = theme.current()
    plot.setBackground(owner.palette().base().color())
    item = plot.getPlotItem()
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(c.border))
        axis.setTextPen(pg.mkPen(c.muted))
    trail.setPen(pg.mkPen(c.muted, width=1, style=Qt.DotLine))
    trail.setSymbolBrush(pg.mkBrush(c.muted))
    trail.setSymbolPen(pg.mkPen(c.muted))
    point.setBrush(pg.mkBrush(c.selection))
    point.setPen(pg.mkPen(c.text))
    return c
