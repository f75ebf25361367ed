"""The short text a card shows for a tensor (``ui/canvas/card_text.py``, no Qt): the numbers
exactly as PyTorch's repr writes them, within the card's width, cut only between numbers."""

from __future__ import annotations

import numpy as np
import pytest

import gradstudio.engine as torch
from gradstudio.ui.canvas.card_text import SEP, short_text, value_lines


def _elements_of_repr(t) -> list[str]:
    body = repr(t)[len("tensor("):].split("]")[0].lstrip("[")
    return [e.strip() for e in body.replace("[", "").split(",") if e.strip()]


@pytest.mark.parametrize("value, text", [(6.7, "6.7000"), (3.0, "3."), (-0.5, "-0.5000"),
                                         (1e-5, "1.0000e-05"), (0.0, "0.")])
def test_a_scalar_is_written_as_the_repr_writes_it(value, text):
    t = torch.tensor(value)
    assert short_text(t, 15) == text
    assert repr(t) == f"tensor({text})"


def test_a_vector_shows_its_shape_and_whole_numbers_that_fit():
    t = torch.tensor([1.5, 2.25, 3.125, 4.0625])
    text = short_text(t, 20)
    assert text.startswith("[4] ") and text.endswith(", …") and len(text) <= 20
    shown = text[len("[4] "):-len(", …")].split(", ")
    assert shown == _elements_of_repr(t)[:len(shown)] and shown  # never cut mid-number
    assert short_text(t, 80) == "[4] " + ", ".join(_elements_of_repr(t))  # all of it fits


def test_a_matrix_and_an_empty_tensor():
    assert short_text(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), 15) == "[2×2] 1., 2., …"
    assert short_text(torch.tensor([]), 15) == "[0]"


def test_the_notation_is_chosen_from_the_whole_tensor():
    """1e-5 among the elements makes the repr scientific; the card agrees even when it shows
    only the first element."""
    t = torch.tensor([1.0, 1e-5])
    assert repr(t).startswith("tensor([1.0000e+00, 1.0000e-05])")
    assert short_text(t, 20) == "[2] 1.0000e+00, …"


def test_value_and_grad_share_a_line_only_when_both_fit():
    assert value_lines(torch.tensor(3.0), torch.tensor(6.0), 15) == [f"3.{SEP}grad 6."]
    assert value_lines(torch.tensor(6.7), torch.tensor(0.9988), 15) == ["6.7000", "grad 0.9988"]
    assert value_lines(torch.tensor(6.7), torch.tensor(0.9988), 20) == \
        [f"6.7000{SEP}grad 0.9988"]
    assert value_lines(torch.tensor(2.0), None, 15) == ["2."]


def test_a_gradient_line_shows_at_least_its_first_number():
    g = torch.tensor(np.array([0.6667, 1.3333, 2.0], dtype=np.float32))
    assert value_lines(torch.tensor([1.0, 2.0, 3.0]), g, 15)[1] == "grad 0.6667, …"
