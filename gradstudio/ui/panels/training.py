"""Training: the loss per step and every weight's value over the steps, the current
learning rate, and a Train button that runs N steps in slices (progress bar, Cancel) so the
window stays responsive.

The data plotted is the session's training history (``Session.history``,
``graph/train_history.py``: each finished run's losses and weight values, the loss after its
last update), so undoing a run takes its steps off the plots. Both plots show the state
after k steps: the loss curve starts at k = 0 (the loss before any update) and ends at the
loss the last step left, so a single step draws a line; points get a marker while there are
few of them. The step axis shows whole steps only. pyqtgraph is imported only when the
panel is first shown, and at start-up only once the window's first frame is painted
(``after_first_paint``), so the window does not wait for it.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gradstudio.graph import MAX_TRAIN_STEPS, Change, ModelEvent, TrainRun, TrainStep
from gradstudio.graph.laid_open import STEP_ORDER, STEP_ORDER_NOTE, loss_line, step_rows
from gradstudio.graph.train_history import TrainHistory

from .. import theme
from ..first_paint import after_first_paint

if TYPE_CHECKING:
    from ..document import Document

__all__ = ["TrainingPanel", "STEP_HEADERS"]

STEP_HEADERS = ("weight", "w", "w.grad", "Δw = −lr·w.grad", "w′")

PREVIEW_SECONDS = 0.15
MARKERS_UP_TO = 60  # points on a curve drawn with a marker each, up to this many


def _step_axis():  # noqa: ANN202 - a pyqtgraph AxisItem, made once pyqtgraph is imported
    """A bottom axis that labels whole steps only: 0, 1, 2, not 0.0, 0.2, 0.4, ..."""
    import pyqtgraph as pg

    class StepAxis(pg.AxisItem):
        def tickValues(self, minVal, maxVal, size):  # noqa: ANN001, ANN202, N802, N803
            levels = [(spacing, [v for v in values if float(v).is_integer()])
                      for spacing, values in super().tickValues(minVal, maxVal, size)
                      if spacing >= 1]
            if levels:
                return levels
            whole = range(math.ceil(minVal), math.floor(maxVal) + 1)  # too close for Qt's ticks
            step = max(1, math.ceil(len(whole) / 8))
            return [(float(step), [float(v) for v in whole[::step]])]

    return StepAxis(orientation="bottom")


class TrainingPanel(QWidget):
    """The 'Training' dock."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.job = None  # the TrainJob started here, while it runs
        self._bar: tuple[int, int, int] | None = None  # the finished run the bar counts:
        # the session's steps after it, the bar's value and maximum
        self._plots = None  # (loss PlotWidget, weights PlotWidget), made on first show
        self._curves: dict[str, object] = {}
        self._last_preview = 0.0
        self._make_widgets()
        document.model_changed.connect(self._on_model_event)
        document.trained.connect(self._on_trained)
        document.session_restored.connect(self._on_restored)
        document.reset.connect(self._on_reset)
        theme.follow(self, self._restyle)
        self._restyle()
        self.refresh()

    def _make_widgets(self) -> None:
        self.lr_label = QLabel()
        self.lr_label.setToolTip(self.tr("The learning rate of w -= lr * w.grad; change it in "
                                         "the toolbar"))
        self.steps_box = QSpinBox()
        self.steps_box.setRange(1, MAX_TRAIN_STEPS)
        self.steps_box.setValue(100)
        self.steps_box.setPrefix(self.tr("steps "))
        self.steps_box.setAccessibleName(self.tr("Number of steps"))
        self.train_button = QPushButton(self.tr("Train"))
        self.train_button.setToolTip(self.tr("Run the steps; each is %1 (%2)")
                                     .replace("%1", STEP_ORDER).replace("%2", STEP_ORDER_NOTE))
        self.train_button.clicked.connect(self.train)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat(self.tr("%v / %m steps"))
        self.progress.setTextVisible(False)  # until there is something to count
        self.progress.setMinimumWidth(80)
        self.log_box = QCheckBox(self.tr("log scale"))
        self.log_box.setToolTip(self.tr("Show the loss on a logarithmic scale"))
        self.log_box.toggled.connect(self._set_log)
        self.reset_button = QPushButton(self.tr("Reset history"))
        self.reset_button.setToolTip(self.tr("Forget the plotted steps (the weights stay)"))
        self.reset_button.clicked.connect(self.reset_history)
        self.status = QLabel()
        self.order = QLabel(self.tr("Each step: %s, then zero grad again.") % STEP_ORDER)
        self.order.setWordWrap(True)
        self.order.setAccessibleName(self.tr("Order of a train step"))
        self.step_title = QLabel()  # "Last step (#3): loss 6.7012 → 4.1093"
        self.step_title.setAccessibleName(self.tr("Last train step"))
        self.step_table = QTableWidget(0, len(STEP_HEADERS))
        self.step_table.setHorizontalHeaderLabels([self.tr(h) for h in STEP_HEADERS])
        self.step_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.step_table.verticalHeader().hide()
        self.step_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.step_table.setAccessibleName(self.tr("The last train step laid open"))
        step_box = QVBoxLayout()
        step_box.setContentsMargins(0, 0, 0, 0)
        step_box.addWidget(self.order)
        step_box.addWidget(self.step_title)
        step_box.addWidget(self.step_table, 1)
        self.step_panel = QWidget()
        self.step_panel.setLayout(step_box)
        self.step_panel.setMinimumWidth(300)

        controls = QHBoxLayout()
        controls.addWidget(self.lr_label)
        controls.addSpacing(8)
        for w in (self.steps_box, self.train_button, self.cancel_button):
            controls.addWidget(w)
        controls.addWidget(self.progress, 1)
        controls.addWidget(self.log_box)
        controls.addWidget(self.reset_button)
        self.plot_area = QHBoxLayout()
        self.plot_area.addWidget(self.step_panel, 1)  # the plots go before it when made
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(controls)
        layout.addLayout(self.plot_area, 1)
        layout.addWidget(self.status)

    def sizeHint(self) -> QSize:  # noqa: N802 - plots would ask for far more
        return QSize(640, 240)

    # --- what is shown: the session's history -------------------------------------------------
    @property
    def history(self) -> TrainHistory:
        return self.document.session.history

    @property
    def losses(self) -> list[float]:
        """Each recorded step's loss, before its update."""
        return self.history.losses

    @property
    def loss_now(self) -> float | None:
        """The loss after the last recorded step's update."""
        return self.history.loss_now

    @property
    def weight_history(self) -> dict[str, list[float]]:
        """Each weight curve's value after every recorded step."""
        return self.history.weights

    @property
    def last_step(self) -> tuple[TrainStep, float | None, int] | None:
        """The last step, the loss after it, and its number in the history."""
        return self.history.last_step

    # --- plots --------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        after_first_paint(self, self.ensure_plots)  # at start-up: once the window is on screen

    def ensure_plots(self) -> tuple:
        """Create the two plots (importing pyqtgraph) if not done yet; returns them."""
        if self._plots is None:
            import pyqtgraph as pg

            plots = []
            for title, left in ((self.tr("Loss"), self.tr("loss")),
                                (self.tr("Weights"), self.tr("value"))):
                plot = pg.PlotWidget(axisItems={"bottom": _step_axis()})
                plot.setMinimumHeight(120)
                item = plot.getPlotItem()
                item.setTitle(title, size="10pt")
                item.showGrid(x=True, y=True, alpha=0.25)
                item.setLabel("bottom", self.tr("step"))
                item.setLabel("left", left)
                for name in ("left", "bottom"):
                    item.getAxis(name).enableAutoSIPrefix(False)
                self.plot_area.insertWidget(len(plots), plot, 1)
                plots.append(plot)
            self._legend = plots[1].getPlotItem().addLegend(offset=(-8, 8))
            self._loss_curve = plots[0].plot()
            self._plots = tuple(plots)
            self._restyle()
            self._set_log(self.log_box.isChecked())
            self._redraw()
        return self._plots

    def _restyle(self) -> None:
        """Colours from the theme: now and whenever the app switches light/dark."""
        c = theme.current()
        self.status.setStyleSheet(f"color: {c.muted};")
        self.order.setStyleSheet(f"color: {c.muted};")
        if self._plots is None:
            return
        import pyqtgraph as pg

        base = self.palette().base().color()
        for plot in self._plots:
            plot.setBackground(base)
            item = plot.getPlotItem()
            item.titleLabel.setText(item.titleLabel.text, color=c.text)
            for name in ("left", "bottom"):
                axis = item.getAxis(name)
                axis.setPen(pg.mkPen(c.border))
                axis.setTextPen(pg.mkPen(c.muted))
                axis.setLabel(axis.labelText, color=c.muted)
        self._legend.setLabelTextColor(c.text)
        for _sample, label in self._legend.items:  # drawn again, in the new colour
            label.setText(label.text, color=c.text)
        see_through = QColor(base)
        see_through.setAlpha(190)  # a point under the legend still shows
        self._legend.setBrush(pg.mkBrush(see_through))
        self._legend.setPen(pg.mkPen(c.border))
        self._paint_curve(self._loss_curve, c.loss)
        for i, key in enumerate(self.weight_history):
            if key in self._curves:
                self._paint_curve(self._curves[key], c.series[i % len(c.series)])

    @staticmethod
    def _paint_curve(curve, color: str) -> None:  # noqa: ANN001 - a pyqtgraph PlotDataItem
        """A curve's line and its markers in one colour."""
        import pyqtgraph as pg

        curve.setPen(pg.mkPen(color, width=2))
        curve.setSymbolBrush(pg.mkBrush(color))
        curve.setSymbolPen(pg.mkPen(color))

    def _set_log(self, on: bool) -> None:
        if self._plots is not None:
            self._plots[0].getPlotItem().setLogMode(y=on)

    def _redraw(self) -> None:
        if self._plots is None:
            return
        losses = self.losses
        if self.loss_now is not None:
            losses = [*losses, self.loss_now]  # where the last step left the loss
        self._set_points(self._loss_curve, np.arange(len(losses)), losses)
        weights = self._plots[1]
        for key in [k for k in self._curves if k not in self.weight_history]:
            weights.removeItem(self._curves.pop(key))
        series = theme.current().series
        for i, (key, values) in enumerate(self.weight_history.items()):
            curve = self._curves.get(key)
            if curve is None:
                curve = self._curves[key] = weights.plot(name=key, connect="finite")
                self._paint_curve(curve, series[i % len(series)])
            self._set_points(curve, np.arange(1, len(values) + 1), values)
        self._legend.setVisible(bool(self.weight_history))

    @staticmethod
    def _set_points(curve, xs: np.ndarray, ys: list[float]) -> None:  # noqa: ANN001
        curve.setData(xs, np.asarray(ys, float), symbol="o" if len(ys) <= MARKERS_UP_TO
                      else None, symbolSize=6)

    def _reset_ranges(self) -> None:
        """Forget where the plots were zoomed: the next steps are shown from 0 again."""
        if self._plots is None:
            return
        for plot in self._plots:
            plot.getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0.05)
            plot.enableAutoRange()

    # --- training -----------------------------------------------------------------------------
    def train(self) -> None:
        """Start training the number of steps in the box; the Cancel button stops it."""
        if self.job is not None:
            return
        steps = self.steps_box.value()
        self.progress.setRange(0, steps)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.train_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.job = self.document.start_training(steps)
        self.job.progress.connect(self._on_progress)
        self.job.finished.connect(self._on_finished)
        self.status.setText(self.tr("Training…"))

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)

    def _on_progress(self, steps: list[TrainStep]) -> None:
        done, loss = steps[-1].number, steps[-1].loss
        self.progress.setValue(done)
        self.status.setText(self.tr("step %1 of %2 — loss %3")
                            .replace("%1", str(done)).replace("%2", str(self.progress.maximum()))
                            .replace("%3", f"{loss:.6g}"))
        now = time.monotonic()
        if self.job is not None and now - self._last_preview > PREVIEW_SECONDS:
            self._last_preview = now
            self._redraw()  # the steps so far are in the session's history

    def _on_finished(self) -> None:
        job, self.job = self.job, None
        self.train_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if job is not None and job.taken_back:  # an undo took its steps back: refreshed then
            self._clear_progress()
            return
        if job is not None:
            self.progress.setValue(len(job.run.steps))
            # the bar counts this run: its count goes while an undo has taken the run back
            self._bar = (len(self.document.session.loss_history), self.progress.value(),
                         self.progress.maximum())
        cancelled = bool(job and job.cancelled)
        if job is not None and job.run.steps:  # Document.trained has just refreshed the panel
            self._update_status(cancelled)
        else:
            self.refresh(cancelled)

    def refresh(self, cancelled: bool = False) -> None:
        """Re-render plots, status line and lr from the recorded runs (the panel's one
        refresh; only a run in progress previews its steps on its own)."""
        self._redraw()
        self._update_status(cancelled)
        self._show_lr()
        self._show_last_step()

    def reset_history(self) -> None:
        """Forget the plotted steps; the weights keep their values."""
        self.history.clear()
        self.refresh()
        self._reset_ranges()

    # --- following the document -------------------------------------------------------------
    def _on_model_event(self, event: ModelEvent) -> None:
        if event.kind is Change.SETTINGS_CHANGED:
            self.refresh()

    def _on_trained(self, _run: TrainRun) -> None:
        """A finished run, already in the session's history (Document._finish_training)."""
        self.refresh()

    def _on_restored(self) -> None:
        """An undo or redo of a train run: the history as it was then, no run's progress
        (the bar counted a run's steps, not the history's); back to no steps, the plots'
        ranges start afresh too, as before any step."""
        self.refresh()
        if self.job is None and self._bar is not None:
            steps_then, value, maximum = self._bar
            if len(self.document.session.loss_history) < steps_then:
                self._clear_progress()
            else:  # a redo brought the run back
                self.progress.setRange(0, maximum)
                self.progress.setValue(value)
                self.progress.setTextVisible(True)
        if not self.losses:
            self._reset_ranges()

    def _clear_progress(self) -> None:
        """The progress bar as before any run: empty, no count."""
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)

    def _on_reset(self) -> None:
        self.reset_history()

    # --- the last step laid open --------------------------------------------------------------
    def _show_last_step(self) -> None:
        """The last step's numbers, from its TrainStep record: per weight w, w.grad, Δw, w′,
        and the loss before → after."""
        if self.last_step is None:
            self.step_title.setText(self.tr("After a train step its numbers appear here."))
            self.step_table.setRowCount(0)
            return
        step, after, number = self.last_step
        lr = "" if step.lr is None else f" · lr {step.lr:g}"
        self.step_title.setText(self.tr("Last step (#%1)%2: %3").replace("%1", str(number))
                                .replace("%2", lr).replace("%3", loss_line(step.loss, after)))
        rows = step_rows(self.document.model, step)
        self.step_table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate((row.weight, row.value, row.grad, row.delta, row.new)):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.step_table.setItem(r, c, item)

    def step_cells(self) -> list[list[str]]:
        """The laid-open table's text, row by row (what a person reads)."""
        t = self.step_table
        return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]

    # --- labels -------------------------------------------------------------------------------
    def _show_lr(self) -> None:
        self.lr_label.setText(self.tr("lr <b>%s</b>") % f"{self.document.model.settings.lr:g}")

    @property
    def lr_text(self) -> str:
        return self.lr_label.text()

    def _update_status(self, cancelled: bool = False) -> None:
        if not self.losses:
            self.status.setText(self.tr("No training yet: Train, or Train Step (F8)."))
            return
        n = len(self.losses)
        last = self.losses[-1] if self.loss_now is None else self.loss_now
        text = (self.tr("1 step") if n == 1 else self.tr("%s steps") % n) + (
            f" · loss {self.losses[0]:.6g} → {last:.6g}")
        if cancelled:
            text += " · " + self.tr("cancelled")
        self.status.setText(text)
