"""Keyboard shortcuts as an X11 desktop binds them: Ctrl+D duplicates (X11's Delete also
claims Ctrl+D) and the shortcuts dialog lists only keys a keyboard has.

Offscreen Qt has its own key tables, so the X11 tables are put in place before the window is
built; the same was checked once under Xvfb with "xdotool key ctrl+d"."""

from __future__ import annotations

import re

import pytest
from gestures import keep_visible
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox

# What Qt's X11 (KDE/GNOME) tables give for these standard keys.
X11_BINDINGS = {
    QKeySequence.Delete: ["Del", "Ctrl+D"],
    QKeySequence.Copy: ["Ctrl+C", "Ctrl+Ins", "F16", "Copy"],
    QKeySequence.Cut: ["Ctrl+X", "Shift+Del", "F20", "Cut"],
    QKeySequence.Paste: ["Ctrl+V", "Shift+Ins", "F18", "Paste"],
}


@pytest.fixture
def x11_window(open_window, monkeypatch):
    """A main window built while QKeySequence answers with X11's key tables."""
    real = QKeySequence.keyBindings

    def bindings(key):  # noqa: ANN001, ANN202
        if key in X11_BINDINGS:
            return [QKeySequence(k) for k in X11_BINDINGS[key]]
        return real(key)

    monkeypatch.setattr(QKeySequence, "keyBindings", staticmethod(bindings))
    assert QKeySequence("Ctrl+D") in QKeySequence.keyBindings(QKeySequence.Delete)
    w = open_window()
    keep_visible(w)
    return w


def test_ctrl_d_duplicates_even_where_delete_claims_it(qtbot, x11_window) -> None:
    w = x11_window
    w.view.add_node("input", QPointF(0, 0))
    w.action_map["select_all"].trigger()
    qtbot.keyClick(w.view, Qt.Key_D, Qt.ControlModifier)
    labels = sorted(n.label for n in w.document.model.nodes())
    assert labels == ["x", "x2"]
    assert w.document.undo_stack.undoText() == "Duplicate"


def test_delete_keeps_its_other_keys_without_ctrl_d(qtbot, x11_window) -> None:
    w = x11_window
    keys = w.action_map["delete"].shortcuts()
    assert QKeySequence("Ctrl+D") not in keys
    assert QKeySequence("Del") in keys and QKeySequence("Backspace") in keys
    w.view.add_node("input", QPointF(0, 0))
    w.action_map["select_all"].trigger()
    qtbot.keyClick(w.view, Qt.Key_Delete)
    assert len(w.document.model) == 0


def test_shortcuts_dialog_lists_only_keys_a_keyboard_has(x11_window, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information",
                        lambda parent, title, text, *a, **k: shown.append(text))
    x11_window.action_map["shortcuts"].trigger()
    (text,) = shown
    rows = dict(re.findall(r"<tr><td>([^<]*)</td><td><b>([^<]*)</b>", text))
    assert rows["Copy"] == "Ctrl+C, Ctrl+Ins"
    assert rows["Cut"] == "Ctrl+X, Shift+Del"
    assert rows["Paste"] == "Ctrl+V, Shift+Ins"
    assert rows["Delete"] == "Del, Backspace"
    assert rows["Duplicate"] == "Ctrl+D"
    for noise in ("F16", "F18", "F20"):
        assert noise not in text


def test_a_shortcut_nobody_can_type_is_not_bound(x11_window) -> None:
    """What the dialog leaves out is not bound either: the dialog shows what works."""
    for action in x11_window.action_map.values():
        for seq in action.shortcuts():
            assert seq.toString() not in ("F16", "F18", "F20", "Copy", "Cut", "Paste"), seq
