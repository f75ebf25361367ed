"""Loss slice: the loss as the selected scalar weight alone varies, the point where the
weight is, and the tangent there whose slope is the weight's gradient; after train steps,
the points the weight went through. The numbers are the graph layer's
(graph/loss_slice.py); this panel only draws them.

The range stays put while the weight stays in its middle part, so a train step visibly
moves the point downhill instead of the axis under it; it is centred again when the weight
leaves it or another weight is selected. With two scalar weights selected the dock shows
their loss surface instead (ui/panels/loss_surface.py), with the path training took.
pyqtgraph is imported when the panel is first shown, not at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gradstudio.graph import Change, GraphError, ModelEvent, TrainRun, kind
from gradstudio.graph.laid_open import number
from gradstudio.graph.loss_slice import LossSlice, loss_slice
from gradstudio.graph.loss_surface import (
    LossSurface,
    StepTrail,
    loss_surface,
    path_before_steps,
)

from .. import theme
from .loss_surface import LossSurfaceView

if TYPE_CHECKING:
    from ..canvas.view import GraphView
    from ..document import Document

__all__ = ["LossSlicePanel", "KEEP_RANGE"]

KEEP_RANGE = 0.1  # the range is kept while the weight is this fraction away from its ends
SURFACE_SECONDS = 0.3  # a surface is computed on the GUI thread: a coarser grid past this


class LossSlicePanel(QWidget):
    """The 'Loss slice' dock: follows the canvas selection."""

    def __init__(self, document: Document, view: GraphView, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.document, self.view = document, view
        self.node: str | None = None  # the weight shown
        self.current: LossSlice | None = None
        self._trail = StepTrail()  # (w, loss) before each train step
        self._span: tuple[float, float] | None = None
        self.pair: tuple[str, str] | None = None  # the two weights of the surface shown
        self._pair_trail = StepTrail()  # (w1, w2) before each train step
        self._spans: tuple[tuple[float, float], tuple[float, float]] | None = None
        self.surface_view = LossSurfaceView()
        self.surface_view.hide()
        self._plot = None  # made on first show
        self._dirty = True
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.readout = QLabel()
        self.readout.setWordWrap(True)
        self.readout.setAccessibleName(self.tr("Loss slice numbers"))
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.addWidget(self.hint)
        self._layout.addWidget(self.readout)
        self._layout.addWidget(self.surface_view, 1)
        self._timer = QTimer(self, singleShot=True, interval=0)  # one redraw for a burst
        self._timer.timeout.connect(self.refresh)
        view.scene().selectionChanged.connect(self._changed)
        document.model_changed.connect(self._on_model_event)
        document.evaluated.connect(lambda _: self._changed())
        document.trained.connect(self._on_trained)
        document.session_restored.connect(self._on_restored)
        document.reset.connect(self._on_reset)
        theme.follow(self, self._restyle)
        self._restyle()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(320, 300)

    # --- following the document -------------------------------------------------------------
    def _changed(self) -> None:
        self._dirty = True
        if self.isVisible():
            self._timer.start()

    def _on_model_event(self, event: ModelEvent) -> None:
        if event.kind is not Change.NODE_MOVED and not event.kind.is_annotation:
            self._changed()

    @property
    def path(self) -> list[tuple[float, ...]]:
        """(w, loss) before each train step since the weight was selected."""
        return self._trail.points

    @property
    def pair_path(self) -> list[tuple[float, ...]]:
        """The two weights before each train step since they were selected."""
        return self._pair_trail.points

    def _on_trained(self, run: TrainRun) -> None:
        """Remember where each step started, from the run's records (each step's updates
        are where the next one starts; the first starts where the point was drawn)."""
        steps_now = len(self.document.session.loss_history)
        if self.node is not None and self.current is not None:
            start = path_before_steps(run.steps, [self.node], [self.current.w])
            self._trail.add([(w, step.loss) for (w,), step in zip(start, run.steps,
                                                                  strict=True)], steps_now)
        surface = self.surface_view.surface
        if self.pair is not None and surface is not None:
            self._pair_trail.add(path_before_steps(run.steps, self.pair, surface.point),
                                 steps_now)
        self._changed()

    def _on_restored(self) -> None:
        """An undo or redo of a train run: the trails as the session's steps are now."""
        steps_now = len(self.document.session.loss_history)
        self._trail.follow(steps_now)
        self._pair_trail.follow(steps_now)
        self._changed()

    def _on_reset(self) -> None:
        self.node, self._span = None, None
        self.pair, self._spans = None, None
        self._trail.clear()
        self._pair_trail.clear()
        self._changed()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._dirty:
            self.refresh()

    # --- rendering --------------------------------------------------------------------------
    def _selected_leaf(self) -> tuple[str | None, str]:
        """The selected node if it can be sliced, else None and why not."""
        ids = [n for n in self.view.selected_node_ids() if n in self.document.model]
        if len(ids) != 1:
            return None, self.tr("Select one scalar weight (a leaf that requires grad) to see "
                                 "the loss as that weight alone varies, or two (Ctrl+click) "
                                 "to see the loss surface over both.")
        data = self.document.model.node(ids[0])
        if not kind(data.kind).is_leaf:
            return None, self.tr("%s is computed: select a weight (a leaf that requires grad)."
                                 ) % data.label
        return ids[0], ""

    def refresh(self) -> None:
        """Compute and draw the slice of the selected weight, or the surface of the two
        selected (or say why there is none)."""
        self._dirty = False
        ids = [n for n in self.view.selected_node_ids() if n in self.document.model]
        if len(ids) == 2:  # in the graph's order, so the axes do not swap
            order = self.document.model.node_ids()
            a, b = sorted(ids, key=order.index)
            self._refresh_pair((a, b))
            return
        self.pair, self._spans = None, None
        self._pair_trail.clear()
        self.surface_view.clear()
        node, why = self._selected_leaf()
        if node != self.node:
            self.node, self._span = node, None
            self._trail.clear()
        self.current = None
        if node is not None:
            try:
                self.current = self._compute(node)
            except GraphError as e:
                why = str(e)
        self.hint.setText(why)
        self.hint.setVisible(bool(why))
        self._draw()

    def _refresh_pair(self, pair: tuple[str, str]) -> None:
        self.node, self._span, self.current = None, None, None
        self._trail.clear()
        self._draw()  # the slice's plot and readout go
        if set(pair) != set(self.pair or ()):
            self.pair, self._spans = pair, None
            self._pair_trail.clear()
        model = self.document.model
        why = ""
        try:
            surface = self._compute_surface(self.pair)
        except GraphError as e:
            why, surface = str(e), None
        self.hint.setText(why)
        self.hint.setVisible(bool(why))
        if surface is None:
            self.surface_view.clear()
            return
        self.surface_view.show_surface(
            surface, (model.label(self.pair[0]), model.label(self.pair[1])),
            model.label(surface.target), self.pair_path, model.settings.lr)

    def _compute_surface(self, pair: tuple[str, str]) -> LossSurface:
        """The surface over the spans kept while the point stays in their middle part."""
        s = loss_surface(self.document.session, *pair, spans=self._spans,
                         budget=SURFACE_SECONDS)
        inside = all(lo + KEEP_RANGE * (hi - lo) <= p <= hi - KEEP_RANGE * (hi - lo)
                     for (lo, hi), p in zip(((s.xs[0], s.xs[-1]), (s.ys[0], s.ys[-1])),
                                            s.point, strict=True))
        if self._spans is not None and not inside:
            # centred on the point again, wide enough for the path so far
            s = loss_surface(self.document.session, *pair, covering=self.pair_path,
                             budget=SURFACE_SECONDS)
        self._spans = ((float(s.xs[0]), float(s.xs[-1])), (float(s.ys[0]), float(s.ys[-1])))
        return s

    def _compute(self, node: str) -> LossSlice:
        s = loss_slice(self.document.session, node, self._span)
        lo, hi = s.xs[0], s.xs[-1]
        margin = KEEP_RANGE * (hi - lo)
        if self._span is not None and not lo + margin <= s.w <= hi - margin:
            s = loss_slice(self.document.session, node)  # centred on the weight again
        self._span = (float(s.xs[0]), float(s.xs[-1]))
        return s

    def ensure_plot(self):  # noqa: ANN201 - a pyqtgraph PlotWidget, made once shown
        """Create the plot (importing pyqtgraph) if not done yet; returns it."""
        if self._plot is None:
            import pyqtgraph as pg

            from .plot_style import make_plot

            plot = make_plot(120)
            item = plot.getPlotItem()
            item.showGrid(x=True, y=True, alpha=0.25)
            item.setLabel("left", self.tr("loss"))
            self.curve = plot.plot()
            self.tangent = plot.plot()
            self.trail = plot.plot()
            self.point = pg.ScatterPlotItem(size=11)
            plot.addItem(self.point)
            self._layout.insertWidget(1, plot, 1)
            self._plot = plot
            self._restyle()
        return self._plot

    def _draw(self) -> None:
        s = self.current
        if s is None:
            self.readout.setText("")
            if self._plot is not None:
                self._plot.hide()
            return
        plot = self.ensure_plot()
        plot.show()
        label = self.document.model.label(s.node)
        target = self.document.model.label(s.target)
        item = plot.getPlotItem()
        item.setLabel("bottom", label)
        item.setLabel("left", target)
        item.setTitle(self.tr("%1 as %2 alone varies").replace("%1", target)
                      .replace("%2", label), size="10pt")
        self.curve.setData(s.xs, s.losses, connect="finite")
        lo, hi = s.xs[0], s.xs[-1]
        half = (hi - lo) / 4  # a tangent across half the range: long enough to see its slope
        xs = np.array([max(lo, s.w - half), min(hi, s.w + half)])
        self.tangent.setData(xs, s.tangent(xs))
        trail = [*self.path, (s.w, s.loss)] if self.path else []
        self.trail.setData([p[0] for p in trail], [p[1] for p in trail],
                           symbol="o" if trail else None, symbolSize=6)
        self.point.setData([s.w], [s.loss])
        lr = self.document.model.settings.lr
        self.readout.setText(self.tr(
            "%1 = %2 · %3 = %4\n%8\nnext step (lr %6): "
            "Δ%1 = −lr·%1.grad = %7").replace("%1", label).replace("%2", number(s.w))
            .replace("%3", target).replace("%4", number(s.loss))
            .replace("%6", f"{lr:g}").replace("%7", number(-lr * s.slope))
            .replace("%8", self._slope_line(s, label, target))
            + (f"\n{s.note()}" if s.note() else ""))

    def _slope_line(self, s: LossSlice, label: str, target: str) -> str:
        """The tangent's slope is what one Backward from zero gives: say so when the
        weight's .grad holds something else (passes added up, or a train step zeroed it)."""
        grad = self.document.session.grad(s.node)
        held = None if grad is None else float(np.asarray(grad.detach().numpy()).item())
        if held is None or np.isclose(held, s.slope, rtol=1e-6, atol=0.0):
            return self.tr("tangent slope = %1.grad = %2").replace("%1", label).replace(
                "%2", number(s.slope))
        return (self.tr("tangent slope = ∂%1/∂%2 = %3, what one Backward from zero puts in "
                        "%2.grad (it holds %4 now)").replace("%1", target).replace("%2", label)
                .replace("%3", number(s.slope)).replace("%4", number(held)))

    def point_data(self) -> tuple[float, float] | None:
        """Where the current point is drawn (x = the weight, y = the loss)."""
        if self._plot is None or not self._plot.isVisible():
            return None
        xs, ys = self.point.getData()
        return float(xs[0]), float(ys[0])

    def _restyle(self) -> None:
        """Colours from the theme: now and whenever the app switches light/dark."""
        c = theme.current()
        self.hint.setStyleSheet(f"color: {c.muted};")
        self.readout.setStyleSheet(f"color: {c.text};")
        if self._plot is None:
            return
        import pyqtgraph as pg
        from PySide6.QtCore import Qt

        from .plot_style import style_plot

        style_plot(self._plot, self, self.trail, self.point)
        self.curve.setPen(pg.mkPen(c.text, width=2))  # apart from the orange tangent
        self.tangent.setPen(pg.mkPen(c.gradient, width=2, style=Qt.DashLine))
        if self.current is not None:
            self._draw()
