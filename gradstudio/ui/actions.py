"""The window's actions, menus and toolbar, with standard shortcuts.

Shortcuts come from QKeySequence.StandardKey where one exists; Quit also answers Ctrl+Q
because some platforms (and offscreen Qt) have no standard Quit key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QInputDialog,
    QLabel,
    QMenu,
    QSlider,
    QToolBar,
    QToolButton,
)

from gradstudio.graph import LR_MAX, LR_MIN, MAX_TRAIN_STEPS, Change
from gradstudio.graph.laid_open import STEP_ORDER, STEP_ORDER_NOTE
from gradstudio.resources import example_paths, resource_path

from .canvas.arrange import arrange
from .commands import SetSetting
from .document import Message
from .first_paint import after_first_paint
from .lr_box import LearningRateBox
from .step_mode import SPEEDS

if TYPE_CHECKING:
    from .main_window import MainWindow
    from .quiz_mode import QuizMode
    from .step_mode import StepMode

__all__ = ["build_actions", "TOOLBAR_ICONS", "action_icon"]


def _compare_dialog():  # noqa: ANN202 - the module ui.compare_dialog
    """Run ▸ Compare with PyTorch and its oracle, loaded when first asked for."""
    from . import compare_dialog

    return compare_dialog


def _import_code(w: MainWindow) -> None:
    """File > Import PyTorch Code…; the code importer is loaded when first asked for, not
    at start-up."""
    from .import_dialog import show_import_dialog

    show_import_dialog(w)


# The notebook's sections, in its order; "&1" lets the keyboard pick one from the menu.
# QT_TRANSLATE_NOOP marks them for lupdate; they are translated where the menu is built.
EXAMPLE_TITLES = {
    "square": QT_TRANSLATE_NOOP("Examples", "&1. y = x²"),
    "sin_of_square": QT_TRANSLATE_NOOP("Examples", "&2. z = sin(x²)"),
    "small_network": QT_TRANSLATE_NOOP("Examples", "&3. A small neural network (BCE)"),
    "vector_mean": QT_TRANSLATE_NOOP("Examples", "&4. Vectors: mean(x²)"),
    "accumulation": QT_TRANSLATE_NOOP("Examples", "&5. Gradients accumulate"),
    "requires_grad_off": QT_TRANSLATE_NOOP("Examples", "&6. requires_grad_(False)"),
    "detach": QT_TRANSLATE_NOOP("Examples", "&7. detach()"),
    "no_grad": QT_TRANSLATE_NOOP("Examples", "&8. torch.no_grad()"),
}

DUPLICATE_KEY = "Ctrl+D"
INTRO_WIDTH = 640  # pixels of the quiz's question on its toolbar row (all of it in the tooltip)
NOTE_KEY = "Ctrl+Shift+N"  # no standard key; neither is bound by X11's tables
FRAME_KEY = "Ctrl+G"  # "group", as drawing programs have it

# Toolbar actions with an icon (resources/icons/NAME.svg); the text stays beside the icon.
TOOLBAR_ICONS = ("forward", "backward", "zero_grad", "train_step", "train_n", "no_grad",
                 "intermediates", "fit")


def action_icon(name: str) -> QIcon:
    """The SVG icon of an action (an empty icon if there is none)."""
    path = resource_path("icons", f"{name}.svg")
    return QIcon(str(path)) if path.exists() else QIcon()


# Keys a PC keyboard has: printable keys, Escape to ScrollLock, F1-F12. Platform bindings
# beyond them (X11 adds F16 and a "Copy" key to Copy) clutter the shortcuts dialog.
_LAST_PC_KEY = Qt.Key_F12


def _shortcuts(*keys: QKeySequence.StandardKey | str,
               without: tuple[str, ...] = ()) -> list[QKeySequence]:
    """The key sequences for standard keys and literal ones, each once, PC keys only;
    ``without`` drops some (X11's Delete includes Ctrl+D, which is Duplicate's)."""
    dropped = [QKeySequence(k) for k in without]
    out: list[QKeySequence] = []
    for k in keys:
        seqs = QKeySequence.keyBindings(k) if isinstance(k, QKeySequence.StandardKey) \
            else [QKeySequence(k)]
        for s in seqs:
            if s.isEmpty() or s in out or s in dropped:
                continue
            if all(s[i].key().value <= _LAST_PC_KEY.value for i in range(s.count())):
                out.append(s)
    return out


class _Builder:
    """Makes the window's actions, each named, with its shortcuts, added to the window."""

    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.actions: dict[str, QAction] = {}

    def act(self, name: str, text: str, slot: Callable, *keys: QKeySequence.StandardKey | str,
            checkable: bool = False, tip: str = "", without: tuple[str, ...] = ()) -> QAction:
        a = QAction(action_icon(name) if name in TOOLBAR_ICONS else QIcon(), text, self.w)
        if keys:
            a.setShortcuts(_shortcuts(*keys, without=without))
        a.setCheckable(checkable)
        if tip:
            a.setToolTip(tip)
            a.setStatusTip(tip)
        a.triggered.connect(slot)
        return self.add(name, a)

    def add(self, name: str, a: QAction) -> QAction:
        a.setObjectName(f"action.{name}")
        self.w.addAction(a)  # shortcuts work wherever focus is in the window
        self.actions[name] = a
        return a


def build_actions(w: MainWindow) -> dict[str, QAction]:
    """Create every action of the window, its menus and toolbar; returns the actions by
    name. Also sets ``w.recent_menu``, ``w.view_menu`` and ``w.lr_box``."""
    b = _Builder(w)
    bar = w.menuBar()
    _file_menu(b, bar.addMenu(w.tr("&File")))
    _edit_menu(b, bar.addMenu(w.tr("&Edit")))
    w.view_menu = bar.addMenu(w.tr("&View"))
    _view_menu(b, w.view_menu)
    run_menu = bar.addMenu(w.tr("&Run"))
    _run_menu(b, run_menu)
    _step_actions(b, run_menu)
    _quiz_actions(b, run_menu)
    _help_menu(b, bar.addMenu(w.tr("&Help")))
    # The menu bar's overflow button (a narrow window) says what it is to a screen reader.
    for button in bar.findChildren(QToolButton, "qt_menubar_ext_button"):
        button.setAccessibleName(w.tr("More menus"))
        button.setToolTip(w.tr("More menus"))
    _make_toolbar(w, b.actions)
    _make_step_toolbar(w, b.actions)
    _make_quiz_toolbar(w, b.actions)
    return b.actions


def _file_menu(b: _Builder, m: QMenu) -> None:
    """File (mnemonics: N O E I R S A X Q)."""
    w, act = b.w, b.act
    m.addAction(act("new", w.tr("&New"), w.new_file, QKeySequence.New))
    m.addAction(act("open", w.tr("&Open…"), lambda: w.open_file(), QKeySequence.Open))
    examples = m.addMenu(w.tr("Open &Example"))
    paths = example_paths()  # in the notebook's order (the titles'), then any others
    for name in [n for n in EXAMPLE_TITLES if n in paths] + \
            sorted(n for n in paths if n not in EXAMPLE_TITLES):
        title = QCoreApplication.translate("Examples", EXAMPLE_TITLES.get(name, name))
        examples.addAction(act(f"example.{name}", title,
                               lambda _=False, n=name: w.open_example(n)))
    m.addAction(act("import_code", w.tr("&Import PyTorch Code…"),
                    lambda: _import_code(w),
                    tip=w.tr("Paste PyTorch code (read, never run) and get its graph")))
    w.recent_menu = m.addMenu(w.tr("Open &Recent"))
    w.recent_menu.aboutToShow.connect(lambda: _fill_recent(w, w.recent_menu))
    m.addSeparator()
    m.addAction(act("save", w.tr("&Save"), w.save, QKeySequence.Save))
    m.addAction(act("save_as", w.tr("Save &As…"), w.save_as, QKeySequence.SaveAs))
    export = m.addMenu(w.tr("E&xport"))
    export.addAction(act("export_png", w.tr("Canvas as &PNG…"),
                         lambda: w.export_image(fmt="png")))
    export.addAction(act("export_svg", w.tr("Canvas as &SVG…"),
                         lambda: w.export_image(fmt="svg")))
    export.addSeparator()
    export.addAction(act("export_py", w.tr("P&yTorch Script…"), lambda: w.export_code("py"),
                         tip=w.tr("The graph as a PyTorch script that gives these numbers")))
    export.addAction(act("export_ipynb", w.tr("Jupyter &Notebook…"),
                         lambda: w.export_code("ipynb"),
                         tip=w.tr("The same code as a notebook, each step explained")))
    m.addSeparator()
    m.addAction(act("quit", w.tr("&Quit"), w.close, QKeySequence.Quit, "Ctrl+Q"))


def _edit_menu(b: _Builder, m: QMenu) -> None:
    """Edit (U R T C P L D M O F A N)."""
    w, act, edit, stack = b.w, b.act, b.w.edit, b.w.document.undo_stack
    undo = stack.createUndoAction(w, w.tr("&Undo"))
    undo.setShortcuts(_shortcuts(QKeySequence.Undo))
    redo = stack.createRedoAction(w, w.tr("&Redo"))
    redo.setShortcuts(_shortcuts(QKeySequence.Redo))
    undo.setProperty("plain_text", w.tr("Undo"))
    redo.setProperty("plain_text", w.tr("Redo"))
    m.addAction(b.add("undo", undo))
    m.addAction(b.add("redo", redo))
    m.addSeparator()
    m.addAction(act("cut", w.tr("Cu&t"), edit.cut, QKeySequence.Cut))
    m.addAction(act("copy", w.tr("&Copy"), edit.copy, QKeySequence.Copy))
    m.addAction(act("paste", w.tr("&Paste"), edit.paste, QKeySequence.Paste))
    m.addAction(act("duplicate", w.tr("Dup&licate"), edit.duplicate, DUPLICATE_KEY))
    m.addAction(act("delete", w.tr("&Delete"), edit.delete_selection, QKeySequence.Delete,
                    "Backspace", without=(DUPLICATE_KEY,)))
    m.addAction(act("rename", w.tr("Rena&me"), edit.rename_selected, "F2",
                    tip=w.tr("Rename the selected node on its card (or edit a note or a "
                             "frame's title)")))
    m.addSeparator()
    m.addAction(act("add_note", w.tr("Add N&ote"), lambda: edit.notes.add_note(), NOTE_KEY,
                    tip=w.tr("A text note on the canvas: **bold**, *italics*, `code`")))
    m.addAction(act("frame_selection", w.tr("&Frame Selection"),
                    lambda: edit.notes.frame_selection(), FRAME_KEY,
                    tip=w.tr("A titled frame around the selected nodes; dragging its title "
                             "moves them together")))
    m.addSeparator()
    m.addAction(act("select_all", w.tr("Select &All"), edit.select_all,
                    QKeySequence.SelectAll))
    m.addAction(act("arrange", w.tr("Arra&nge"), lambda: arrange(w.view), "Ctrl+L",
                    tip=w.tr("Lay the graph out in columns, left to right, without overlaps")))


def _view_menu(b: _Builder, m: QMenu) -> None:
    """View (F I O A S; the panels' toggles are added after the docks)."""
    w, act, view = b.w, b.act, b.w.view
    m.addAction(act("fit", w.tr("&Fit View"), view.fit_all, "F",
                    tip=w.tr("Zoom and scroll so the whole graph shows")))
    m.addAction(act("zoom_in", w.tr("Zoom &In"), lambda: view.zoom_by(1.25),
                    QKeySequence.ZoomIn))
    m.addAction(act("zoom_out", w.tr("Zoom &Out"), lambda: view.zoom_by(0.8),
                    QKeySequence.ZoomOut))
    m.addAction(act("zoom_reset", w.tr("&Actual Size"), lambda: view.zoom_by(1 / view.zoom()),
                    "Ctrl+0"))
    m.addAction(act("snap", w.tr("&Snap to Grid"),
                    lambda on: view.scene().set_snap_to_grid(on), checkable=True))


def _run_menu(b: _Builder, m: QMenu) -> None:
    """Run (F B Z T N C L P G A I)."""
    w, act, doc = b.w, b.act, b.w.document
    m.addAction(act("forward", w.tr("&Forward"), doc.forward, "F5",
                    tip=w.tr("Compute every node's value")))
    m.addAction(act("backward", w.tr("&Backward"), lambda: doc.backward(), "F6",
                    tip=w.tr("Run backward from the loss: gradients add up in the leaves")))
    m.addAction(act("zero_grad", w.tr("&Zero Grad"), doc.zero_grad, "F7",
                    tip=w.tr("Set every leaf's gradient to zero")))
    m.addSeparator()
    m.addAction(act("train_step", w.tr("&Train Step"), lambda: doc.train(1), "F8",
                    tip=w.tr("One step: %1 (%2)").replace("%1", STEP_ORDER)
                    .replace("%2", STEP_ORDER_NOTE)))
    train_n = act("train_n", w.tr("Train &N Steps…"), lambda: _train_n(w), "Shift+F8",
                  tip=w.tr("Train many steps, with a progress dialog that can cancel"))
    train_n.setIconText(w.tr("Train N…"))
    m.addAction(train_n)
    m.addSeparator()
    m.addAction(act("check_gradients", w.tr("&Check Gradients"), w.check_gradients,
                    tip=w.tr("Compare every leaf's gradient from backward with finite "
                             "differences of the loss")))
    m.addAction(act("loss_slice", w.tr("&Loss Slice"), lambda: w.show_panel("loss_slice"),
                    tip=w.tr("Plot the loss as the selected weight alone varies, with its "
                             "tangent")))
    compare = act("compare_torch", w.tr("Compare with &PyTorch"),
                  lambda: _compare_dialog().compare_with_pytorch(w))
    # without PyTorch: disabled, saying how to get it; looked up once the window is on
    # screen (no menu opens before), so the comparison's modules are not loaded at start-up
    after_first_paint(w, lambda: _compare_dialog().follow_availability(compare, w.quiz_mode))
    m.addAction(compare)
    m.setToolTipsVisible(True)  # a disabled entry's tooltip says why
    m.addSeparator()
    no_grad = act("no_grad", w.tr("No-&Grad Mode"), doc.set_no_grad_mode, "Ctrl+Shift+G",
                  checkable=True, tip=w.tr("Evaluate as inside torch.no_grad()"))
    no_grad.setIconText(w.tr("No-Grad"))
    m.addAction(no_grad)
    auto = act("auto_evaluate", w.tr("&Auto-Evaluate"),
               lambda on: setattr(doc, "auto_evaluate", on), checkable=True,
               tip=w.tr("Re-evaluate after every edit"))
    auto.setChecked(True)
    m.addAction(auto)
    inter = act("intermediates", w.tr("Show &Intermediate Gradients"),
                doc.set_retain_intermediate, checkable=True,
                tip=w.tr("Keep the gradient of every computed node (retain_grad)"))
    inter.setIconText(w.tr("Intermediate Grads"))
    inter.setChecked(doc.session.retain_intermediate)
    m.addAction(inter)


# The step-through's controls, enabled while stepping (Step Through itself always).
STEP_CONTROLS = ("step_back", "step", "step_play", "step_to_end", "step_leave")


def _step_actions(b: _Builder, m: QMenu) -> None:
    """Run ▸ Step Through and its controls (S; the controls have keys)."""
    w, act, mode = b.w, b.act, b.w.step_mode
    m.addSeparator()
    m.addAction(act("step_through", w.tr("&Step Through"), mode.enter,
                    tip=w.tr("Watch forward, then backward, node by node, with the numbers")))
    m.addAction(act("step", w.tr("Step"), mode.step, "F10",
                    tip=w.tr("The next step of the step-through")))
    m.addAction(act("step_back", w.tr("Step Back"), mode.step_back, "Shift+F10",
                    tip=w.tr("The step before")))
    play = act("step_play", w.tr("Play"), mode.set_playing, checkable=True,
               tip=w.tr("Step on by itself at the speed of the slider; again to pause"))
    m.addAction(play)
    m.addAction(act("step_to_end", w.tr("Run to End"), mode.run_to_end,
                    tip=w.tr("Jump to the last step")))
    def leave() -> None:  # Esc leaves whichever mode is on: the step-through or the quiz
        mode.leave()
        w.quiz_mode.leave()

    leave_action = act("step_leave", w.tr("Leave Step Through"), leave, "Esc",
                       tip=w.tr("Back to the normal view"))
    m.addAction(leave_action)

    def follow() -> None:
        for name in STEP_CONTROLS:
            b.actions[name].setEnabled(mode.active)
        quizzing = w.quiz_mode.active and not mode.active
        leave_action.setEnabled(mode.active or quizzing)
        leave_action.setText(w.tr("Leave Quiz") if quizzing else w.tr("Leave Step Through"))
        play.blockSignals(True)
        play.setChecked(mode.playing)
        play.setText(w.tr("Pause") if mode.playing else w.tr("Play"))
        play.blockSignals(False)

    mode.changed.connect(follow)
    w.quiz_mode.changed.connect(follow)
    follow()


def _quiz_actions(b: _Builder, m: QMenu) -> None:
    """Run ▸ Quiz and its controls (Q; Reveal Ctrl+Return; Esc leaves, by Step Through's
    Leave action, which leaves whichever mode is on)."""
    w, act, mode = b.w, b.act, b.w.quiz_mode

    def start() -> None:
        w.step_mode.leave()  # the step-through shows every gradient
        mode.enter()

    m.addSeparator()
    m.addAction(act("quiz", w.tr("&Quiz"), start, tip=w.tr(
        "Predict the gradients before they are shown: type them on the cards, then Reveal")))
    m.addAction(act("quiz_reveal", w.tr("Reveal Answers"), mode.reveal, "Ctrl+Return",
                    tip=w.tr("Mark every prediction and show the true values")))
    m.addAction(act("quiz_retry", w.tr("Try Again"), mode.retry,
                    tip=w.tr("Hide the answers again and change your predictions")))

    def follow() -> None:
        b.actions["quiz_reveal"].setEnabled(mode.active and not mode.revealed)
        b.actions["quiz_retry"].setEnabled(mode.active and mode.revealed)

    mode.changed.connect(follow)
    w.step_mode.changed.connect(lambda: mode.leave(w.tr("Step Through shows the gradients"))
                                if w.step_mode.active else None)
    follow()


def _help_menu(b: _Builder, m: QMenu) -> None:
    """Help (K P A)."""
    w, act = b.w, b.act
    m.addAction(act("shortcuts", w.tr("&Keyboard Shortcuts"), w.show_shortcuts,
                    QKeySequence.HelpContents))
    m.addAction(act("show_plan", w.tr("Show Compiled &Plan"), w.show_plan))
    m.addAction(act("about", w.tr("&About GradStudio"), w.show_about))


def _make_toolbar(w: MainWindow, acts: dict[str, QAction]) -> None:
    """The Run toolbar: icon and text side by side, so every button says what it does."""
    tb = QToolBar(w.tr("Run"), w)
    tb.setObjectName("toolbar.run")
    tb.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
    w.addToolBar(tb)
    for name in ("forward", "backward", "zero_grad", "train_step"):
        tb.addAction(acts[name])
    lr = LearningRateBox()
    lr.setObjectName("lr")
    lr.setAccessibleName(w.tr("Learning rate"))
    lr.setToolTip(w.tr("Learning rate used by Train step"))
    lr.setDecimals(4)
    lr.setRange(LR_MIN, LR_MAX)
    lr.setSingleStep(0.01)
    lr.setPrefix("lr ")
    lr.setValue(w.document.model.settings.lr)
    tb.addWidget(lr)
    w.lr_box = lr

    def commit() -> None:
        lr.settle()
        if abs(lr.value() - w.document.model.settings.lr) > 1e-12:
            w.document.run(SetSetting(w.document.model, "lr", lr.value()))

    def follow() -> None:
        lr.blockSignals(True)
        lr.setValue(w.document.model.settings.lr)
        lr.blockSignals(False)

    lr.refused.connect(lambda text: w.document.message.emit(Message("error", text)))
    lr.editingFinished.connect(commit)
    w.document.run_requested.connect(commit)  # a run uses what the box shows, even unconfirmed
    w.document.model_changed.connect(
        lambda event: follow() if event.kind is Change.SETTINGS_CHANGED else None)
    w.document.reset.connect(follow)
    tb.addAction(acts["train_n"])
    tb.addSeparator()
    for name in ("no_grad", "intermediates", "fit"):
        tb.addAction(acts[name])
    tb.addSeparator()
    tb.addAction(acts["step_through"])
    tb.addAction(acts["quiz"])
    _name_buttons(w, tb)


def _name_buttons(w: MainWindow, tb: QToolBar) -> None:
    """Every button speaks its action's full name to a screen reader, and the overflow button
    (shown when the window is narrow) says what it is."""
    for action in tb.actions():
        button = tb.widgetForAction(action)
        if isinstance(button, QToolButton):
            button.setAccessibleName(action.text().replace("&", ""))
    for button in tb.findChildren(QToolButton, "qt_toolbar_ext_button"):
        button.setAccessibleName(w.tr("More toolbar buttons"))
        button.setToolTip(w.tr("More toolbar buttons"))


def _make_step_toolbar(w: MainWindow, acts: dict[str, QAction]) -> None:
    """The Step Through group, on a row of its own under the Run toolbar, shown while
    stepping: the controls, the speed, where the mode is, Leave."""
    tb = QToolBar(w.tr("Step Through"), w)
    tb.setObjectName("toolbar.step")
    tb.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
    w.addToolBarBreak()
    w.addToolBar(tb)
    mode = w.step_mode
    for name in STEP_CONTROLS[:-1]:
        tb.addAction(acts[name])
    speed = QSlider(Qt.Horizontal)
    speed.setObjectName("step_speed")
    speed.setRange(0, len(SPEEDS) - 1)
    speed.setValue(mode.speed)
    speed.setFixedWidth(90)
    speed.setAccessibleName(w.tr("Play speed"))

    def show_speed(i: int) -> None:
        speed.setToolTip(w.tr("Play speed: %s steps a second") % f"{SPEEDS[i]:g}")

    speed.valueChanged.connect(mode.set_speed)
    speed.valueChanged.connect(show_speed)
    show_speed(speed.value())
    tb.addWidget(speed)
    where = QLabel()
    where.setObjectName("step_position")
    where.setAccessibleName(w.tr("Step"))
    tb.addWidget(where)
    tb.addAction(acts["step_leave"])

    _shown_while_active(tb, mode, lambda: where.setText(
        f"  {mode.position_text()}  " if mode.active else ""))
    _name_buttons(w, tb)


def _shown_while_active(tb: QToolBar, mode: StepMode | QuizMode, update: Callable[[], None]
                        ) -> None:
    """A mode's toolbar row is shown while the mode is on (``update`` then refreshes its
    labels), and only then: a restored window layout may try to show it."""
    def follow() -> None:
        tb.setVisible(mode.active)
        update()

    mode.changed.connect(follow)
    tb.visibilityChanged.connect(lambda on: tb.setVisible(False) if on and not mode.active
                                 else None)
    follow()


def _make_quiz_toolbar(w: MainWindow, acts: dict[str, QAction]) -> None:
    """The quiz's row under the Run toolbar, shown while quizzing: Reveal, Try Again, the
    score line, the tolerance, Leave."""
    tb = QToolBar(w.tr("Quiz"), w)
    tb.setObjectName("toolbar.quiz")
    tb.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
    w.addToolBar(tb)
    mode = w.quiz_mode
    tb.addAction(acts["quiz_reveal"])
    tb.addAction(acts["quiz_retry"])
    score = QLabel()
    score.setObjectName("quiz_score")
    score.setAccessibleName(w.tr("Score"))
    tb.addWidget(score)
    tolerance = QLabel()  # its text once quizzing: the quiz's module loads then
    tolerance.setObjectName("quiz_tolerance")
    tolerance.setAccessibleName(w.tr("Tolerance"))
    tb.addWidget(tolerance)
    tb.addAction(acts["step_leave"])  # "Leave Quiz" while quizzing (Esc)
    intro = QLabel()  # the question in the example's words: the status bar's goes by
    intro.setObjectName("quiz_intro")
    intro.setAccessibleName(w.tr("Quiz question"))
    tb.addWidget(intro)

    def show_score() -> None:
        score.setText(f"  {mode.score_text()}" if mode.active else "")
        tolerance.setText(f"  ({mode.tolerance_text()})  " if mode.active else "")
        text = mode.intro() if mode.active else ""
        intro.setToolTip(text)
        intro.setText("  " + intro.fontMetrics().elidedText(text, Qt.ElideRight, INTRO_WIDTH))

    _shown_while_active(tb, mode, show_score)
    mode.typed.connect(lambda _q: show_score())  # "1 of 2 predicted"
    _name_buttons(w, tb)


def _fill_recent(w: MainWindow, menu: QMenu) -> None:
    menu.clear()
    files = w.recent_files()
    if not files:
        menu.addAction(w.tr("(none)")).setEnabled(False)
    for path in files:
        menu.addAction(path, lambda _=False, p=path: w.open_file(p))


def _train_n(w: MainWindow) -> None:
    steps, ok = QInputDialog.getInt(w, w.tr("Train"), w.tr("Number of steps:"), 100, 1,
                                    MAX_TRAIN_STEPS)
    if ok:
        w.run_training(steps)
