"""File ▸ Export ▸ PyTorch Script… / Jupyter Notebook…: a person opens a graph, picks the
menu entry, names the file in the save dialog and gets a script or a notebook with the
graph's code; a graph that cannot be exported, or a place that cannot be written, gets a
clear message and leaves nothing behind."""

from __future__ import annotations

import ast

import nbformat
from gestures import build_chain, keep_visible, menu_action, to_view, wire
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMessageBox


def _file_menu(window):
    return next(a.menu() for a in window.menuBar().actions()
                if a.text().replace("&", "") == "File")


def _save_dialog_answers(monkeypatch, path) -> list:
    asked = []

    def dialog(parent, caption, folder, filters, *rest, **kw):
        asked.append((caption, filters))
        return str(path), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    return asked


def test_export_a_script_from_the_file_menu(qtbot, window, tmp_path, monkeypatch):
    window.action_map["example.small_network"].trigger()
    asked = _save_dialog_answers(monkeypatch, tmp_path / "network")  # no extension typed
    menu_action(_file_menu(window), "PyTorch Script…").trigger()
    assert asked and "(*.py)" in asked[0][1]
    text = (tmp_path / "network.py").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert "y_pred = torch.sigmoid(z)" in lines and "loss.backward()" in lines
    assert "small_network" in ast.get_docstring(ast.parse(text))
    assert "network.py" in window.statusBar().currentMessage()


def test_export_a_notebook_of_a_graph_built_and_edited_by_hand(qtbot, window, tmp_path,
                                                               monkeypatch):
    """x -> square built on the canvas, x's value typed on its card: the notebook has it."""
    keep_visible(window)
    x, sq = build_chain(window, ("input", -330, -60), ("square", 40, -60))
    wire(window, x, sq, "x")
    card = window.view.scene().nodes[x]
    spot = to_view(window.view, card.mapToScene(card.value_rect().center()))
    qtbot.mouseDClick(window.view.viewport(), Qt.LeftButton, pos=spot)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "5")
    qtbot.keyClick(editor, Qt.Key_Return)
    _save_dialog_answers(monkeypatch, tmp_path / "square.ipynb")
    menu_action(_file_menu(window), "Jupyter Notebook…").trigger()
    book = nbformat.read(tmp_path / "square.ipynb", as_version=4)
    nbformat.validate(book)
    code = "\n".join(c.source for c in book.cells if c.cell_type == "code")
    words = "\n".join(c.source for c in book.cells if c.cell_type == "markdown")
    assert "x = torch.tensor(5.0, dtype=torch.float32)  # input" in code
    assert "square = x ** 2" in code
    assert "square = x² = 5² = 25" in words  # the step-through's words, with the typed value
    assert "backward is not run" in code  # x does not require grad: the app refuses it too


def test_a_graph_that_cannot_be_exported_says_why(qtbot, window, tmp_path, monkeypatch):
    errors = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: errors.append(args[2]))
    _save_dialog_answers(monkeypatch, tmp_path / "empty.py")
    window.action_map["export_py"].trigger()  # File > New's empty canvas
    assert len(errors) == 1 and "empty" in errors[0]
    assert not (tmp_path / "empty.py").exists()


def test_an_unwritable_place_says_why(qtbot, window, tmp_path, monkeypatch):
    window.action_map["example.square"].trigger()
    errors = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: errors.append(args[2]))
    _save_dialog_answers(monkeypatch, tmp_path / "missing" / "g.py")
    window.action_map["export_py"].trigger()
    assert len(errors) == 1 and "cannot save" in errors[0] and "g.py" in errors[0]


def test_cancelling_the_dialog_writes_nothing(qtbot, window, tmp_path, monkeypatch):
    window.action_map["example.square"].trigger()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    assert not window.export_code("py")
    assert not list(tmp_path.glob("*.py"))
