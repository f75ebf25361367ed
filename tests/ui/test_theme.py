"""One theme for the canvas and every panel: colours by role, readable in both variants, no
colour written anywhere else, and followed live when the app switches light/dark."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import fields
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel

from gradstudio.ui import style, theme

UI = Path(__file__).resolve().parents[2] / "gradstudio" / "ui"
TEXT_ROLES = ("text", "muted", "ok", "warning", "error", "gradient", "detached", "no_grad", "loss")


def _contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) \
            + 0.0722 * channel(c.blueF())
    hi, lo = sorted((luminance(QColor(a)), luminance(QColor(b))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_dark_palette_keeps_text_readable() -> None:
    p = style.dark_palette()
    for fg, bg in ((QPalette.WindowText, QPalette.Window), (QPalette.Text, QPalette.Base),
                   (QPalette.ButtonText, QPalette.Button),
                   (QPalette.HighlightedText, QPalette.Highlight),
                   (QPalette.ToolTipText, QPalette.ToolTipBase)):
        assert _contrast(p.color(fg).name(), p.color(bg).name()) >= 4.5, (fg, bg)


@pytest.mark.parametrize("variant", [theme.LIGHT, theme.DARK], ids=["light", "dark"])
def test_text_roles_are_readable_on_cards_and_panels(variant) -> None:
    base = (style.dark_palette() if variant.dark else style.light_palette()).color(QPalette.Base)
    for role in TEXT_ROLES:
        color = getattr(variant, role)
        for ground in (variant.card, variant.background, base.name()):
            assert _contrast(color, ground) >= 4.5, (role, color, ground)
    assert _contrast(variant.warning, variant.warning_fill) >= 4.5
    for fill in [*variant.categories.values(), *variant.badges.values()]:
        assert _contrast(variant.on_fill, fill) >= 4.0, fill


def test_light_and_dark_differ_where_it_matters() -> None:
    for role in (*TEXT_ROLES, "background", "card"):
        assert getattr(theme.LIGHT, role) != getattr(theme.DARK, role), role
    assert {f.name for f in fields(theme.Theme)} >= {"ok", "warning", "error", "gradient",
                                                     "detached", "muted", "text", "card",
                                                     "selection"}


def test_no_colour_is_written_outside_the_theme() -> None:
    """A colour literal in a panel or on the canvas would ignore dark mode."""
    literal = re.compile(r"#[0-9a-fA-F]{6}\b|QColor\(\"")
    offenders = [f"{path.relative_to(UI)}:{n}" for path in UI.rglob("*.py")
                 if path.name != "theme.py"
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if literal.search(line)]
    assert offenders == []


# --- following a light/dark switch live -------------------------------------------------------
@pytest.fixture
def window(window, restore_palette):
    """The shared window, in the light appearance to start with."""
    style.apply_appearance(restore_palette, dark=False)
    return window


def _fg(label: QLabel) -> str:
    label.ensurePolished()
    return label.palette().color(label.foregroundRole()).name()


def _card_fill(window, qtbot, label: str) -> str:
    """The colour covering most of a card on screen (its fill, around text and ports)."""
    view = window.view
    item = view.scene().nodes[window.document.model.find(label)]
    view.ensureVisible(item)
    view.viewport().update()
    qtbot.wait(10)
    image = view.viewport().grab().toImage()
    inside = item.sceneBoundingRect().adjusted(8, 30, -8, -8)  # below the title bar
    box = view.mapFromScene(inside).boundingRect()
    counts = Counter(image.pixelColor(x, y).name() for x in range(box.left(), box.right(), 2)
                     for y in range(box.top(), box.bottom(), 2))
    return counts.most_common(1)[0][0]


def _shown_colours(window, qtbot) -> dict[str, str]:
    """What each panel draws in colour, read from its widgets."""
    p = window.panels
    ledger_model = p["ledger"].model
    last_row = ledger_model.index(ledger_model.rowCount() - 1)
    training = p["training"]
    training.ensure_plots()
    return {
        "card": _card_fill(window, qtbot, "w"),
        "gradients warning": _fg(p["gradients"].summary),
        "ledger banner": _fg(p["ledger"].banner),
        "ledger banner fill": p["ledger"].banner.palette().color(QPalette.Window).name(),
        "ledger accumulated row": ledger_model.data(last_row, Qt.ForegroundRole).name(),
        "ledger count": _fg(p["ledger"].count_label),
        "inspector why": _fg(p["inspector"].facts["why"]),
        "inspector kind": _fg(p["inspector"].kind_label),
        "training status": _fg(training.status),
        "training loss curve": training._loss_curve.opts["pen"].color().name(),
        "training w curve": training._curves["w"].opts["pen"].color().name(),
        "training legend": QColor(training._legend.items[0][1].opts["color"]).name(),
        "training axis": training._plots[0].getPlotItem().getAxis("left").textPen()
        .color().name(),
        "messages": p["messages"].text.toHtml(),
        "chain rule": p["chain_rule"].text.toHtml(),
    }


def _expected(t: theme.Theme) -> dict[str, str]:
    return {"card": t.card, "gradients warning": t.warning, "ledger banner": t.warning,
            "ledger banner fill": t.warning_fill, "ledger accumulated row": t.gradient,
            "ledger count": t.muted, "inspector why": t.ok, "inspector kind": t.muted,
            "training status": t.muted, "training loss curve": t.loss, "training axis": t.muted,
            "training w curve": t.series[0], "training legend": t.text}


def _check(shown: dict[str, str], t: theme.Theme) -> None:
    for key, want in _expected(t).items():
        assert shown[key] == want, (key, shown[key], want)
    assert f"color:{t.ok}" in shown["messages"]  # "backward from loss done"
    assert f"color:{t.gradient}" in shown["chain rule"]  # the gradient sent on


def test_every_panel_and_the_cards_follow_a_switch_to_dark_and_back(window, qtbot,
                                                                   restore_palette) -> None:
    window.open_example("small_network")
    view = window.view
    item = view.scene().nodes[window.document.model.find("w")]
    view.ensureVisible(item)
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier,
                     view.mapFromScene(item.sceneBoundingRect().center()))
    window.action_map["train_step"].trigger()  # curves and a legend in the Training panel
    window.action_map["backward"].trigger()
    window.action_map["backward"].trigger()  # gradients accumulate: both warnings show
    assert window.panels["inspector"].node_id == item.node_id
    _check(_shown_colours(window, qtbot), theme.LIGHT)

    restore_palette.setPalette(style.dark_palette())  # as the system's switch does
    qtbot.wait(10)
    _check(_shown_colours(window, qtbot), theme.DARK)

    style.apply_appearance(restore_palette, dark=False)
    qtbot.wait(10)
    _check(_shown_colours(window, qtbot), theme.LIGHT)
