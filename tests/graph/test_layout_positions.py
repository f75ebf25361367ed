"""Arrange's layout is pinned: every card of the shipped examples, of imported scripts and
of random graphs lands exactly where the recorded layout put it (layout_cases.py says how
the record was made), so making the layout faster cannot move a card."""

from __future__ import annotations

import json

import pytest
from layout_cases import RECORDED, as_text, cases, recorded_form

_RECORD = json.loads(RECORDED.read_text())
_NOW = dict(cases())


def test_every_recorded_graph_is_still_laid_out():
    assert sorted(_NOW) == sorted(_RECORD)


@pytest.mark.parametrize("name", sorted(_RECORD))
def test_cards_land_where_the_recorded_layout_put_them(name: str):
    assert as_text(recorded_form(_NOW[name])) == as_text(_RECORD[name])
