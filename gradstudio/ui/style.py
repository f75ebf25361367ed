"""Light and dark appearance: the Fusion style with a palette that follows the system.

``GRADSTUDIO_APPEARANCE=light`` or ``=dark`` overrides what the system asks for.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QGraphicsView

from .theme import DARK

__all__ = ["apply_appearance", "dark_palette", "follow_system_appearance",
           "light_palette", "repaint_canvas", "wants_dark"]

APPEARANCE_ENV = "GRADSTUDIO_APPEARANCE"


def dark_palette() -> QPalette:
    """Fusion in dark colours; text, selection and error share the dark theme's roles."""
    p = QPalette()
    window, base, text = QColor(37, 40, 45), QColor(28, 30, 34), QColor(DARK.text)
    muted = QColor(120, 120, 120)
    p.setColor(QPalette.Window, window)
    p.setColor(QPalette.WindowText, text)
    p.setColor(QPalette.Base, base)
    p.setColor(QPalette.AlternateBase, QColor(44, 48, 54))
    p.setColor(QPalette.ToolTipBase, window)
    p.setColor(QPalette.ToolTipText, text)
    p.setColor(QPalette.PlaceholderText, QColor(150, 155, 162))
    p.setColor(QPalette.Text, text)
    p.setColor(QPalette.Button, window)
    p.setColor(QPalette.ButtonText, text)
    p.setColor(QPalette.BrightText, QColor(DARK.error))
    p.setColor(QPalette.Light, QColor(70, 75, 82))
    p.setColor(QPalette.Midlight, QColor(55, 59, 66))
    p.setColor(QPalette.Mid, QColor(30, 32, 36))
    p.setColor(QPalette.Dark, QColor(20, 22, 25))
    p.setColor(QPalette.Shadow, QColor(0, 0, 0))
    p.setColor(QPalette.Highlight, QColor(DARK.selection))
    p.setColor(QPalette.HighlightedText, QColor(20, 20, 20))
    p.setColor(QPalette.Link, QColor(100, 170, 255))
    p.setColor(QPalette.LinkVisited, QColor(170, 140, 255))
    for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
        p.setColor(QPalette.Disabled, role, muted)
    return p


def light_palette() -> QPalette:
    """Fusion's own light palette."""
    from PySide6.QtWidgets import QStyleFactory

    style = QStyleFactory.create("Fusion")
    return style.standardPalette() if style is not None else QPalette()


def wants_dark() -> bool:
    """Dark appearance asked for: by GRADSTUDIO_APPEARANCE, else by the system."""
    choice = os.environ.get(APPEARANCE_ENV, "").strip().lower()
    if choice in ("dark", "light"):
        return choice == "dark"
    hints = QGuiApplication.styleHints()
    return hasattr(hints, "colorScheme") and hints.colorScheme() == Qt.ColorScheme.Dark


def apply_appearance(app: QApplication, dark: bool) -> None:
    """Set the palette; every widget hears of it and re-renders in the theme's colours
    (``theme.follow``)."""
    app.setPalette(dark_palette() if dark else light_palette())


def repaint_canvas(view: QGraphicsView) -> None:
    """Redraw a canvas whose cards keep a cached picture of themselves (after a palette
    change, the cache still has the old colours)."""
    scene = view.scene()
    if scene is not None:
        for item in scene.items():
            item.update()  # also drops the item's cache
    view.resetCachedContent()
    view.viewport().update()


def follow_system_appearance(app: QApplication) -> None:
    """Apply the appearance now and again whenever the system switches light/dark."""
    apply_appearance(app, wants_dark())
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "colorSchemeChanged") and not app.property("gradstudio_follows_scheme"):
        hints.colorSchemeChanged.connect(lambda _scheme: apply_appearance(app, wants_dark()))
        app.setProperty("gradstudio_follows_scheme", True)

