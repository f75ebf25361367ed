"""Gestures for the GUI tests: mouse presses, drags and keys sent to the real view, the way
a person's hand would produce them, and the menu look-ups a person does by eye. Not a test
module: the GUI tests import what they need (``test_gestures.py`` checks that the helpers land
where they claim to). Fixtures live in ``conftest.py``."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QApplication

__all__ = ["build_chain", "card_centre_as_added", "click", "drag", "edges", "keep_visible", "key",
           "press_shortcut", "to_view", "wire", "menu_action", "trigger", "press", "move_to",
           "release", "hover", "drop_on_canvas", "save_and_reopen", "double_click"]


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


def press(view, scene_pos: QPointF, button=Qt.LeftButton) -> None:
    """Hover, then press (scene coordinates); pair with ``move_to`` and ``release``."""
    p = to_view(view, scene_pos)
    _send(view, QEvent.MouseMove, p, Qt.NoButton, Qt.NoButton, Qt.NoModifier)
    _send(view, QEvent.MouseButtonPress, p, button, button, Qt.NoModifier)


def hover(view, scene_pos: QPointF) -> None:
    """Move the pointer with no button held."""
    _send(view, QEvent.MouseMove, to_view(view, scene_pos), Qt.NoButton, Qt.NoButton,
          Qt.NoModifier)


def move_to(view, scene_pos: QPointF, button=Qt.LeftButton) -> None:
    """Move with ``button`` held (a drag in progress)."""
    _send(view, QEvent.MouseMove, to_view(view, scene_pos), Qt.NoButton, button, Qt.NoModifier)


def release(view, scene_pos: QPointF, button=Qt.LeftButton) -> None:
    _send(view, QEvent.MouseButtonRelease, to_view(view, scene_pos), button, Qt.NoButton,
          Qt.NoModifier)


def drop_on_canvas(view, mime, at: QPoint) -> bool:
    """A drag from outside (the palette): enter at the viewport's edge, move to ``at``, drop
    there; True if accepted. (QDrag.exec runs its own loop, which a test cannot drive.)"""
    vp = view.viewport()
    enter = QDragEnterEvent(QPoint(2, 2), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(vp, enter)
    if not enter.isAccepted():
        return False
    move = QDragMoveEvent(at, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(vp, move)
    drop = QDropEvent(QPointF(at), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(vp, drop)
    return drop.isAccepted()


def click(view, scene_pos: QPointF, modifiers=Qt.NoModifier, button=Qt.LeftButton) -> None:
    p = to_view(view, scene_pos)
    _send(view, QEvent.MouseMove, p, Qt.NoButton, Qt.NoButton, modifiers)
    _send(view, QEvent.MouseButtonPress, p, button, button, modifiers)
    _send(view, QEvent.MouseButtonRelease, p, button, Qt.NoButton, modifiers)


def double_click(view, scene_pos: QPointF, button=Qt.LeftButton) -> None:
    """A hand's double-click: press, release, the second press (as the double-click event)
    and its release. QTest.mouseDClick sends the double-click event alone, which leaves the
    card under it grabbing the mouse as if the button were still held."""
    click(view, scene_pos, button=button)
    p = to_view(view, scene_pos)
    _send(view, QEvent.MouseButtonDblClick, p, button, button, Qt.NoModifier)
    _send(view, QEvent.MouseButtonRelease, p, button, Qt.NoButton, Qt.NoModifier)


def edges(window) -> set[tuple[str, str, str]]:
    """The model's wires as (src, dst, port) node-id triples."""
    return {tuple(e) for e in window.document.model.edges()}


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


def keep_visible(window) -> None:
    """Cards are added near the view's centre; put scene (0, 0) in the middle at 100%."""
    view = window.view
    view.resetTransform()
    view.centerOn(QPointF(0, 0))


def build_chain(window, *kinds_at: tuple[str, float, float]) -> list[str]:
    """Add nodes through the view (as the palette does) with their cards' top-left corners
    at scene positions: each is dropped where its card's centre must go. Returns ids."""
    from gradstudio.ui.canvas.node_item import fresh_size

    ids = []
    for kind_name, x, y in kinds_at:
        width, height = fresh_size(kind_name)
        node_id = window.view.add_node(kind_name, QPointF(x + width / 2, y + height / 2))
        assert node_id is not None
        ids.append(node_id)
    return ids


def card_centre_as_added(window, node_id: str) -> QPointF:
    """The centre of a node's card as it was added (before evaluation grew it): where the
    person dropped it."""
    from gradstudio.ui.canvas.node_item import fresh_size

    node = window.document.model.node(node_id)
    width, height = fresh_size(node.kind)
    return QPointF(node.position[0] + width / 2, node.position[1] + height / 2)


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



def save_and_reopen(qtbot, window, open_window, monkeypatch, path):
    """File ▸ Save (Ctrl+S) answered with ``path`` in the save dialog, then File ▸ Open of
    that file from a new window's menu; returns the new window."""
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    press_shortcut(qtbot, window, QKeySequence.Save)
    assert window.document.undo_stack.isClean(), "the save did not happen"
    other = open_window()
    other.action_map["open"].trigger()
    QApplication.processEvents()
    assert other.document.path is not None and str(other.document.path) == str(path)
    return other
