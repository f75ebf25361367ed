"""Gestures for the canvas tests: mouse presses, drags and keys sent to the real view, the way
a person's hand would produce them. Imported by the other ``test_canvas_*`` modules; the one
test here checks that the helpers land where they claim to."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QKeySequence, QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox

__all__ = ["build_chain", "click", "drag", "keep_visible", "key", "press_shortcut", "to_view",
           "wire", "never_prompt", "menu_action", "trigger"]


def never_prompt(window, monkeypatch) -> None:
    """pytest-qt closes the window before fixtures tear down, so a modified document would
    open a modal "Unsaved changes" box and hang: answer it with Discard."""
    monkeypatch.setattr(window, "ask_save", lambda: QMessageBox.Discard)


def to_view(view, scene_pos: QPointF) -> QPoint:
    """The viewport pixel under a scene point; it must be on screen, as for a real hand."""
    p = view.mapFromScene(scene_pos)
    assert view.viewport().rect().contains(p), f"{scene_pos} is off screen at {p}"
    return p


def _send(view, kind: QEvent.Type, pos: QPoint, button, buttons, modifiers) -> None:
    vp = view.viewport()
    event = QMouseEvent(kind, QPointF(pos), QPointF(vp.mapToGlobal(pos)), button, buttons,
                        modifiers)
    QApplication.sendEvent(vp, event)


def drag(view, start: QPointF, end: QPointF, button=Qt.LeftButton,
         modifiers=Qt.NoModifier, steps: int = 5) -> None:
    """Press at ``start``, move in ``steps`` with the button held, release at ``end``
    (scene coordinates)."""
    a, b = to_view(view, start), to_view(view, end)
    _send(view, QEvent.MouseMove, a, Qt.NoButton, Qt.NoButton, modifiers)  # hover first
    _send(view, QEvent.MouseButtonPress, a, button, button, modifiers)
    for i in range(1, steps + 1):
        p = a + (b - a) * (i / steps)
        _send(view, QEvent.MouseMove, p, Qt.NoButton, button, modifiers)
    _send(view, QEvent.MouseButtonRelease, b, button, Qt.NoButton, modifiers)


def click(view, scene_pos: QPointF, modifiers=Qt.NoModifier, button=Qt.LeftButton) -> None:
    p = to_view(view, scene_pos)
    _send(view, QEvent.MouseMove, p, Qt.NoButton, Qt.NoButton, modifiers)
    _send(view, QEvent.MouseButtonPress, p, button, button, modifiers)
    _send(view, QEvent.MouseButtonRelease, p, button, Qt.NoButton, modifiers)


def wire(window, src: str, dst: str, port: str) -> None:
    """Drag from ``src``'s output port onto ``dst``'s input ``port`` (node ids)."""
    nodes = window.view.scene().nodes
    drag(window.view, nodes[src].output_port_pos(), nodes[dst].input_port_pos(port))


def key(qtbot, widget, sequence: QKeySequence | str) -> None:
    """Press the first key combination of ``sequence`` on ``widget``."""
    combo = QKeySequence(sequence)[0]
    qtbot.keyClick(widget, combo.key(), combo.keyboardModifiers())


def press_shortcut(qtbot, window, standard: QKeySequence.StandardKey) -> None:
    """Press the platform's key for a standard action on the canvas (the key is looked up,
    not assumed: offscreen Qt maps some of them differently)."""
    bindings = QKeySequence.keyBindings(standard)
    assert bindings, f"no key for {standard} on this platform"
    key(qtbot, window.view, bindings[0])


@pytest.fixture(autouse=True)
def canvas_ready(window, monkeypatch) -> None:
    """For every test of a module that imports it: no unsaved-changes prompt, and scene
    (0, 0) in the middle of the view at 100%."""
    never_prompt(window, monkeypatch)
    keep_visible(window)


def keep_visible(window) -> None:
    """Cards are added near the view's centre; put scene (0, 0) in the middle at 100%."""
    view = window.view
    view.resetTransform()
    view.centerOn(QPointF(0, 0))


def build_chain(window, *kinds_at: tuple[str, float, float]) -> list[str]:
    """Add nodes through the view (as the palette does) at scene positions; returns ids."""
    ids = []
    for kind_name, x, y in kinds_at:
        node_id = window.view.add_node(kind_name, QPointF(x, y))
        assert node_id is not None
        ids.append(node_id)
    return ids


def menu_action(menu, text: str):
    """The action called ``text`` in a menu or its submenus (ampersands ignored)."""
    for action in menu.actions():
        if action.menu() is not None:
            found = menu_action(action.menu(), text)
            if found is not None:
                return found
        elif action.text().replace("&", "") == text:
            return action
    return None


def trigger(menu, text: str) -> None:
    action = menu_action(menu, text)
    assert action is not None, f"no '{text}' in the menu: {[a.text() for a in menu.actions()]}"
    action.trigger()


def test_helpers_hit_the_port_they_aim_at(qtbot, window, monkeypatch):
    never_prompt(window, monkeypatch)
    keep_visible(window)
    x, sq = build_chain(window, ("input", -320, -40), ("square", 40, -40))
    view = window.view
    out, inp = view.scene().nodes[x].output_port_pos(), view.scene().nodes[sq].input_port_pos("x")
    assert view.port_under(out)[0].node_id == x and view.port_under(out)[1] == ("out", None)
    assert view.port_under(inp)[0].node_id == sq and view.port_under(inp)[1] == ("in", "x")
    wire(window, x, sq, "x")
    assert [tuple(e) for e in window.document.model.edges()] == [(x, sq, "x")]
