"""The gesture helpers of ``gestures.py`` land where they claim to."""

from __future__ import annotations

import pytest
from gestures import build_chain, wire

pytestmark = pytest.mark.usefixtures("canvas_ready")


def test_helpers_hit_the_port_they_aim_at(qtbot, window):
    x, sq = build_chain(window, ("input", -320, -40), ("square", 40, -40))
    view = window.view
    out, inp = view.scene().nodes[x].output_port_pos(), view.scene().nodes[sq].input_port_pos("x")
    assert view.port_under(out)[0].node_id == x and view.port_under(out)[1] == ("out", None)
    assert view.port_under(inp)[0].node_id == sq and view.port_under(inp)[1] == ("in", "x")
    wire(window, x, sq, "x")
    assert [tuple(e) for e in window.document.model.edges()] == [(x, sq, "x")]
