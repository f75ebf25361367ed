"""Canvas colours for light and dark appearance, picked from the application palette."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QPalette

CATEGORY_COLORS = {"Inputs": "#2f6db5", "Ops": "#4a7d6b", "Losses": "#b5562f"}
BADGE_COLORS = {"loss": "#c0392b", "grad": "#2e8b57", "detach": "#7f6a00",
                "no-grad": "#6c3483"}

_LIGHT = {"background": "#f4f5f7", "grid": "#e2e4e8", "card": "#ffffff", "border": "#8a9099",
          "selection": "#f0a30a", "error": "#d0312d", "text": "#1d2126", "muted": "#5f6670",
          "grad": "#b34700", "port": "#dfe3ea", "port_hot": "#3cc46b", "port_out": "#c9d3e3",
          "wire": "#59636e", "wire_grad": "#e07b00", "wire_selected": "#f0a30a"}
_DARK = {"background": "#1f2125", "grid": "#2a2d33", "card": "#2b2f36", "border": "#6b7380",
         "selection": "#f0a30a", "error": "#ff6b61", "text": "#e8eaed", "muted": "#a6adb8",
         "grad": "#ffa94d", "port": "#3b414b", "port_hot": "#3cc46b", "port_out": "#4b5563",
         "wire": "#a0a8b3", "wire_grad": "#ffa94d", "wire_selected": "#f0a30a"}


def is_dark() -> bool:
    app = QGuiApplication.instance()
    if app is None:
        return False
    return app.palette().color(QPalette.Window).lightness() < 128


def colors() -> dict[str, str]:
    return _DARK if is_dark() else _LIGHT
