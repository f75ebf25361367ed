"""The window's colours by meaning — ok, warning, error, gradient, detached, … — in a light and
a dark variant, for the canvas and every panel alike.

Everything that draws in colour asks ``current()`` for a role (``current().gradient``) at the
moment it draws, so one definition here serves the cards, the wires and the panels. The variant
follows the application palette (``style.apply_appearance`` sets it; the system's light/dark
switch does too), and ``follow(widget, restyle)`` re-renders a widget when that palette flips.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QWidget

__all__ = ["DARK", "LIGHT", "Theme", "current", "follow", "is_dark"]

# Fills under white text (a card's title bar, a badge): saturated mid tones that read on a
# light and on a dark card alike, so both variants share them.
_CATEGORY_FILLS = MappingProxyType({"Inputs": "#2f6db5", "Ops": "#4a7d6b", "Losses": "#b5562f"})
_BADGE_FILLS = MappingProxyType({"loss": "#c0392b", "grad": "#2e8b57", "detach": "#7f6a00",
                                 "no-grad": "#6c3483",
                                 # Check Gradients on a leaf: backward agrees / disagrees
                                 "agrees": "#2e7d32", "disagrees": "#d0312d"})
_SELECTION = "#f0a30a"


@dataclass(frozen=True)
class Theme:
    """One appearance: a colour (``#rrggbb``) for each role."""

    dark: bool
    # surfaces and plain text
    background: str  # the canvas behind the cards
    grid: str
    card: str
    border: str
    text: str
    muted: str  # secondary text: hints, labels, time stamps
    selection: str
    on_fill: str  # text on a category or badge fill
    # meanings
    ok: str  # requires grad, a zero grad, a note that went well
    warning: str  # the text of a warning (gradients accumulating)
    warning_fill: str  # the background of a warning banner
    warning_border: str
    error: str
    gradient: str  # a .grad and what backward sent
    detached: str
    no_grad: str
    loss: str
    # canvas parts
    port: str
    port_hot: str  # an input port a dragged wire can land on
    port_out: str
    wire: str
    wire_gradient: str  # a wire the last backward ran along
    wire_selected: str
    note: str  # a teacher's note on the canvas (its paper); its text is ``text``
    note_border: str
    frame: str  # a frame's backdrop, drawn translucent behind its cards
    frame_title: str  # the frame's title text and border
    # fills and plotted lines
    categories: Mapping[str, str]  # a card's title bar, by catalog category
    badges: Mapping[str, str]  # a card's badges ("loss", "grad", "detach", "no-grad", and
    # Check Gradients' "agrees" / "disagrees")
    series: tuple[str, ...]  # the weight curves in the Training panel, in turn

    def badge(self, name: str) -> str:
        return self.badges.get(name, self.muted)


LIGHT = Theme(
    dark=False, background="#f4f5f7", grid="#e2e4e8", card="#ffffff", border="#8a9099",
    text="#1d2126", muted="#5f6670", selection=_SELECTION, on_fill="#ffffff",
    ok="#2e7d32", warning="#7a4b00", warning_fill="#fff4d6", warning_border="#e0a800",
    error="#d0312d", gradient="#b34700", detached="#7f6a00", no_grad="#6c3483", loss="#c0392b",
    port="#dfe3ea", port_hot="#3cc46b", port_out="#c9d3e3", wire="#59636e",
    wire_gradient="#e07b00", wire_selected=_SELECTION,
    note="#fff8c9", note_border="#c9b458", frame="#9db4d6", frame_title="#2c4a73",
    categories=_CATEGORY_FILLS, badges=_BADGE_FILLS,
    series=("#2f6db5", "#2e7d32", "#b5562f", "#6c3483", "#7f6a00", "#17808a", "#c2185b",
            "#5f6670"))

DARK = Theme(
    dark=True, background="#1f2125", grid="#2a2d33", card="#2b2f36", border="#6b7380",
    text="#e8eaed", muted="#a6adb8", selection=_SELECTION, on_fill="#ffffff",
    ok="#6fcf73", warning="#ffd98a", warning_fill="#4a3a12", warning_border="#a07b1c",
    error="#ff6b61", gradient="#ffa94d", detached="#e0c341", no_grad="#c39bd3", loss="#ff8a7a",
    port="#3b414b", port_hot="#3cc46b", port_out="#4b5563", wire="#a0a8b3",
    wire_gradient="#ffa94d", wire_selected=_SELECTION,
    note="#3d3a28", note_border="#8c7f3c", frame="#5a7aa8", frame_title="#b9cdeb",
    categories=_CATEGORY_FILLS, badges=_BADGE_FILLS,
    series=("#6fa8ff", "#6fcf97", "#ffb38a", "#c39bd3", "#e0c341", "#4dd0e1", "#f48fb1",
            "#b0b7c3"))


def is_dark() -> bool:
    """Whether the application palette is a dark one (its window colour is dark)."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    return app.palette().color(QPalette.Window).lightness() < 128


def current() -> Theme:
    """The colours for the application palette as it is now."""
    return DARK if is_dark() else LIGHT


class _Follower(QObject):
    """Calls ``restyle`` when its widget's palette changes to the other variant."""

    def __init__(self, widget: QWidget, restyle: Callable[[], None]) -> None:
        super().__init__(widget)
        self._restyle = restyle
        self._shown = current()
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.PaletteChange and watched is self.parent():
            now = current()
            if now is not self._shown:  # restyling may change palettes again: once is enough
                self._shown = now
                self._restyle()
        return False


def follow(widget: QWidget, restyle: Callable[[], None]) -> None:
    """Re-render ``widget`` (call ``restyle``) whenever the app switches light/dark.

    Qt sends every widget a palette change when the application palette is set — by
    ``style.apply_appearance`` or when the system's colour scheme changes — hidden ones too."""
    _Follower(widget, restyle)
