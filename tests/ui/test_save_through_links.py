"""File ▸ Save on a file opened through a symbolic link writes the link's target and keeps
the link; a save that fails says why in a box and keeps every change, so the next Save that
can happen writes them. Files are opened and saved from the menus, the edit is by mouse."""

from __future__ import annotations

import os
import shutil

import pytest
from gestures import drag, key
from PySide6.QtCore import QPointF
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gradstudio.graph import fileformat
from gradstudio.resources import example_paths
from gradstudio.ui.canvas.node_item import WIDTH

pytestmark = pytest.mark.usefixtures("canvas_ready")


@pytest.fixture
def errors(monkeypatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical",
                        lambda parent, title, text, *a: shown.append(text))
    return shown


@pytest.fixture
def linked(tmp_path):
    """real/net.gsgraph (small_network) and links/net.gsgraph -> ../real/net.gsgraph."""
    (tmp_path / "real").mkdir()
    (tmp_path / "links").mkdir()
    target = tmp_path / "real" / "net.gsgraph"
    shutil.copyfile(example_paths()["small_network"], target)
    link = tmp_path / "links" / "net.gsgraph"
    link.symlink_to(os.path.join("..", "real", "net.gsgraph"))
    return link, target


def _open(window, monkeypatch, path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.action_map["open"].trigger()
    assert window.document.path == path


def _move_w(window) -> QPointF:
    """Drag w's card by its title 40 px to the right: an edit a person makes."""
    node = window.view.scene().nodes[window.document.model.find("w")]
    title = node.mapToScene(QPointF(WIDTH / 2, 10))
    window.view.centerOn(title)
    drag(window.view, title, title + QPointF(40, 0))
    assert window.document.modified
    return node.pos()


def _saved_w(path) -> tuple[float, float]:
    model = fileformat.load(path)
    return model.node(model.find("w")).position


def test_save_through_a_link_writes_the_target_and_keeps_the_link(qtbot, window, linked,
                                                                  monkeypatch, errors):
    link, target = linked
    _open(window, monkeypatch, link)
    before = _saved_w(target)
    moved = _move_w(window)
    key(qtbot, window.view, QKeySequence.keyBindings(QKeySequence.Save)[0])
    assert errors == [] and not window.document.modified
    assert link.is_symlink() and os.readlink(link) == os.path.join("..", "real", "net.gsgraph")
    assert _saved_w(target) == (moved.x(), moved.y()) != before
    assert sorted(os.listdir(link.parent)) == ["net.gsgraph"]  # no temporary file anywhere
    assert sorted(os.listdir(target.parent)) == ["net.gsgraph"]
    assert window.windowTitle().startswith("net.gsgraph")
    assert window.recent_files()[0] == str(link)  # the name the person chose


def test_a_failed_save_through_a_link_says_why_and_the_next_save_writes_it_all(
        qtbot, window, linked, monkeypatch, errors):
    link, target = linked
    _open(window, monkeypatch, link)
    moved = _move_w(window)
    steps = window.document.undo_stack.count()
    shutil.move(target.parent, target.parent.with_name("away"))  # the link now dangles
    window.action_map["save"].trigger()
    assert errors == [f"cannot save {link}: No such file or directory "
                      f"(the folder {target.parent} does not exist)"]
    assert window.document.modified and window.document.undo_stack.count() == steps
    assert link.is_symlink() and not target.parent.exists()

    shutil.move(target.parent.with_name("away"), target.parent)  # the folder is back
    key(qtbot, window.view, QKeySequence.keyBindings(QKeySequence.Save)[0])
    assert len(errors) == 1 and not window.document.modified
    assert _saved_w(target) == (moved.x(), moved.y()) and link.is_symlink()
