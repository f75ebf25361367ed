"""The window as a document window: save and reopen, a corrupt file, the unsaved-changes
prompt on New / Open / close, recent files, and Quit's shortcut. Dialogs are answered by
monkeypatching the static QFileDialog / QMessageBox calls, so nothing modal ever runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gestures import (
    build_chain,
    drag,
    key,
    wire,
)
from PySide6.QtCore import QPointF, QSettings
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gradstudio.graph import fileformat
from gradstudio.resources import example_paths
from gradstudio.ui.canvas.node_item import WIDTH
from gradstudio.ui.main_window import MainWindow

pytestmark = pytest.mark.usefixtures("canvas_ready")


@pytest.fixture
def errors(monkeypatch) -> list[str]:
    """The text of every error box the window shows."""
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: shown.append(
        text))
    return shown


def _answer_save_dialog(monkeypatch, path: Path | str) -> list[int]:
    calls: list[int] = []

    def dialog(*args, **kwargs):
        calls.append(1)
        return str(path), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    return calls


def _answer_open_dialog(monkeypatch, path: Path | str) -> list[int]:
    calls: list[int] = []

    def dialog(*args, **kwargs):
        calls.append(1)
        return str(path), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", dialog)
    return calls


def _answer_prompt(monkeypatch, window, answer) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(window, "ask_save", lambda: (calls.append(1), answer)[1])
    return calls


def _build(window) -> None:
    """x -> square, by mouse: the document is modified."""
    x, sq = build_chain(window, ("input", -340, -100), ("square", 20, -100))
    wire(window, x, sq, "x")
    assert window.document.modified


def _numbers(window) -> dict[str, str]:
    """What backward gives, as printed: the loss, the gradients, and every card's text."""
    doc = window.document
    result = doc.backward()
    assert result.ok, result.reason
    out = {"backward from": repr(result.loss)}
    for n in doc.model.nodes():
        grad = doc.session.grad(n.id)
        if grad is not None:
            out[f"{n.label}.grad"] = repr(grad)
        out[f"{n.label} card"] = "\n".join(window.view.scene().nodes[n.id].display_lines())
    return out


# --- save and reopen --------------------------------------------------------------------------
def test_save_close_and_reopen_gives_the_same_graph_and_numbers(qtbot, window, tmp_path,
                                                                  monkeypatch, never_prompt):
    assert window.open_example("small_network")
    doc = window.document
    w = doc.model.find("w")
    node = window.view.scene().nodes[w]
    title = node.mapToScene(QPointF(WIDTH / 2, 10))
    window.view.centerOn(title)
    drag(window.view, title, title + QPointF(30, 20))  # an edit, by mouse
    assert doc.modified
    data, numbers = doc.model.to_dict(), _numbers(window)
    target = tmp_path / "network"
    dialog = _answer_save_dialog(monkeypatch, target)
    key(qtbot, window.view, QKeySequence.keyBindings(QKeySequence.Save)[0])
    assert dialog == [1]  # an example has no file yet: Save asks where
    saved = tmp_path / "network.gsgraph"  # the extension is added
    assert saved.exists() and doc.path == saved
    assert not doc.modified and window.windowTitle().startswith("network.gsgraph")
    assert window.close()

    again = MainWindow()
    qtbot.addWidget(again)
    never_prompt(again)
    _answer_open_dialog(monkeypatch, saved)
    again.action_map["open"].trigger()
    assert again.document.model.to_dict() == data
    assert again.document.path == saved and not again.document.modified
    assert _numbers(again) == numbers
    assert numbers["backward from"] == "tensor(6.7012, grad_fn=<NegBackward0>)"
    assert numbers["w.grad"] == "tensor(6.6918)" and numbers["b.grad"] == "tensor(0.9988)"


def test_file_dialogs_start_where_the_last_file_went_with_the_graph_s_name(
        qtbot, window, tmp_path, monkeypatch, never_prompt):
    """Save an example into a folder, export it, open a file: each dialog starts in the
    folder the last file went to (not the home folder again), named after the graph."""
    starts: list[str] = []

    def dialog(answer):
        return lambda parent, caption, start, *a, **k: (starts.append(start), (answer, ""))[1]

    folder = tmp_path / "course"
    folder.mkdir()
    assert window.open_example("small_network")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog(str(folder / "net")))
    key(qtbot, window.view, QKeySequence.keyBindings(QKeySequence.Save)[0])
    assert window.document.path == folder / "net.gsgraph"
    assert Path(starts[-1]).name == "small_network.gsgraph"  # the example's name
    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog(str(folder / "net.py")))
    window.action_map["export_py"].trigger()
    assert starts[-1] == str(folder / "net.py")  # the saved file's folder and name
    monkeypatch.setattr(QFileDialog, "getOpenFileName", dialog(str(folder / "net.gsgraph")))
    window.action_map["open"].trigger()
    assert starts[-1] == str(folder)


def test_new_does_not_keep_the_example_s_description_in_the_status_bar(qtbot, window):
    assert window.open_example("small_network")
    described = window.document.model.description
    assert window.statusBar().currentMessage() == described
    key(qtbot, window.view, QKeySequence.keyBindings(QKeySequence.New)[0])
    assert len(window.document.model) == 0
    assert window.statusBar().currentMessage() != described


def test_save_writes_to_the_open_file_without_asking(qtbot, window, tmp_path, monkeypatch):
    path = tmp_path / "g.gsgraph"
    _build(window)
    assert window.document.save(path)
    window.view.add_node("sin", QPointF(-300, 100))
    dialog = _answer_save_dialog(monkeypatch, tmp_path / "other.gsgraph")
    window.action_map["save"].trigger()
    assert dialog == [] and not window.document.modified
    assert len(fileformat.load(path)) == 3


def test_save_as_dialog_cancelled_saves_nothing(qtbot, window, tmp_path, monkeypatch):
    _build(window)
    _answer_save_dialog(monkeypatch, "")
    window.action_map["save_as"].trigger()
    assert window.document.modified and window.document.path is None
    assert list(tmp_path.glob("*.gsgraph")) == []


def test_a_failed_save_says_why_and_keeps_the_changes(qtbot, window, tmp_path, monkeypatch,
                                                     errors):
    _build(window)
    _answer_save_dialog(monkeypatch, tmp_path / "no such folder" / "g.gsgraph")
    window.action_map["save"].trigger()
    assert len(errors) == 1 and "g.gsgraph" in errors[0]
    assert window.document.modified and window.document.path is None
    assert window.recent_files() == []


# --- a corrupt file ---------------------------------------------------------------------------
@pytest.mark.parametrize("content, says", [
    ("{not json", "not valid JSON"),
    ('{"format": "something-else", "version": 1}', "not a GradStudio graph"),
    (None, "edges[0]"),  # well-formed JSON, but a wire to a node that is not there
])
def test_opening_a_corrupt_file_shows_why_and_keeps_the_document(qtbot, window, tmp_path,
                                                                monkeypatch, errors, content,
                                                                says):
    bad = tmp_path / "bad.gsgraph"
    if content is None:
        model = fileformat.load(example_paths()["square"])
        data = fileformat.document(model)
        data["edges"][0]["src"] = "nobody"
        content = json.dumps(data)
    bad.write_text(content)
    _build(window)
    before = window.document.model.to_dict()
    steps, title = window.document.undo_stack.count(), window.windowTitle()
    _answer_prompt(monkeypatch, window, QMessageBox.Discard)
    _answer_open_dialog(monkeypatch, bad)

    window.action_map["open"].trigger()

    assert len(errors) == 1 and says in errors[0] and "bad.gsgraph" in errors[0]
    assert window.document.model.to_dict() == before
    assert window.document.undo_stack.count() == steps and window.document.modified
    assert window.document.path is None and window.windowTitle() == title
    assert str(bad) not in window.recent_files()


def test_opening_a_missing_file_shows_why(qtbot, window, tmp_path, errors):
    assert not window.open_file(tmp_path / "gone.gsgraph")
    assert len(errors) == 1 and "gone.gsgraph" in errors[0]


# --- the unsaved-changes prompt ---------------------------------------------------------------
def test_no_prompt_when_nothing_changed(qtbot, window, monkeypatch):
    calls = _answer_prompt(monkeypatch, window, QMessageBox.Cancel)
    window.action_map["new"].trigger()
    assert calls == []


@pytest.mark.parametrize("answer", ["cancel", "discard", "save"])
def test_prompt_on_new(qtbot, window, tmp_path, monkeypatch, answer):
    _build(window)
    before = window.document.model.to_dict()
    calls = _answer_prompt(monkeypatch, window, {
        "cancel": QMessageBox.Cancel, "discard": QMessageBox.Discard,
        "save": QMessageBox.Save}[answer])
    _answer_save_dialog(monkeypatch, tmp_path / "kept.gsgraph")
    window.action_map["new"].trigger()
    assert calls == [1]
    doc = window.document
    if answer == "cancel":
        assert doc.model.to_dict() == before and doc.modified
    else:
        assert len(doc.model) == 0 and not doc.modified and doc.path is None
        assert doc.undo_stack.count() == 0
    assert (tmp_path / "kept.gsgraph").exists() == (answer == "save")
    if answer == "save":
        assert fileformat.load(tmp_path / "kept.gsgraph").to_dict() == before


def test_prompt_save_then_cancel_the_file_dialog_keeps_everything(qtbot, window, monkeypatch):
    _build(window)
    before = window.document.model.to_dict()
    _answer_prompt(monkeypatch, window, QMessageBox.Save)
    _answer_save_dialog(monkeypatch, "")
    window.action_map["new"].trigger()
    assert window.document.model.to_dict() == before and window.document.modified


@pytest.mark.parametrize("answer", ["cancel", "discard", "save"])
def test_prompt_on_open(qtbot, window, tmp_path, monkeypatch, answer):
    _build(window)
    before = window.document.model.to_dict()
    _answer_prompt(monkeypatch, window, {
        "cancel": QMessageBox.Cancel, "discard": QMessageBox.Discard,
        "save": QMessageBox.Save}[answer])
    _answer_save_dialog(monkeypatch, tmp_path / "kept.gsgraph")
    other = example_paths()["sin_of_square"]
    dialog = _answer_open_dialog(monkeypatch, other)
    window.action_map["open"].trigger()
    doc = window.document
    if answer == "cancel":
        assert dialog == []  # no file dialog after Cancel
        assert doc.model.to_dict() == before and doc.modified
    else:
        assert doc.path == Path(other) and not doc.modified
        assert doc.model.to_dict() == fileformat.load(other).to_dict()
    assert (tmp_path / "kept.gsgraph").exists() == (answer == "save")


@pytest.mark.parametrize("answer", ["cancel", "discard", "save"])
def test_prompt_on_close(qtbot, window, tmp_path, monkeypatch, never_prompt, answer):
    _build(window)
    before = window.document.model.to_dict()
    _answer_prompt(monkeypatch, window, {
        "cancel": QMessageBox.Cancel, "discard": QMessageBox.Discard,
        "save": QMessageBox.Save}[answer])
    _answer_save_dialog(monkeypatch, tmp_path / "kept.gsgraph")
    closed = window.close()
    assert closed == (answer != "cancel")
    assert window.isVisible() == (answer == "cancel")
    assert window.document.model.to_dict() == before
    if answer == "save":
        assert fileformat.load(tmp_path / "kept.gsgraph").to_dict() == before
    never_prompt(window)


# --- recent files and quit --------------------------------------------------------------------
def test_recent_files_are_updated_and_remembered(qtbot, window, tmp_path, monkeypatch):
    a, b = tmp_path / "a.gsgraph", tmp_path / "b.gsgraph"
    _build(window)
    _answer_save_dialog(monkeypatch, a)
    window.action_map["save_as"].trigger()
    window.view.add_node("sin", QPointF(-300, 100))
    _answer_save_dialog(monkeypatch, b)
    window.action_map["save_as"].trigger()
    assert window.recent_files() == [str(b), str(a)]
    window.open_file(a)
    assert window.recent_files() == [str(a), str(b)]  # most recent first, no duplicates

    window.settings.sync()
    assert QSettings().value("files/recent") == [str(a), str(b)]
    later = MainWindow()
    qtbot.addWidget(later)
    assert later.recent_files() == [str(a), str(b)]

    menu = later.recent_menu
    menu.aboutToShow.emit()
    entries = [act for act in menu.actions() if act.text()]
    assert [act.text() for act in entries] == [str(a), str(b)]
    entries[1].trigger()
    assert later.document.path == b and len(later.document.model) == 3


def test_recent_files_are_capped(qtbot, window, tmp_path, monkeypatch):
    for i in range(12):
        _answer_save_dialog(monkeypatch, tmp_path / f"g{i}.gsgraph")
        window.action_map["save_as"].trigger()
    assert len(window.recent_files()) == 8
    assert window.recent_files()[0] == str(tmp_path / "g11.gsgraph")


def test_quit_has_a_shortcut_and_closes(qtbot, window):
    quit_action = window.action_map["quit"]
    assert QKeySequence("Ctrl+Q") in quit_action.shortcuts()
    for seq in QKeySequence.keyBindings(QKeySequence.Quit):
        assert seq in quit_action.shortcuts()
    key(qtbot, window.view, "Ctrl+Q")
    assert not window.isVisible()


def test_quit_with_unsaved_changes_asks_first(qtbot, window, monkeypatch, never_prompt):
    _build(window)
    calls = _answer_prompt(monkeypatch, window, QMessageBox.Cancel)
    key(qtbot, window.view, "Ctrl+Q")
    assert calls == [1] and window.isVisible()
    never_prompt(window)
