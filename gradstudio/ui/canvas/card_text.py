"""The short text a canvas card shows for a tensor: ``6.7000``, ``[3] 1., 4., 9.``,
``grad 0.6667, 1.3333, …``, written exactly as the full repr writes the same numbers, and cut
only between numbers. The card's tooltip and the Inspector show the full repr.

No Qt here: the card says how many characters fit and this module fills them.
"""

from __future__ import annotations

import numpy as np

from gradstudio.engine.printing import element_texts

__all__ = ["SEP", "GRAD", "shape_text", "short_text", "value_lines"]

SEP = " · "  # between the value and its gradient on one line
GRAD = "grad "
MORE = "…"


def shape_text(shape: tuple[int, ...]) -> str:
    """``[3]``, ``[2×3]``: a tensor's size, short."""
    return "[" + "×".join(str(d) for d in shape) + "]"


def short_text(values: object, budget: int, prefix: str = "", shape: bool = True) -> str:
    """``prefix`` and the values in at most ``budget`` characters where possible: a single
    element whole (never cut), else the shape and as many leading elements as fit, then "…".
    Without the shape, the first element always shows."""
    a = np.asarray(values)
    if a.ndim == 0:
        return prefix + element_texts(a, 1)[0]
    head = (prefix + (shape_text(a.shape) if shape else "")).strip()
    parts: list[str] = []
    for element in element_texts(a, min(a.size, max(budget, 1))):
        line = _join(head, [*parts, element], len(parts) + 1 < a.size)
        if len(line) > budget and (parts or shape):
            break
        parts.append(element)
    return _join(head, parts, len(parts) < a.size)


def _join(head: str, parts: list[str], more: bool) -> str:
    body = ", ".join(parts + [MORE] * more)
    return f"{head} {body}" if head and body else head or body


def value_lines(value: object, grad: object | None, budget: int) -> list[str]:
    """The value line and, when there is a gradient, ``grad …``: on one line joined by " · "
    when both fit, else on two lines."""
    first = short_text(value, budget)
    if grad is None:
        return [first]
    second = short_text(grad, budget, GRAD, shape=False)
    joined = first + SEP + second
    return [joined] if len(joined) <= budget else [first, second]
