"""The autograd notebook (tests/engine/data/autograd_notebook.txt), built and run through the
GUI only.

Every graph is made the way a person makes it: entries dragged from the palette onto the
canvas (QDrag runs its own event loop, so the drop is the drag-enter / drag-move / drop
sequence the viewport would receive, carrying the palette's own payload), wires dragged from
an output port to an input port, values, names and switches set in the inspector (click the
card, type into a field and press Enter, click a check box), and the toolbar's buttons
clicked. The checks read both the session and what is on screen: the cards' text, the
Gradients and Accumulation panels, the Messages panel, error dialogs.

Set ``NOTEBOOK_GUI_SCREENSHOT=/some/file.png`` to save a picture of the window after the
small-network test (for looking at the app as a learner would, or for the README).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from gestures import (
    click,
    keep_visible,
    key,
    menu_action,
    to_view,
    wire,
)
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QToolBar

from gradstudio.ui.canvas.card_text import SEP
from gradstudio.ui.canvas.node_item import TITLE_H, WIDTH

NO_GRAD_ERROR = ("RuntimeError: element 0 of tensors does not require grad and does not "
                 "have a grad_fn")
# Card columns (scene x of a card's left edge) and the zoom that shows all of them at once.
LEFT, MIDDLE, RIGHT = -560.0, -200.0, 160.0


@pytest.fixture(autouse=True)
def _setup(window):
    show_whole_canvas(window)


def show_whole_canvas(window) -> None:
    """Scene (0, 0) in the middle, zoomed out twice with View > Zoom Out (Ctrl+-), so three
    columns of cards fit in the viewport."""
    keep_visible(window)
    for _ in range(2):
        window.action_map["zoom_out"].trigger()
    assert window.view.zoom() == pytest.approx(0.64)


# --- gestures ----------------------------------------------------------------------------------
def drop(window, kind: str, x: float, y: float) -> str:
    """Drag ``kind`` from the palette and drop it at scene (x, y); returns the new node's id."""
    view, palette, model = window.view, window.palette_panel, window.document.model
    mime = palette.tree.mimeData([palette.items()[kind]])
    at = to_view(view, QPointF(x, y))
    before = set(model.node_ids())
    for event in (QDragEnterEvent(QPoint(2, 2), Qt.CopyAction, mime, Qt.LeftButton,
                                  Qt.NoModifier),
                  QDragMoveEvent(at, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier),
                  QDropEvent(QPointF(at), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)):
        QApplication.sendEvent(view.viewport(), event)
        assert event.isAccepted(), f"the canvas refused {event.type()} of {kind}"
    (new,) = set(model.node_ids()) - before
    assert model.node(new).kind == kind
    return new


def select(window, node_id: str):
    """Click the card's title bar; the inspector shows it. Returns the inspector."""
    item = window.view.scene().nodes[node_id]
    click(window.view, item.mapToScene(QPointF(WIDTH / 2, TITLE_H / 2)))
    assert window.view.selected_node_ids() == [node_id]
    inspector = window.panels["inspector"]
    assert inspector.node_id == node_id and inspector.title.isVisible()
    return inspector


def type_into(qtbot, edit, text: str) -> None:
    """Click into a field, select what is there, type, press Enter."""
    assert edit.isVisible()
    qtbot.mouseClick(edit, Qt.LeftButton)
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key_Return)


def set_value(qtbot, window, node_id: str, text: str) -> None:
    field = select(window, node_id).param_fields["value"]
    type_into(qtbot, field.edit, text)
    assert not field.error.isVisible(), field.error.text()


def rename(qtbot, window, node_id: str, name: str) -> None:
    field = select(window, node_id).name_field
    type_into(qtbot, field.edit, name)
    assert not field.error.isVisible(), field.error.text()
    assert window.document.model.label(node_id) == name


def set_flag(qtbot, window, node_id: str, flag: str, on: bool) -> None:
    """Tick or untick one of the inspector's autograd check boxes (clicked on its box)."""
    box = select(window, node_id).checks[flag]
    assert box.isVisible() and box.isChecked() != on
    qtbot.mouseClick(box, Qt.LeftButton, pos=QPoint(8, box.height() // 2))
    assert box.isChecked() == on
    model = window.document.model
    assert (model.loss == node_id) if flag == "loss" else model.node(node_id).flags[flag] == on


def press(qtbot, window, name: str) -> None:
    """Click an action's button on the Run toolbar."""
    bar = window.findChild(QToolBar, "toolbar.run")
    button = bar.widgetForAction(window.action_map[name])
    assert button is not None and button.isVisible() and button.isEnabled()
    qtbot.mouseClick(button, Qt.LeftButton)


# --- what a person sees ------------------------------------------------------------------------
def card(window, node_id: str) -> list[str]:
    """What the card's body says, one item per value, gradient and grad_fn (on the card a
    value and its gradient share a line when both fit: "3. · grad 6.")."""
    lines = window.view.scene().nodes[node_id].display_lines()
    return [part for line in lines for part in line.split(SEP)]


def badges(window, node_id: str) -> list[str]:
    """The card's flag badges: "grad" where it requires grad, "loss", "detach", "no-grad"."""
    return window.view.scene().nodes[node_id].badges()


def grad_column(window, node_id: str) -> str:
    """The 'grad' cell of the Gradients dock (brought to the front, as by clicking its tab)."""
    window.docks["gradients"].raise_()
    return window.panels["gradients"].text(node_id, "grad")


def last_message(window) -> tuple[str, str]:
    window.docks["messages"].raise_()
    panel = window.panels["messages"]
    assert panel.entries, "the Messages panel is empty"
    level, text = panel.entries[-1]
    assert text.split("\n")[0] in panel.text.toPlainText()
    return level, text


def grad(window, node_id: str) -> np.ndarray:
    g = window.document.session.grad(node_id)
    assert g is not None
    return np.array(g.numpy())


def card_number(line: str) -> float:
    """The number a scalar's card shows, e.g. 6.7012."""
    assert re.fullmatch(r"-?[0-9.e+-]+", line), line
    return float(line)


def assert_backward_refused(window, reason: str) -> None:
    """Backward was pressed and refused: PyTorch's error and the reason in words."""
    level, text = last_message(window)
    assert level == "error"
    error, why = text.split("\n")
    assert error == NO_GRAD_ERROR
    assert why == reason


# --- the notebook ------------------------------------------------------------------------------
def build_x_squared(qtbot, window, value: str = "3") -> tuple[str, str]:
    """x (an Input with requires_grad ticked) -> y = x ** 2, all by hand."""
    x = drop(window, "input", LEFT, -100)
    y = drop(window, "square", MIDDLE, -100)
    wire(window, x, y, "x")
    rename(qtbot, window, y, "y")
    if value != "3":
        set_value(qtbot, window, x, value)
    set_flag(qtbot, window, x, "requires_grad", True)
    return x, y


def test_1_square_at_3_gives_grad_6(qtbot, window):
    x, y = build_x_squared(qtbot, window)
    press(qtbot, window, "forward")
    assert card(window, x) == ["3."] and "grad" in badges(window, x)
    assert card(window, y) == ["9.", "PowBackward0"]
    assert grad_column(window, x) == "None"

    press(qtbot, window, "backward")
    assert card(window, x) == ["3.", "grad 6."] and "grad" in badges(window, x)
    assert card(window, y)[0] == "9." and card(window, y)[-1] == "PowBackward0"
    assert grad_column(window, x) == "tensor(6.)"
    assert grad(window, x) == 6.0
    assert last_message(window) == ("info", "backward from y done")


def test_2_sin_of_square(qtbot, window):
    x, y = build_x_squared(qtbot, window)
    z = drop(window, "sin", RIGHT, -100)
    wire(window, y, z, "x")
    rename(qtbot, window, z, "z")

    press(qtbot, window, "backward")
    assert card(window, y)[0] == "9." and card(window, y)[-1] == "PowBackward0"
    assert card(window, z)[0] == "0.4121" and card(window, z)[-1] == "SinBackward0"
    assert "grad -5.4668" in card(window, x)
    assert grad_column(window, x) == "tensor(-5.4668)"
    assert float(grad(window, x)) == pytest.approx(-5.4667816162109375, abs=1e-6)


def build_small_network(qtbot, window) -> dict[str, str]:
    """The notebook's small network: z = w * x + b, y_pred = sigmoid(z), loss = BCE."""
    ids = {"x": drop(window, "input", LEFT, -300), "w": drop(window, "weight", LEFT, -180),
           "b": drop(window, "weight", LEFT, -60), "y": drop(window, "constant", LEFT, 60),
           "wx": drop(window, "mul", MIDDLE, -300), "z": drop(window, "add", MIDDLE, -120),
           "y_pred": drop(window, "sigmoid", RIGHT, -300),
           "loss": drop(window, "bce", RIGHT, -120)}
    for a, b, port in (("w", "wx", "a"), ("x", "wx", "b"), ("wx", "z", "a"), ("b", "z", "b"),
                       ("z", "y_pred", "x"), ("y_pred", "loss", "prediction"),
                       ("y", "loss", "target")):
        wire(window, ids[a], ids[b], port)
    model = window.document.model
    for name in ("b", "y", "wx", "z", "y_pred"):  # dropped as w2, c, mul, add, sigmoid
        if model.label(ids[name]) != name:
            rename(qtbot, window, ids[name], name)
    set_value(qtbot, window, ids["x"], "6.7")
    set_value(qtbot, window, ids["b"], "0")
    assert {n: model.label(i) for n, i in ids.items()} == {n: n for n in ids}
    assert len(model.edges()) == 7
    return ids


def test_3_small_network_and_one_train_step(qtbot, window):
    n = build_small_network(qtbot, window)
    doc, model = window.document, window.document.model
    assert not model.node(n["x"]).flags["requires_grad"]  # data: off, as torch.tensor(6.7)
    assert model.node(n["w"]).flags["requires_grad"] and model.node(n["b"]).flags[
        "requires_grad"]

    press(qtbot, window, "backward")
    for name, value, fn in (("z", "6.7000", "AddBackward0"),
                            ("y_pred", "0.9988", "SigmoidBackward0"),
                            ("loss", "6.7012", "NegBackward0")):
        assert card(window, n[name])[0] == value and card(window, n[name])[-1] == fn
    assert "grad 6.6918" in card(window, n["w"])
    assert "grad 0.9988" in card(window, n["b"])
    assert grad_column(window, n["w"]) == "tensor(6.6918)"
    assert grad_column(window, n["b"]) == "tensor(0.9988)"
    gw, gb = grad(window, n["w"]), grad(window, n["b"])
    assert float(gw) == pytest.approx(6.6917619705200195, abs=1e-6)
    assert float(gb) == pytest.approx(0.9987704753875732, abs=1e-6)
    assert grad_column(window, n["x"]) == "None"  # x does not require grad

    # the learning rate, typed into the toolbar's box (first another value: the box commits)
    lr_box = window.lr_box
    point = lr_box.locale().decimalPoint()
    for typed, lr in ((f"0{point}5", 0.5), (f"0{point}1", 0.1)):
        type_into(qtbot, lr_box, typed)
        assert lr_box.value() == lr and model.settings.lr == lr

    # Train step runs its own backward: start it from zero, as a training loop does
    press(qtbot, window, "zero_grad")
    w0, b0 = (np.float32(model.node(n[k]).params["value"]) for k in ("w", "b"))
    press(qtbot, window, "train_step")
    lr = np.float32(0.1)
    assert np.float32(model.node(n["w"]).params["value"]) == w0 - lr * gw.astype(np.float32)
    assert np.float32(model.node(n["b"]).params["value"]) == b0 - lr * gb.astype(np.float32)
    assert grad(window, n["w"]) == 0.0  # the step ends with zero grad
    w1 = model.node(n["w"]).params["value"]
    # the card's first line reads "w 1 → w′" after a train step
    assert card(window, n["w"])[0].endswith(f"{w1:.4f}") and "grad" in badges(window, n["w"])
    loss_now = doc.session.last_forward.value(n["loss"]).item()
    assert loss_now < 6.701176166534424
    assert last_message(window) == ("info", f"trained 1 step: loss 6.70118 -> {loss_now:.6g}")

    press(qtbot, window, "forward")
    assert card_number(card(window, n["loss"])[0]) == pytest.approx(loss_now, abs=1e-4)
    assert card_number(card(window, n["loss"])[0]) < 6.7012

    shot = os.environ.get("NOTEBOOK_GUI_SCREENSHOT")
    if shot:
        window.docks["gradients"].raise_()
        select(window, n["w"])
        QApplication.processEvents()  # the pending layouts, as a running app would do them
        assert window.grab().save(shot)


def test_4_vectors_square_then_mean(qtbot, window):
    x, y = build_x_squared(qtbot, window, "1, 2, 3")
    m = drop(window, "mean", RIGHT, -100)
    wire(window, y, m, "x")
    press(qtbot, window, "forward")
    assert card(window, x) == ["[3] 1., 2., 3."] and "grad" in badges(window, x)
    assert card(window, y) == ["[3] 1., 4., 9.", "PowBackward0"]

    press(qtbot, window, "backward")
    assert card(window, m)[0] == "4.6667" and card(window, m)[-1] == "MeanBackward0"
    assert "grad 0.6667, …" in card(window, x)  # the card's width; the tooltip has it all
    assert "x.grad = tensor([0.6667, 1.3333, 2.0000])" in \
        window.view.scene().nodes[x].tooltip_text()
    assert grad_column(window, x) == "tensor([0.6667, 1.3333, 2.0000])"
    np.testing.assert_allclose(grad(window, x), [2 / 3, 4 / 3, 2.0], atol=1e-6)


def test_5_gradients_accumulate_until_zero_grad(qtbot, window):
    x, y = build_x_squared(qtbot, window, "2")
    ledger = window.panels["ledger"]
    window.docks["ledger"].raise_()

    press(qtbot, window, "backward")
    assert "grad 4." in card(window, x)
    assert ledger.lines() == ["backward #1: x.grad += 4 -> 4"]
    assert not ledger.warning_visible()

    press(qtbot, window, "backward")
    assert "grad 8." in card(window, x)
    assert grad_column(window, x) == "tensor(8.)"
    window.docks["ledger"].raise_()
    assert ledger.lines() == ["backward #1: x.grad += 4 -> 4", "backward #2: x.grad += 4 -> 8"]
    assert ledger.warning_visible() and ledger.banner.isVisible()
    assert "accumulating" in ledger.banner.text() and "Zero grad" in ledger.banner.text()

    press(qtbot, window, "zero_grad")
    assert "grad 0." in card(window, x)
    assert grad_column(window, x) == "tensor(0.)"
    assert grad(window, x) == 0.0
    assert ledger.lines()[-1] == "zero grad" and not ledger.warning_visible()


def test_what_is_typed_counts_even_without_enter(qtbot, window):
    """The toolbar's buttons and the F-keys take no focus, so a field being typed in never
    finishes editing; running must still use what the person typed."""
    x, y = build_x_squared(qtbot, window)
    inspector = select(window, x)
    for edit, text in ((inspector.name_field.edit, "x0"),
                       (inspector.param_fields["value"].edit, "5")):
        qtbot.mouseClick(edit, Qt.LeftButton)
        edit.selectAll()
        qtbot.keyClicks(edit, text)
    press(qtbot, window, "backward")
    assert window.document.model.label(x) == "x0"
    assert card(window, x) == ["5.", "grad 10."] and "grad" in badges(window, x)
    assert inspector.param_fields["value"].edit.text() == "5.0"

    field = inspector.param_fields["value"]  # a refused entry is explained, the run goes on
    qtbot.mouseClick(field.edit, Qt.LeftButton)
    field.edit.selectAll()
    qtbot.keyClicks(field.edit, "five")
    key(qtbot, field.edit, "F5")  # Forward's key, pressed while still in the field
    assert field.error.isVisible() and "must be a number" in field.error.text()
    assert window.document.model.node(x).params["value"] == 5.0
    assert card(window, x)[0] == "5." and "grad" in badges(window, x)


# --- 6. three ways to stop gradient tracking ---------------------------------------------------
def test_6a_requires_grad_off(qtbot, window):
    x, y = build_x_squared(qtbot, window, "2")
    press(qtbot, window, "backward")
    assert "grad 4." in card(window, x)

    set_flag(qtbot, window, x, "requires_grad", False)  # x.requires_grad_(False)
    press(qtbot, window, "forward")
    assert card(window, x)[0] == "2." and "grad" not in badges(window, x)
    assert card(window, y) == ["4."]  # no grad_fn
    press(qtbot, window, "backward")
    assert_backward_refused(window, "x does not require grad: requires_grad is off")
    assert card(window, y) == ["4."]
    assert grad(window, x) == 4.0  # untouched by the refused backward


def test_6b_detach(qtbot, window):
    """z = x.detach(); y = x ** 2 backs up fine, y1 = z ** 2 does not."""
    x, y = build_x_squared(qtbot, window, "2")
    z = drop(window, "identity", MIDDLE, 60)
    y1 = drop(window, "square", RIGHT, 60)
    wire(window, x, z, "x")
    wire(window, z, y1, "x")
    rename(qtbot, window, z, "z")
    rename(qtbot, window, y1, "y1")
    set_flag(qtbot, window, z, "detach", True)
    set_flag(qtbot, window, y, "loss", True)  # two end nodes: say where backward starts

    press(qtbot, window, "backward")
    assert card(window, z) == ["2."]  # detached: no grad_fn
    assert card(window, y1) == ["4."]
    assert card(window, y)[0] == "4." and card(window, y)[-1] == "PowBackward0"
    assert "grad 4." in card(window, x)

    set_flag(qtbot, window, y1, "loss", True)
    press(qtbot, window, "backward")
    assert_backward_refused(window, "the only path from x passes through z, which is detached")
    assert card(window, y1) == ["4."]
    assert grad(window, x) == 4.0


def test_6c_no_grad_on_the_operation(qtbot, window):
    x, y = build_x_squared(qtbot, window, "2")
    set_flag(qtbot, window, y, "no_grad", True)  # with torch.no_grad(): y = x ** 2
    press(qtbot, window, "backward")
    assert_backward_refused(window, "y is computed under no-grad: its output does not "
                                    "require grad")
    assert card(window, x) == ["2."] and "grad" in badges(window, x)
    assert card(window, y) == ["4."]


def test_6d_global_no_grad_mode(qtbot, window):
    x, y = build_x_squared(qtbot, window, "2")
    action = window.action_map["no_grad"]
    press(qtbot, window, "no_grad")
    assert action.isChecked() and window.document.session.no_grad_mode
    assert card(window, y) == ["4."]
    press(qtbot, window, "backward")
    assert_backward_refused(window, "no-grad mode is on: operations are not recorded, so "
                                    "nothing can flow back")
    assert card(window, y) == ["4."]

    press(qtbot, window, "no_grad")  # off again: the same graph runs backward
    assert not action.isChecked()
    press(qtbot, window, "backward")
    assert card(window, y)[0] == "4." and card(window, y)[-1] == "PowBackward0"
    assert "grad 4." in card(window, x)


# --- files -------------------------------------------------------------------------------------
def _answer_file_dialog(monkeypatch, which: str, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, which, lambda *a, **k: (str(path), ""))


def _shown(window, nodes: list[str]) -> dict[str, list[str]]:
    return {window.document.model.label(n): card(window, n) for n in nodes}


def test_save_close_reopen_gives_the_same_graph_and_numbers(qtbot, window, tmp_path,
                                                            monkeypatch, open_window):
    x, y = build_x_squared(qtbot, window)
    z = drop(window, "sin", RIGHT, -100)
    wire(window, y, z, "x")
    rename(qtbot, window, z, "z")
    data = window.document.model.to_dict()
    press(qtbot, window, "backward")
    seen = _shown(window, [x, y, z])
    assert "grad -5.4668" in seen["x"]

    _answer_file_dialog(monkeypatch, "getSaveFileName", tmp_path / "sin_of_square")
    menu_action(window.menuBar(), "Save").trigger()
    saved = tmp_path / "sin_of_square.gsgraph"
    assert saved.exists() and not window.document.modified
    assert window.close()

    again = open_window()
    _answer_file_dialog(monkeypatch, "getOpenFileName", saved)
    menu_action(again.menuBar(), "Open…").trigger()
    assert again.document.path == saved
    assert again.document.model.to_dict() == data
    press(qtbot, again, "backward")
    assert _shown(again, [x, y, z]) == seen


@pytest.mark.parametrize("content, says", [
    (lambda good: good[:len(good) // 2], ["broken.gsgraph", "not valid JSON", "line"]),
    (lambda good: good.replace('"dst": "n2"', '"dst": "nowhere"'),
     ["broken.gsgraph", "edges[0]", "'nowhere' is not a node"]),
], ids=["truncated", "edge-to-nowhere"])
def test_a_corrupt_file_shows_an_error_and_keeps_the_document(qtbot, window, tmp_path,
                                                              monkeypatch, content, says):
    x, y = build_x_squared(qtbot, window)
    good = tmp_path / "good.gsgraph"
    _answer_file_dialog(monkeypatch, "getSaveFileName", good)
    menu_action(window.menuBar(), "Save").trigger()
    text = good.read_text()
    assert json.loads(text)["edges"][0]["dst"] == "n2"
    broken = tmp_path / "broken.gsgraph"
    broken.write_text(content(text))

    press(qtbot, window, "backward")
    data, seen = window.document.model.to_dict(), _shown(window, [x, y])
    depth = window.document.undo_stack.count()
    dialogs: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical",
                        lambda parent, title, text, *a: dialogs.append(text))
    _answer_file_dialog(monkeypatch, "getOpenFileName", broken)
    menu_action(window.menuBar(), "Open…").trigger()

    assert len(dialogs) == 1
    for fragment in says:
        assert fragment in dialogs[0]
    assert last_message(window) == ("error", dialogs[0])
    doc = window.document
    assert doc.path == good and doc.model.to_dict() == data
    assert doc.undo_stack.count() == depth
    assert _shown(window, [x, y]) == seen
    assert grad(window, x) == 6.0
