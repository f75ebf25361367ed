"""Honest numbers in the window: a file whose value passes float32 (1e308) opens, as PyTorch
holds it (inf), with a warning in Messages; the Inspector says it for the value and for a
result that overflows; typing such a value says it too. Read as a person reads them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

pytestmark = pytest.mark.usefixtures("canvas_ready")

FILE = {"format": "gradstudio-graph", "version": 2, "settings": {"dtype": "float32"},
        "nodes": [{"id": "a", "kind": "input", "label": "a", "params": {"value": 1e308}},
                  {"id": "b", "kind": "input", "label": "b", "params": {"value": 100}},
                  {"id": "e", "kind": "exp", "label": "e"}],
        "edges": [{"src": "b", "dst": "e", "port": "x"}]}


def _select(qtbot, window, label: str) -> None:
    view = window.view
    item = view.scene().nodes[window.document.model.find(label)]
    view.ensureVisible(item)
    pos = view.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier, pos)


def _open(window, monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.action_map["open"].trigger()


def test_a_file_past_float32_opens_with_a_warning_and_the_inspector_says_why(
        qtbot, window, monkeypatch, tmp_path: Path) -> None:
    path = tmp_path / "big.gsgraph"
    path.write_text(json.dumps(FILE))
    _open(window, monkeypatch, path)
    assert window.document.path == path  # opened, not refused
    messages = window.panels["messages"].text.toPlainText()
    assert "big.gsgraph: 2 nodes hold inf that no number in the file wrote (past float32's " \
           "largest number)" in messages
    assert "a: 1e+308 does not fit in float32 (its largest number is 3.403e+38)" in messages
    assert "e: its result overflows float32: 2.688e+43 in float64" in messages

    inspector = window.panels["inspector"]
    _select(qtbot, window, "a")
    assert inspector.facts["value"].text() == "tensor(inf)"
    assert inspector.param_fields["value"].edit.text() == "1e+308"  # what the file holds
    row = inspector.facts["overflow"]
    assert row.isVisible()
    assert row.text().startswith("⚠ a: 1e+308 does not fit in float32")

    _select(qtbot, window, "e")
    assert inspector.facts["value"].text() == "tensor(inf)"
    assert row.isVisible() and "its result overflows float32: 2.688e+43 in float64" in row.text()

    _select(qtbot, window, "b")
    assert row.isHidden()  # 100 is an ordinary number


def test_typing_a_value_past_float32_is_said_in_the_inspector_and_undo_clears_it(
        qtbot, window) -> None:
    window.open_example("small_network")
    inspector = window.panels["inspector"]
    _select(qtbot, window, "w")
    row = inspector.facts["overflow"]
    assert row.isHidden()
    edit = inspector.param_fields["value"].edit
    qtbot.mouseClick(edit, Qt.LeftButton)
    edit.selectAll()
    qtbot.keyClicks(edit, "1e308")
    qtbot.keyClick(edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: inspector.facts["value"].text().startswith("tensor(inf"))
    assert edit.text() == "1e+308"
    assert row.isVisible() and row.text().startswith("⚠ w: 1e+308 does not fit in float32")
    window.action_map["undo"].trigger()
    assert row.isHidden() and edit.text() == "1.0"
