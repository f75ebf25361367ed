"""The window's actions, menus and toolbar, with standard shortcuts.

Shortcuts come from QKeySequence.StandardKey where one exists; Quit also answers Ctrl+Q
because some platforms (and offscreen Qt) have no standard Quit key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDoubleSpinBox, QInputDialog, QMenu, QToolBar

from gradstudio.resources import example_paths

from .commands import SetSetting

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["build_actions"]

EXAMPLE_TITLES = {
    "square": "1. y = x²", "sin_of_square": "2. z = sin(x²)",
    "small_network": "3. A small neural network (BCE)", "vector_mean": "4. Vectors: mean(x²)",
    "accumulation": "5. Gradients accumulate", "requires_grad_off": "6. requires_grad_(False)",
    "detach": "7. detach()", "no_grad": "8. torch.no_grad()",
}


def _shortcuts(*keys: QKeySequence.StandardKey | str) -> list[QKeySequence]:
    out: list[QKeySequence] = []
    for k in keys:
        seqs = QKeySequence.keyBindings(k) if isinstance(k, QKeySequence.StandardKey) \
            else [QKeySequence(k)]
        for s in seqs:
            if not s.isEmpty() and s not in out:
                out.append(s)
    return out


def build_actions(w: MainWindow) -> dict[str, object]:
    """Create every action of the window, its menus and toolbar; returns them by name."""
    acts: dict[str, object] = {}
    doc, edit, view = w.document, w.edit, w.view

    def act(name: str, text: str, slot: Callable, *keys: object, checkable: bool = False,
            tip: str = "") -> QAction:
        a = QAction(w.tr(text), w)
        a.setObjectName(f"action.{name}")
        if keys:
            a.setShortcuts(_shortcuts(*keys))
        a.setCheckable(checkable)
        if tip:
            a.setToolTip(w.tr(tip))
            a.setStatusTip(w.tr(tip))
        a.triggered.connect(slot)
        w.addAction(a)  # shortcuts work wherever focus is in the window
        acts[name] = a
        return a

    bar = w.menuBar()
    # File
    m = bar.addMenu(w.tr("&File"))
    m.addAction(act("new", "&New", w.new_file, QKeySequence.New))
    m.addAction(act("open", "&Open…", lambda: w.open_file(), QKeySequence.Open))
    examples = m.addMenu(w.tr("Open &Example"))
    for name in example_paths():
        examples.addAction(act(f"example.{name}", EXAMPLE_TITLES.get(name, name),
                               lambda _=False, n=name: w.open_example(n)))
    recent = m.addMenu(w.tr("Open &Recent"))
    recent.aboutToShow.connect(lambda: _fill_recent(w, recent))
    acts["menu.recent"] = recent
    m.addSeparator()
    m.addAction(act("save", "&Save", w.save, QKeySequence.Save))
    m.addAction(act("save_as", "Save &As…", w.save_as, QKeySequence.SaveAs))
    export = m.addMenu(w.tr("&Export"))
    export.addAction(act("export_png", "Canvas as &PNG…", lambda: w.export_image(fmt="png")))
    export.addAction(act("export_svg", "Canvas as &SVG…", lambda: w.export_image(fmt="svg")))
    m.addSeparator()
    m.addAction(act("quit", "&Quit", w.close, QKeySequence.Quit, "Ctrl+Q"))

    # Edit
    m = bar.addMenu(w.tr("&Edit"))
    undo = doc.undo_stack.createUndoAction(w, w.tr("&Undo"))
    undo.setShortcuts(_shortcuts(QKeySequence.Undo))
    redo = doc.undo_stack.createRedoAction(w, w.tr("&Redo"))
    redo.setShortcuts(_shortcuts(QKeySequence.Redo))
    for name, a in (("undo", undo), ("redo", redo)):
        a.setObjectName(f"action.{name}")
        w.addAction(a)
        m.addAction(a)
        acts[name] = a
    m.addSeparator()
    m.addAction(act("cut", "Cu&t", edit.cut, QKeySequence.Cut))
    m.addAction(act("copy", "&Copy", edit.copy, QKeySequence.Copy))
    m.addAction(act("paste", "&Paste", edit.paste, QKeySequence.Paste))
    m.addAction(act("duplicate", "D&uplicate", edit.duplicate, "Ctrl+D"))
    m.addAction(act("delete", "&Delete", edit.delete_selection, QKeySequence.Delete,
                    "Backspace"))
    m.addSeparator()
    m.addAction(act("select_all", "Select &All", edit.select_all, QKeySequence.SelectAll))

    # View
    m = bar.addMenu(w.tr("&View"))
    acts["menu.view"] = m
    m.addAction(act("fit", "&Fit View", view.fit, "F"))
    m.addAction(act("zoom_in", "Zoom &In", lambda: view.zoom_by(1.25), QKeySequence.ZoomIn))
    m.addAction(act("zoom_out", "Zoom &Out", lambda: view.zoom_by(0.8), QKeySequence.ZoomOut))
    m.addAction(act("zoom_reset", "&Actual Size", lambda: view.zoom_by(1 / view.zoom()),
                    "Ctrl+0"))
    m.addAction(act("snap", "&Snap to Grid", lambda on: view.scene().set_snap_to_grid(on),
                    checkable=True))

    # Run
    m = bar.addMenu(w.tr("&Run"))
    m.addAction(act("forward", "&Forward", doc.forward, "F5",
                    tip="Compute every node's value"))
    m.addAction(act("backward", "&Backward", lambda: doc.backward(), "F6",
                    tip="Run backward from the loss: gradients add up in the leaves"))
    m.addAction(act("zero_grad", "&Zero Grad", doc.zero_grad, "F7",
                    tip="Set every leaf's gradient to zero"))
    m.addSeparator()
    m.addAction(act("train_step", "&Train Step", lambda: doc.train(1), "F8",
                    tip="Forward, backward, w -= lr * w.grad, zero grad"))
    m.addAction(act("train_n", "Train &N Steps…", lambda: _train_n(w), "Shift+F8"))
    m.addSeparator()
    no_grad = act("no_grad", "&No-Grad Mode", doc.set_no_grad_mode, "Ctrl+Shift+G",
                  checkable=True, tip="Evaluate as inside torch.no_grad()")
    m.addAction(no_grad)
    auto = act("auto_evaluate", "&Auto-Evaluate", lambda on: setattr(doc, "auto_evaluate", on),
               checkable=True, tip="Re-evaluate after every edit")
    auto.setChecked(True)
    m.addAction(auto)
    inter = act("intermediates", "Show &Intermediate Gradients", doc.set_retain_intermediate,
                checkable=True, tip="Keep the gradient of every computed node (retain_grad)")
    inter.setChecked(doc.session.retain_intermediate)
    m.addAction(inter)

    # Help
    m = bar.addMenu(w.tr("&Help"))
    m.addAction(act("shortcuts", "&Keyboard Shortcuts", w.show_shortcuts,
                    QKeySequence.HelpContents))
    m.addAction(act("about", "&About GradStudio", w.show_about))

    _make_toolbar(w, acts)
    return acts


def _make_toolbar(w: MainWindow, acts: dict[str, object]) -> None:
    tb = QToolBar(w.tr("Run"), w)
    tb.setObjectName("toolbar.run")
    w.addToolBar(tb)
    for name in ("forward", "backward", "zero_grad", "train_step"):
        tb.addAction(acts[name])
    lr = QDoubleSpinBox()
    lr.setObjectName("lr")
    lr.setAccessibleName(w.tr("Learning rate"))
    lr.setToolTip(w.tr("Learning rate used by Train step"))
    lr.setDecimals(4)
    lr.setRange(0.0001, 100.0)
    lr.setSingleStep(0.01)
    lr.setPrefix("lr ")
    lr.setValue(w.document.model.settings.lr)
    tb.addWidget(lr)
    acts["lr_box"] = lr

    def commit() -> None:
        if abs(lr.value() - w.document.model.settings.lr) > 1e-12:
            w.document.run(SetSetting(w.document.model, "lr", lr.value()))

    def follow() -> None:
        lr.blockSignals(True)
        lr.setValue(w.document.model.settings.lr)
        lr.blockSignals(False)

    lr.editingFinished.connect(commit)
    w.document.model_changed.connect(
        lambda event: follow() if event.what == "settings_changed" else None)
    w.document.reset.connect(follow)
    tb.addAction(acts["train_n"])
    tb.addSeparator()
    for name in ("no_grad", "intermediates", "fit"):
        tb.addAction(acts[name])


def _fill_recent(w: MainWindow, menu: QMenu) -> None:
    menu.clear()
    files = w.recent_files()
    if not files:
        menu.addAction(w.tr("(none)")).setEnabled(False)
    for path in files:
        menu.addAction(path, lambda _=False, p=path: w.open_file(p))


def _train_n(w: MainWindow) -> None:
    steps, ok = QInputDialog.getInt(w, w.tr("Train"), w.tr("Number of steps:"), 100, 1, 100000)
    if ok:
        w.run_training(steps)
