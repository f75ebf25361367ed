"""Render the documentation's screenshots offscreen into docs/images/.

    .venv/bin/python tools/make_screenshots.py              # all of them
    .venv/bin/python tools/make_screenshots.py --only 05    # those whose name has "05"
    .venv/bin/python tools/make_screenshots.py --dark       # with the dark palette

Every picture is the window at its first-launch size, 1400x900. ``main-window.png`` (the
README's) is what ``gradstudio --screenshot OUT.png`` renders, at that size; the others
follow docs/guide.md, one per notebook section: open the example, do what the section does
(backward, twice for accumulation, ...), select the node worth looking at and bring the panel
that explains it to the front. The ``03-build-*`` pictures are taken half-way through
building the small network by hand, with mouse and key events sent to the canvas as a hand
would send them (a wire let go in empty space, the quick-add box, F2 on a card). Settings
live in a temporary folder, so a layout saved by the app on this machine never leaks into
the pictures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent, QPainter  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from gradstudio.ui import launch  # noqa: E402

SIZE = (1400, 900)


@dataclass
class Shot:
    """One picture: open ``example`` (None: an empty canvas), run ``steps``, select
    ``select``, raise ``panel``."""

    name: str
    example: str | None
    steps: Callable = lambda window: None
    select: str | None = None
    panel: str = "gradients"
    size: tuple[int, int] = SIZE
    hide: list[str] = field(default_factory=list)
    by_hand: Callable | None = None  # gestures after framing: the view must not move after


# --- a hand on the canvas (mouse and key events, as a person's produce them) ---------------
def _mouse(view, kind: QEvent.Type, scene_pos: QPointF, buttons) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QApplication

    vp = view.viewport()
    p = QPointF(view.mapFromScene(scene_pos))
    button = Qt.LeftButton if kind != QEvent.MouseMove else Qt.NoButton
    QApplication.sendEvent(vp, QMouseEvent(kind, p, QPointF(vp.mapToGlobal(p.toPoint())),
                                           button, buttons, Qt.NoModifier))


def _drag(view, start: QPointF, end: QPointF, let_go: bool = True) -> None:  # noqa: ANN001
    """Press at ``start``, move to ``end`` with the button held, release there (or not)."""
    _mouse(view, QEvent.MouseMove, start, Qt.NoButton)
    _mouse(view, QEvent.MouseButtonPress, start, Qt.LeftButton)
    for i in range(1, 6):
        _mouse(view, QEvent.MouseMove, start + (end - start) * (i / 5), Qt.LeftButton)
    if let_go:
        _mouse(view, QEvent.MouseButtonRelease, end, Qt.NoButton)


def _wire_to_new(window, node_id: str, where: QPointF, kind: str, enter: bool = True):  # noqa: ANN001, ANN202
    """A wire from the node's output let go at ``where``; ``kind`` typed into quick-add."""
    view = window.view
    _drag(view, view.scene().nodes[node_id].output_port_pos(), where)
    QTest.keyClicks(window.quick_add.search, kind)
    if enter:
        QTest.keyClick(window.quick_add.search, Qt.Key_Return)
        QTest.qWait(50)
        return view.selected_node_ids()[0]
    return None


def _start_small_network(window) -> tuple[str, str]:  # noqa: ANN001
    """w * x on the empty canvas, as the guide builds it: returns (w, mul) node ids."""
    view = window.view
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    left, top = seen.left(), seen.top()
    w = view.add_node("weight", QPointF(left + 110, top + 120))  # as a palette drop does
    mul = _wire_to_new(window, w, QPointF(left + 260, top + 150), "mul")
    _drag(view, view.scene().nodes[mul].input_port_pos("b"), QPointF(left + 190, top + 250))
    QTest.keyClicks(window.quick_add.search, "input")
    QTest.keyClick(window.quick_add.search, Qt.Key_Return)
    x = view.scene().nodes[view.selected_node_ids()[0]]  # typing 6.7 on its value line
    QTest.mouseDClick(view.viewport(), Qt.LeftButton,
                      pos=view.mapFromScene(x.mapToScene(x.value_rect().center())))
    from PySide6.QtWidgets import QApplication

    editor = QApplication.focusWidget()
    editor.selectAll()
    QTest.keyClicks(editor, "6.7")
    QTest.keyClick(editor, Qt.Key_Return)
    return w, mul


def _building_quick_add(window) -> None:  # noqa: ANN001
    """A wire from mul let go in empty space: quick-add offers what can take it."""
    w, mul = _start_small_network(window)
    seen = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    _wire_to_new(window, mul, QPointF(seen.left() + 470, seen.top() + 170), "ad", enter=False)


def _building_rename(window) -> None:  # noqa: ANN001
    """The sum added, a Weight pulled out of its free input ``b`` (called ``w2``), F2
    pressed and ``b`` being typed on its card."""
    from PySide6.QtWidgets import QApplication

    w, mul = _start_small_network(window)
    view = window.view
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    add = _wire_to_new(window, mul, QPointF(seen.left() + 470, seen.top() + 170), "add")
    _drag(view, view.scene().nodes[add].input_port_pos("b"),
          QPointF(seen.left() + 420, seen.top() + 330))
    QTest.keyClicks(window.quick_add.search, "weight")
    QTest.keyClick(window.quick_add.search, Qt.Key_Return)
    QTest.qWait(50)
    QTest.keyClick(view, Qt.Key_F2)
    QTest.keyClicks(QApplication.focusWidget(), "b")


def _backward(times: int = 1, target: str | None = None) -> Callable:
    def run(window) -> None:  # noqa: ANN001
        node = window.document.model.find(target) if target else None
        for _ in range(times):
            window.document.backward(node)
    return run


def _backward_then_zero(window) -> None:  # noqa: ANN001
    _backward(2)(window)
    window.action_map["zero_grad"].trigger()


def _detach_both(window) -> None:  # noqa: ANN001
    """y.backward() works; y1.backward() is refused (z is x.detach())."""
    _backward(target="y")(window)
    _backward(target="y1")(window)


def _step_to(phase: str, label: str, before: Callable | None = None) -> Callable:
    """Run ▸ Step Through, then F10 (Step) until the step is ``phase`` at node ``label``;
    ``before`` runs first (a Backward, say, to step through an accumulating one)."""

    def run(window) -> None:  # noqa: ANN001
        if before is not None:
            before(window)
        window.action_map["step_through"].trigger()
        mode = window.step_mode
        while (mode.trace[mode.index].phase, mode.trace[mode.index].label) != (phase, label):
            if mode.index >= len(mode.trace) - 1:
                raise SystemExit(f"no {phase} step at {label}")
            window.action_map["step"].trigger()
    return run


def _train(window) -> None:  # noqa: ANN001
    """100 steps at the file's learning rate (0.1), the loss on a log scale."""
    from PySide6.QtWidgets import QCheckBox

    window.document.train(100)
    for box in window.panels["training"].findChildren(QCheckBox):
        if "log" in box.text():
            box.setChecked(True)


def _slice_then_train(window) -> None:  # noqa: ANN001
    """w selected, Run ▸ Loss Slice, then two Train Steps: the point went downhill twice."""
    from PySide6.QtWidgets import QApplication

    model = window.document.model
    window.view.scene().nodes[model.find("w")].setSelected(True)
    window.action_map["loss_slice"].trigger()
    QApplication.processEvents()
    for _ in range(2):
        window.action_map["train_step"].trigger()
        QApplication.processEvents()


def _train_step(window) -> None:  # noqa: ANN001
    window.action_map["train_step"].trigger()


def _surface_then_train(window) -> None:  # noqa: ANN001
    """w and b selected (as a Ctrl+click adds b), Run ▸ Loss Slice, then Train N 20 steps
    and one Train Step: the surface over w and b with the path gradient descent took."""
    from PySide6.QtWidgets import QApplication

    model, scene = window.document.model, window.view.scene()
    scene.clearSelection()
    for name in ("w", "b"):
        scene.nodes[model.find(name)].setSelected(True)
    window.action_map["loss_slice"].trigger()
    QApplication.processEvents()
    window.document.train(20)
    QApplication.processEvents()
    window.action_map["train_step"].trigger()
    QApplication.processEvents()


# --- Test yourself: the quiz typed into as a learner types, Check Gradients, the slice -----
def _quiz(typed: dict[str, str], reveal: bool = True) -> Callable:
    """Run ▸ Quiz, then a click into each asked card's editor (``w.grad``, ``y``) and the
    prediction typed there; Reveal Answers when ``reveal``. Runs after the
    framing, as the quiz's editors sit over the cards where the view shows them."""

    def run(window) -> None:  # noqa: ANN001
        from PySide6.QtWidgets import QApplication

        from gradstudio.ui.canvas.quiz_overlay import PredictionEdit

        window.action_map["quiz"].trigger()
        QApplication.processEvents()
        editors = {e.accessibleName().removeprefix("Prediction for "): e
                   for e in window.view.viewport().findChildren(PredictionEdit)}
        for what, text in typed.items():
            QTest.mouseClick(editors[what], Qt.LeftButton)
            QTest.keyClicks(editors[what], text)
        if reveal:  # a click on the quiz row's Reveal Answers
            from PySide6.QtWidgets import QToolBar

            bar = window.findChild(QToolBar, "toolbar.quiz")
            QTest.mouseClick(bar.widgetForAction(window.action_map["quiz_reveal"]),
                             Qt.LeftButton)
        QApplication.processEvents()
    return run


def _check_and_slice(weight: str | None, backwards: int = 0) -> Callable:
    """``backwards`` Backward passes, Run ▸ Check Gradients (the badges on the cards), then
    ``weight`` selected and Run ▸ Loss Slice (the loss as it alone varies, and the tangent)."""

    def run(window) -> None:  # noqa: ANN001
        from PySide6.QtWidgets import QApplication

        _backward(backwards)(window)

        window.action_map["check_gradients"].trigger()
        QApplication.processEvents()
        if weight is not None:
            scene = window.view.scene()
            scene.clearSelection()
            scene.nodes[window.document.model.find(weight)].setSelected(True)
            window.action_map["loss_slice"].trigger()
            QApplication.processEvents()
    return run


def _test_yourself(section: str, example: str, select: str, typed: dict[str, str], *,
                   sliced: bool = True, checked: bool = True, backwards: int = 0,
                   name: str = "quiz") -> list[Shot]:
    """A section's Test yourself pictures: the quiz with ``typed`` revealed, then (unless
    not ``checked``) Check Gradients after ``backwards`` Backwards, with the loss slice of
    ``select`` when ``sliced``."""
    shots = [Shot(f"{section}-test-{name}", example, select=select, panel="messages",
                  by_hand=_quiz(typed))]
    if checked:
        shots.append(Shot(f"{section}-test-check{'-slice' * sliced}", example,
                          _check_and_slice(select if sliced else None, backwards),
                          select=select, panel="grad_check"))
    return shots


def _notes_and_frame(window) -> None:  # noqa: ANN001
    """After a backward, a frame around the neuron's cards (Edit ▸ Frame Selection, its
    title typed) and a note above the loss (Edit ▸ Add Note, its text kept with Ctrl+Enter)."""
    model, scene = window.document.model, window.view.scene()
    window.action_map["backward"].trigger()
    scene.clearSelection()
    for label in ("x", "w", "b", "wx", "z"):
        scene.nodes[model.find(label)].setSelected(True)
    window.action_map["frame_selection"].trigger()
    QTest.keyClicks(window.view.editor, "the neuron: z = w·x + b")
    QTest.keyClick(window.view.editor, Qt.Key_Return)
    loss = scene.nodes[model.find("loss")].card_rect()
    window.edit.notes.add_note(QPointF(loss.center().x() - 60, loss.top() - 150))
    editor = window.view.editor
    editor.setPlainText("**Why is w.grad 6.6918?**\n"
                        "*Chain rule:* dL/dw = dL/dz · x\n= `0.9988 × 6.7`")
    QTest.keyClick(editor, Qt.Key_Return, Qt.ControlModifier)


SHOTS = [
    Shot("01-square", "square", _backward(), select="y", panel="chain_rule"),
    Shot("02-sin-of-square", "sin_of_square", _backward(), select="y", panel="chain_rule"),
    Shot("03-build-quick-add", None, panel="gradients", by_hand=_building_quick_add),
    Shot("03-build-rename", None, panel="gradients", by_hand=_building_rename),
    Shot("03-small-network", "small_network", _backward(), select="wx", panel="chain_rule"),
    Shot("03b-small-network-gradients", "small_network", _backward(), select="w",
         panel="gradients"),
    Shot("04-vector-mean", "vector_mean", _backward(), select="x", panel="gradients"),
    Shot("05-accumulation", "accumulation", _backward(2), select="x", panel="ledger"),
    Shot("05b-zero-grad", "accumulation", _backward_then_zero, select="x", panel="ledger"),
    Shot("06-requires-grad-off", "requires_grad_off", _backward(), select="x",
         panel="messages"),
    Shot("07-detach", "detach", _detach_both, select="z", panel="messages"),
    Shot("08-no-grad", "no_grad", _backward(), select="y", panel="messages"),
    Shot("09-training", "small_network", _train, select="w", panel="training"),
    Shot("10-step-forward", "small_network", _step_to("forward", "y_pred"), select="y_pred",
         panel="chain_rule"),
    Shot("10b-step-backward", "small_network", _step_to("backward", "wx"), select="wx",
         panel="messages"),
    Shot("10c-step-accumulate", "accumulation", _step_to("leaf", "x", before=_backward()),
         select="x", panel="ledger"),
    Shot("10d-step-detach", "detach", _step_to("skipped", "x"), select="x", panel="messages"),
    Shot("11b-loss-slice", "small_network", _slice_then_train, select="w", panel="training"),
    Shot("11c-train-step", "small_network", _train_step, select="w", panel="training"),
    Shot("11d-loss-surface", "small_network", panel="training", hide=["inspector"],
         by_hand=_surface_then_train),
    # Test yourself, one set per notebook section (docs/guide.md)
    Shot("01-test-quiz-typed", "square", select="x", panel="messages",
         by_hand=_quiz({"y": "9", "x.grad": "3"}, reveal=False)),
    *_test_yourself("01", "square", "x", {"y": "9", "x.grad": "3"}),
    *_test_yourself("02", "sin_of_square", "x", {"y": "9", "x.grad": "-5.467"}),
    *_test_yourself("03", "small_network", "w", {"w.grad": "6.69", "b.grad": "1"}),
    *_test_yourself("04", "vector_mean", "x", {"y": "4.667", "x.grad": "2, 4, 6"},
                    sliced=False),
    *_test_yourself("05", "accumulation", "x", {"x.grad": "8"}, backwards=2),
    *_test_yourself("06", "no_grad", "x", {"y": "4", "x.grad": "4"}, checked=False,
                    name="quiz-no-grad"),
    Shot("12-notes-and-frames", "small_network", _notes_and_frame, select="w",
         panel="gradients"),
]


def render(shot: Shot, out: Path, settings_folder: str) -> Path:
    from PySide6.QtWidgets import QApplication

    from gradstudio.ui.main_window import MainWindow

    app = QApplication.instance()
    settings = QSettings(str(Path(settings_folder) / f"{shot.name}.ini"), QSettings.IniFormat)
    window = MainWindow(settings)
    window.resize(*shot.size)
    window.show()
    app.processEvents()
    if shot.example is not None:
        window.open_example(shot.example)
        app.processEvents()
    shot.steps(window)
    app.processEvents()
    for name in shot.hide:
        window.docks[name].hide()
    launch.frame_for_picture(window, shot.select, shot.panel)
    if shot.by_hand is not None:
        shot.by_hand(window)
        QTest.qWait(100)  # auto-evaluation runs on a short timer after an edit
    path = out / f"{shot.name}.png"
    if not _grab(window).save(str(path)):
        raise SystemExit(f"cannot write {path}")
    window.document.undo_stack.setClean()
    window.close()
    window.deleteLater()
    app.processEvents()
    return path


def _grab(window):  # noqa: ANN001, ANN202
    """The window, with the quick-add popup drawn where it is (a popup is a window of its
    own, which grabbing the main window leaves out)."""
    picture = window.grab()
    popup = window.quick_add
    if popup.isVisible():
        painter = QPainter(picture)
        painter.drawPixmap(window.mapFromGlobal(popup.pos()), popup.grab())
        painter.end()
        popup.hide()
    return picture


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--only", action="append", default=[], metavar="PART",
                        help="render only shots whose name contains PART (repeatable)")
    parser.add_argument("--dark", action="store_true", help="use the dark palette")
    args = parser.parse_args(argv)
    os.environ["GRADSTUDIO_APPEARANCE"] = "dark" if args.dark else "light"
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gradstudio-shots-") as folder:
        # Anything that asks QSettings() for the defaults lands in the scratch folder too.
        QSettings.setDefaultFormat(QSettings.IniFormat)
        QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, folder)
        launch.offscreen()
        _app = launch.make_app(["make_screenshots"])  # kept alive while rendering
        QCoreApplication.setOrganizationName("GradStudioScreenshots")
        wanted = [s for s in SHOTS if not args.only or any(p in s.name for p in args.only)]
        if not args.only or any(p in "main-window" for p in args.only):
            main_png = args.out / "main-window.png"
            if launch.screenshot(str(main_png), size=SIZE) != 0:
                return 1
            print(main_png.relative_to(ROOT) if main_png.is_relative_to(ROOT) else main_png)
        for shot in wanted:
            path = render(shot, args.out, folder)
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
