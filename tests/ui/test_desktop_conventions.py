"""What a desktop program owes its users: named controls for screen readers, menus the
keyboard can reach, Help > Keyboard Shortcuts and About, Ctrl+Q, light and dark appearance
that follow the system, icons beside the toolbar's words, translatable strings."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt, QTranslator
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QMenu,
    QMessageBox,
    QToolBar,
    QToolButton,
)

from gradstudio import __version__
from gradstudio.resources import resource_path
from gradstudio.ui import style, theme
from gradstudio.ui.actions import TOOLBAR_ICONS

MNEMONIC = re.compile(r"&([^&])")


def _mnemonic(text: str) -> str | None:
    m = MNEMONIC.search(text)
    return m.group(1).lower() if m else None


# --- accessible names -------------------------------------------------------------------------
def _unnamed(buttons: list[QAbstractButton], window) -> list[str]:  # noqa: ANN001
    return [f"{type(b).__name__} {b.objectName()!r} in {type(b.parent()).__name__}"
            for b in buttons if b.isVisibleTo(window) and not (b.text() or b.accessibleName())]


def test_every_visible_button_has_a_name(window) -> None:
    buttons = window.findChildren(QAbstractButton)
    assert buttons
    assert _unnamed(buttons, window) == []


def test_toolbar_buttons_are_named_and_show_their_words(window) -> None:
    toolbars = window.findChildren(QToolBar)
    assert toolbars
    for tb in toolbars:
        assert tb.toolButtonStyle() == Qt.ToolButtonTextBesideIcon
        for action in tb.actions():
            if action.isSeparator():
                continue
            widget = tb.widgetForAction(action)
            if isinstance(widget, QToolButton):
                assert widget.accessibleName() == action.text().replace("&", "")
                assert widget.toolButtonStyle() == Qt.ToolButtonTextBesideIcon
                assert widget.text(), action.objectName()
            else:  # an embedded widget (the learning rate box)
                assert widget.accessibleName(), type(widget).__name__


def test_overflow_buttons_of_a_narrow_window_are_named(window, qtbot) -> None:
    window.resize(360, 500)
    qtbot.waitUntil(lambda: any(
        b.isVisible() for b in window.findChildren(QToolButton, "qt_toolbar_ext_button")))
    overflow = [b for b in window.findChildren(QToolButton)
                if b.objectName() in ("qt_toolbar_ext_button", "qt_menubar_ext_button")
                and b.isVisible()]
    assert overflow
    assert all(b.accessibleName() for b in overflow)
    for name in ("qt_toolbar_ext_button", "qt_menubar_ext_button"):  # shown or not
        assert all(b.accessibleName() for b in window.findChildren(QToolButton, name)), name
    assert _unnamed(window.findChildren(QAbstractButton), window) == []


# --- icons ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", TOOLBAR_ICONS)
def test_toolbar_actions_have_their_svg_icon(window, name: str) -> None:
    path = resource_path("icons", f"{name}.svg")
    assert path.is_file(), path
    assert "<svg" in path.read_text(encoding="utf-8")
    action: QAction = window.action_map[name]
    assert not action.icon().isNull()
    image = action.icon().pixmap(48, 48).toImage()
    assert not image.isNull()
    drawn = sum(image.pixelColor(x, y).alpha() > 0 for x in range(0, 48, 3)
                for y in range(0, 48, 3))
    assert drawn > 20, f"{name}.svg renders (almost) nothing"
    assert action in window.findChild(QToolBar, "toolbar.run").actions()


# --- keyboard ---------------------------------------------------------------------------------
def _menus(window) -> list[QMenu]:  # noqa: ANN001
    out: list[QMenu] = []

    def walk(menu: QMenu) -> None:
        out.append(menu)
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu())

    for action in window.menuBar().actions():
        walk(action.menu())
    return out


def test_top_level_menus_have_distinct_mnemonics(window) -> None:
    titles = [a.text() for a in window.menuBar().actions()]
    assert [t.replace("&", "") for t in titles] == ["File", "Edit", "View", "Run", "Help"]
    keys = [_mnemonic(t) for t in titles]
    assert None not in keys, titles
    assert len(set(keys)) == len(keys), titles


def test_no_menu_has_two_entries_on_one_mnemonic(window) -> None:
    for menu in _menus(window):
        keys = [_mnemonic(a.text()) for a in menu.actions() if not a.isSeparator()]
        keys = [k for k in keys if k]
        assert len(set(keys)) == len(keys), (menu.title(), [a.text() for a in menu.actions()])


def test_alt_letter_opens_a_menu(window, qtbot) -> None:
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key_R, Qt.AltModifier)
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None)
    popup = QApplication.activePopupWidget()
    assert isinstance(popup, QMenu) and popup.title() == "&Run"
    popup.close()


def test_no_shortcut_is_taken_twice(window) -> None:
    owners: dict[str, str] = {}
    for action in window.findChildren(QAction):
        for seq in action.shortcuts():
            key = seq.toString(QKeySequence.PortableText)
            assert owners.setdefault(key, action.objectName()) == action.objectName(), key


def test_quit_answers_ctrl_q_and_closes_the_window(window, qtbot) -> None:
    assert QKeySequence("Ctrl+Q") in window.action_map["quit"].shortcuts()
    window.action_map["quit"].trigger()
    qtbot.waitUntil(lambda: not window.isVisible())


def test_every_panel_can_be_shown_from_the_view_menu(window) -> None:
    view_menu = window.view_menu
    toggles = set(view_menu.actions())
    for name, dock in window.docks.items():
        assert dock.toggleViewAction() in toggles, name


# --- help -------------------------------------------------------------------------------------
def test_help_menu_has_shortcuts_and_about(window) -> None:
    help_menu = window.menuBar().actions()[-1].menu()
    texts = [a.text() for a in help_menu.actions()]
    assert "&Keyboard Shortcuts" in texts and "&About GradStudio" in texts


def test_keyboard_shortcuts_dialog_lists_the_keys(window, monkeypatch) -> None:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "information",
                        lambda parent, title, text, *a, **k: shown.append((title, text)))
    window.view.add_node("square", window.view.center_scene_pos())  # Undo now reads "Undo Add…"
    window.action_map["shortcuts"].trigger()
    assert len(shown) == 1
    title, text = shown[0]
    assert "shortcuts" in title.lower()
    assert re.search(r"<td>Undo</td>", text) and "Undo Add" not in text
    for words, key in (("Backward", "F6"), ("Quit", "Ctrl+Q"), ("Forward", "F5"),
                       ("Zero Grad", "F7"), ("Train Step", "F8")):
        assert re.search(rf"{words}</td><td><b>[^<]*{re.escape(key)}", text), (words, key)


def test_about_shows_version_and_licence(window, monkeypatch) -> None:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "about",
                        lambda parent, title, text: shown.append((title, text)))
    window.action_map["about"].trigger()
    assert len(shown) == 1
    title, text = shown[0]
    assert "GradStudio" in title
    assert __version__ in text and "MIT" in text


# --- appearance -------------------------------------------------------------------------------
def _canvas_lightness(window, qtbot) -> tuple[int, int]:  # noqa: ANN001
    """Lightness of the canvas background (a corner) and of a card (the median over its
    inside: mostly the card's own colour, some text and ports)."""
    view = window.view
    view.scene().clearSelection()
    view.viewport().update()
    qtbot.wait(10)
    image = view.viewport().grab().toImage()
    card = view.mapFromScene(next(iter(view.scene().nodes.values())).sceneBoundingRect())
    box = card.boundingRect().adjusted(10, 10, -10, -10)
    inside = sorted(image.pixelColor(box.left() + box.width() * i // 12,
                                     box.top() + box.height() * j // 8).lightness()
                    for i in range(13) for j in range(9))
    return image.pixelColor(3, 3).lightness(), inside[len(inside) // 2]


def test_dark_palette_gives_a_dark_canvas(window, qtbot, restore_palette) -> None:
    app = restore_palette
    window.open_example("square")
    style.apply_appearance(app, dark=False)
    assert not theme.is_dark()
    background, card = _canvas_lightness(window, qtbot)
    assert background > 200 and card > 200, (background, card)
    app.setPalette(style.dark_palette())
    # no explicit repaint: the canvas hears of the palette change and drops its cached cards
    assert theme.is_dark()
    assert theme.current().background == "#1f2125"
    background, card = _canvas_lightness(window, qtbot)
    assert background < 60 and card < 80, (background, card)


def test_appearance_follows_the_setting(monkeypatch, restore_palette) -> None:
    app = restore_palette
    monkeypatch.setenv(style.APPEARANCE_ENV, "dark")
    assert style.wants_dark()
    style.follow_system_appearance(app)
    assert theme.is_dark()
    monkeypatch.setenv(style.APPEARANCE_ENV, "light")
    assert not style.wants_dark()
    style.apply_appearance(app, style.wants_dark())
    assert not theme.is_dark()


# --- translation ------------------------------------------------------------------------------
class _Marking(QTranslator):
    """A translator that 'translates' every string by putting "T:" in front of it."""

    def translate(self, context, source, disambiguation=None, n=-1):  # noqa: ANN001, ANN201
        return "T:" + source if source else source

    def isEmpty(self) -> bool:  # noqa: N802
        return False


def test_menu_and_toolbar_strings_go_through_tr(qtbot) -> None:
    from gradstudio.ui.main_window import MainWindow

    app = QApplication.instance()
    translator = _Marking()
    app.installTranslator(translator)
    try:
        w = MainWindow()
        qtbot.addWidget(w, before_close_func=lambda w: w.document.undo_stack.setClean())
    finally:
        app.removeTranslator(translator)
    assert [a.text() for a in w.menuBar().actions()] == [
        "T:&File", "T:&Edit", "T:&View", "T:&Run", "T:&Help"]
    for name, action in w.action_map.items():
        if isinstance(action, QAction):
            assert action.text().startswith("T:"), name
    assert w.action_map["backward"].toolTip().startswith("T:Run backward")
    assert w.action_map["example.square"].text() == "T:&1. y = x²"
    assert w.lr_box.accessibleName() == "T:Learning rate"
