"""File ▸ Import PyTorch Code…, as a person uses it: paste a notebook cell into the box, press
Import, and the cards are on the canvas with their values and gradients; a refusal shows
line:col in the dialog and keeps the text; an unsaved document is asked about first."""

from __future__ import annotations

from pathlib import Path

from gestures import key, trigger
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox

from gradstudio.ui.import_dialog import ImportCodeDialog

NETWORK = """import torch
x = torch.tensor(6.7)
y = torch.tensor(0.0)
w = torch.tensor(1.0, requires_grad=True)
b = torch.tensor(0.0, requires_grad=True)
z = w*x + b
y_pred = torch.sigmoid(z)
loss = -(y * torch.log(y_pred) + (1 - y) * torch.log(1 - y_pred))
loss.backward()
"""


def _open_dialog(qtbot, window) -> ImportCodeDialog:
    trigger(window.menuBar(), "Import PyTorch Code…")
    dialog = window.findChild(ImportCodeDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitExposed(dialog)
    return dialog


def _paste(qtbot, dialog: ImportCodeDialog, text: str) -> None:
    """Copy ``text`` and paste it into the box with the keyboard, as a person does."""
    QApplication.clipboard().setText(text)
    qtbot.mouseClick(dialog.editor.viewport(), Qt.LeftButton)
    key(qtbot, dialog.editor, QKeySequence.keyBindings(QKeySequence.Paste)[0])
    assert dialog.editor.toPlainText() == text


def _cards(window) -> dict[str, list[str]]:
    """Each card's title and body text, as the canvas shows them."""
    return {card.title_text(): card.display_lines()
            for card in window.view.scene().nodes.values()}


def test_paste_a_cell_and_see_its_graph(qtbot, window) -> None:
    dialog = _open_dialog(qtbot, window)
    _paste(qtbot, dialog, NETWORK)
    qtbot.mouseClick(dialog.import_button, Qt.LeftButton)
    assert not dialog.isVisible()
    cards = _cards(window)
    assert cards["loss · neg"] == ["6.7012", "grad 1.", "NegBackward0"]
    assert cards["y_pred · sigmoid"][0] == "0.9988"
    assert cards["z · add"][0] == "6.7000"
    # the code's backward was replayed: the weights' cards show their gradients
    assert cards["w · Weight"] == ["1.", "grad 6.6918"]
    assert cards["b · Weight"] == ["0.", "grad 0.9988"]
    assert set(cards) >= {"x · Input", "y · Input", "mul_1 · mul", "c_1 · Constant"}
    # a new untitled document, with unsaved changes
    assert window.windowTitle().startswith("untitled")
    assert window.document.modified and window.document.path is None
    assert "loss.backward()" in window.statusBar().currentMessage()


def _refused(qtbot, window, code: str) -> ImportCodeDialog:
    """Paste ``code`` and press Import: the box stays with the reason under it and the text
    kept, and the open graph is as it was."""
    before = window.document.model.to_dict()
    dialog = _open_dialog(qtbot, window)
    _paste(qtbot, dialog, code)
    qtbot.mouseClick(dialog.import_button, Qt.LeftButton)
    assert dialog.isVisible() and dialog.error.isVisible()
    assert dialog.editor.toPlainText() == code
    assert window.document.model.to_dict() == before
    return dialog


def test_a_refusal_shows_line_col_and_keeps_the_text(qtbot, window) -> None:
    code = "x = torch.tensor(2.0, requires_grad=True)\nfor i in range(3):\n    x = x * 2\n"
    dialog = _refused(qtbot, window, code)
    assert dialog.error.text().startswith("Not imported: 2:1: for loops are not supported")
    assert dialog.editor.textCursor().blockNumber() == 1  # the cursor is on line 2
    # fix it in the box: the loop written out, typed where the cursor is
    cursor = dialog.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End, cursor.MoveMode.KeepAnchor)
    dialog.editor.setTextCursor(cursor)
    qtbot.keyClick(dialog.editor, Qt.Key_Delete)
    qtbot.keyClicks(dialog.editor, "y = x * 8")
    qtbot.mouseClick(dialog.import_button, Qt.LeftButton)
    assert not dialog.isVisible()
    assert _cards(window)["y · mul"][0] == "16."


def test_code_that_makes_no_tensor_is_refused_and_the_graph_stays(qtbot, window) -> None:
    """A cell pasted flat (its lines run together into one comment) or holding only prints
    makes no node: the box says so and keeps the text; the open graph is not replaced by
    an empty one."""
    window.open_example("small_network")
    text = "# Binary Cross-Entropy Loss for scalardef f(p, t): ...\nprint('hello')\n"
    dialog = _refused(qtbot, window, text)
    assert "makes no tensor" in dialog.error.text()


def test_an_unsaved_document_is_asked_about_first(qtbot, window, monkeypatch) -> None:
    window.view.add_node("input", window.view.mapToScene(100, 100))
    assert window.document.modified
    asked = []
    monkeypatch.setattr(window, "ask_save", lambda: asked.append(1) or QMessageBox.Cancel)
    dialog = _open_dialog(qtbot, window)
    _paste(qtbot, dialog, "x = torch.tensor(3.0, requires_grad=True)\ny = x ** 2\n")
    qtbot.mouseClick(dialog.import_button, Qt.LeftButton)
    assert asked and dialog.isVisible()  # Cancel: nothing replaced, the text is still there
    assert [n.kind for n in window.document.model.nodes()] == ["input"]
    monkeypatch.setattr(window, "ask_save", lambda: QMessageBox.Discard)
    qtbot.mouseClick(dialog.import_button, Qt.LeftButton)
    assert not dialog.isVisible()
    assert set(_cards(window)) == {"x · Input", "y · square"}


def test_from_file_fills_the_box(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    script = tmp_path / "cell.py"
    script.write_text("x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\n"
                      "y = (x**2).mean()\ny.backward()\n")
    dialog = _open_dialog(qtbot, window)
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getOpenFileName",
                        lambda *a, **k: (str(script), ""))
    qtbot.mouseClick(dialog.from_file, Qt.LeftButton)
    assert dialog.editor.toPlainText() == script.read_text()
    qtbot.mouseClick(dialog.import_button, Qt.LeftButton)
    cards = _cards(window)
    assert cards["x · Input"] == ["[3] 1., 2., 3.", "grad 0.6667, …"]
    assert cards["y · mean"][0] == "4.6667"
    (tmp_path / "bad.py").write_bytes(b"x = 1\n\xff\n")
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getOpenFileName",
                        lambda *a, **k: (str(tmp_path / "bad.py"), ""))
    dialog = _open_dialog(qtbot, window)
    qtbot.mouseClick(dialog.from_file, Qt.LeftButton)
    assert "2:1: not UTF-8" in dialog.error.text()


def test_a_training_update_is_refused_naming_train_step(qtbot, window) -> None:
    """The notebook's update pasted with its graph: the box says it is a training update,
    which Train Step does with the code's lr, and puts the cursor on it."""
    code = NETWORK + "with torch.no_grad():\n    w -= 0.1 * w.grad\n    b -= 0.1 * b.grad\n"
    dialog = _refused(qtbot, window, code)
    assert dialog.error.text() == (
        "Not imported: 11:5: 'w -= 0.1 * w.grad' is a training update (it changes w by its "
        "gradient): the import reads the graph and its backward() calls, not weight updates. "
        "Leave it out and press Train Step in the app, with lr 0.1 in the toolbar")
    cursor = dialog.editor.textCursor()
    assert (cursor.blockNumber(), cursor.positionInBlock()) == (10, 4)
    # the person takes the advice: deletes the update, imports, presses Train Step
    cursor.movePosition(cursor.MoveOperation.StartOfBlock)
    cursor.movePosition(cursor.MoveOperation.Up)
    cursor.movePosition(cursor.MoveOperation.End, cursor.MoveMode.KeepAnchor)
    dialog.editor.setTextCursor(cursor)
    qtbot.keyClick(dialog.editor, Qt.Key_Delete)
    assert dialog.editor.toPlainText() == NETWORK
    qtbot.mouseClick(dialog.import_button, Qt.LeftButton)
    assert not dialog.isVisible()
    trigger(window.menuBar(), "Train Step")
    assert _cards(window)["w · Weight"][0] == "w 1 → 0.3308"  # 1 - 0.1 * 6.6918


def test_gradients_of_two_targets_and_a_cleared_grad_are_replayed(qtbot, window) -> None:
    """What `gradstudio import` sends to the window for: backward from two nodes add up,
    and x.grad = None clears one leaf's gradient in between."""
    dialog = _open_dialog(qtbot, window)
    _paste(qtbot, dialog, "x = torch.tensor(2.0, requires_grad=True)\n"
                          "w = torch.tensor(3.0, requires_grad=True)\n"
                          "y = x * w\nz = x ** 3\ny.backward()\nw.grad = None\nz.backward()\n")
    qtbot.mouseClick(dialog.import_button, Qt.LeftButton)
    cards = _cards(window)
    assert cards["x · Input"] == ["2. · grad 15."]  # 3 from y, 12 from z
    assert cards["w · Weight"] == ["3."]  # no gradient: none shown
    assert any(line.endswith("w.grad = None")
               for line in window.document.session.ledger.lines())


def test_a_main_that_keeps_no_tensor_is_refused_saying_so(qtbot, window) -> None:
    window.open_example("small_network")
    code = ("def main():\n    x = torch.tensor(2.0, requires_grad=True)\n    y = x ** 2\n\n"
            "main()\n")
    dialog = _refused(qtbot, window, code)
    assert dialog.error.text().startswith(
        "Not imported: no variable holds a tensor at the end of the code")
    assert "write loss = main()" in dialog.error.text()


def test_backward_of_a_vector_is_refused_in_pytorchs_words(qtbot, window) -> None:
    """y.backward() on three numbers: PyTorch raises there; the box says so at that line,
    with the ways out, and the person takes one (the gradient PyTorch would need)."""
    code = "x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\ny = x ** 2\ny.backward()\n"
    dialog = _refused(qtbot, window, code)
    assert dialog.error.text() == (
        "Not imported: 3:1: RuntimeError: grad can be implicitly created only for scalar "
        "outputs: y holds 3 numbers (shape [3]) and backward() starts from one. Reduce it "
        "first, as in y.sum().backward() or y.mean().backward(), or give the gradient, as in "
        "y.backward(torch.ones_like(y))")
    assert dialog.editor.textCursor().blockNumber() == 2  # the cursor is on line 3
    cursor = dialog.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.EndOfBlock)
    cursor.movePosition(cursor.MoveOperation.Left)
    dialog.editor.setTextCursor(cursor)
    qtbot.keyClicks(dialog.editor, "torch.ones_like(y)")
    qtbot.mouseClick(dialog.import_button, Qt.LeftButton)
    assert not dialog.isVisible()
    assert _cards(window)["x · Input"] == ["[3] 1., 2., 3.", "grad 2., 4., 6."]


def test_zeroing_a_retained_gradient_is_replayed_and_an_unkept_one_refused(qtbot,
                                                                            window) -> None:
    """y.grad.zero_() on a computed y: refused in PyTorch's words without retain_grad()
    (its .grad is None), replayed with it (the window used to fail on it)."""
    body = "y = x * 3\nloss = y * 2\nloss.backward()\ny.grad.zero_()\n"
    code = "x = torch.tensor(2.0, requires_grad=True)\n" + body
    dialog = _refused(qtbot, window, code)
    assert dialog.error.text().startswith(
        "Not imported: 5:1: AttributeError: 'NoneType' object has no attribute 'zero_' (y is "
        "computed, not a leaf")
    dialog.editor.setPlainText("")
    _paste(qtbot, dialog, "x = torch.tensor(2.0, requires_grad=True)\ny = x * 3\n"
                          "y.retain_grad()\n" + body[10:])
    qtbot.mouseClick(dialog.import_button, Qt.LeftButton)
    assert not dialog.isVisible()
    assert _cards(window)["x · Input"] == ["2. · grad 6."]
    assert window.document.session.ledger.lines() == ["backward #1: x.grad += 6 -> 6",
                                                      "y.grad.zero_()"]
