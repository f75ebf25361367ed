"""Tensor text the way PyTorch prints it.

A small, numpy-only re-implementation of the algorithm in ``torch/_tensor_str.py`` so that
``repr(tensor)`` in GradStudio reads exactly like PyTorch's under the same print options:
fixed or scientific notation chosen from the data, column padding, line wrapping at
``linewidth``, summarisation with ``...`` above ``threshold`` elements, and the
``dtype=`` / ``grad_fn=`` / ``requires_grad=`` suffixes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["PRINT_OPTIONS", "PrintOptions", "element_texts", "format_tensor", "format_values",
           "set_printoptions"]

_PREFIX = "tensor("


@dataclass
class PrintOptions:
    """Mutable print settings shared by the module (defaults match torch)."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTIONS = PrintOptions()

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Change the print options like ``torch.set_printoptions``.

    As in torch, ``profile`` ("default", "short", "full") is applied first, explicit
    arguments override it, and ``sci_mode`` is *always* assigned (so omitting it resets it
    to automatic).
    """
    if profile is not None:
        for name, value in _PROFILES.get(profile, {}).items():
            setattr(PRINT_OPTIONS, name, value)
    overrides = {
        "precision": precision,
        "threshold": threshold,
        "edgeitems": edgeitems,
        "linewidth": linewidth,
    }
    for name, value in overrides.items():
        if value is not None:
            setattr(PRINT_OPTIONS, name, value)
    PRINT_OPTIONS.sci_mode = sci_mode


class _Formatter:
    """Picks one notation and column width for every element of a tensor."""

    def __init__(self, flat: list[Any], floating: bool) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not floating:
            self.width = max([1, *(len(str(v)) for v in flat)])
            return
        finite = [v for v in flat if math.isfinite(v) and v != 0]
        if not finite:
            return
        magnitudes = [abs(v) for v in finite]
        low, high = min(magnitudes), max(magnitudes)
        self.int_mode = all(v == math.ceil(v) for v in finite)
        auto_sci = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
        self.sci_mode = auto_sci if PRINT_OPTIONS.sci_mode is None else PRINT_OPTIONS.sci_mode
        p = PRINT_OPTIONS.precision
        if self.sci_mode:
            lengths = [len(f"{v:.{p}e}") for v in finite]
        elif self.int_mode:  # room for the trailing "." that marks a float
            lengths = [len(f"{v:.0f}") + 1 for v in finite]
        else:
            lengths = [len(f"{v:.{p}f}") for v in finite]
        self.width = max(self.width, *lengths)

    def format(self, value: Any) -> str:
        """One element, right-aligned to the shared width."""
        p = PRINT_OPTIONS.precision
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.width}.{p}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{p}f}"
        return text.rjust(self.width)


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements that remain visible after summarisation (they decide the format)."""
    e = PRINT_OPTIONS.edgeitems
    if a.ndim == 0:
        return a.reshape(-1)
    if a.ndim == 1:
        # a[-0:] is the whole vector, exactly as in torch when edgeitems == 0.
        return np.concatenate((a[:e], a[-e:])) if len(a) > 2 * e else a
    if not e:
        return a.reshape(-1)[:0]
    rows = [*a[:e], *a[len(a) - e :]] if len(a) > 2 * e else list(a)
    return np.concatenate([_summarized(row) for row in rows])


def _vector_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    e = PRINT_OPTIONS.edgeitems
    if summarize and not e:
        items = ["..."]
    elif summarize and len(a) > 2 * e:
        items = [*map(fmt.format, a[:e].tolist()), " ...", *map(fmt.format, a[-e:].tolist())]
    else:
        items = [fmt.format(v) for v in a.tolist()]
    per_line = max(1, math.floor((PRINT_OPTIONS.linewidth - indent) / (fmt.width + 2)))
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    e = PRINT_OPTIONS.edgeitems
    if summarize and len(a) > 2 * e:
        head = [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(e)]
        tail = [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(len(a) - e, len(a))]
        parts = [*head, "...", *tail]
    else:
        parts = [_nested_str(row, indent + 1, summarize, fmt) for row in a]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def format_values(values: np.ndarray, indent: int = 7) -> str:
    """The bracketed body torch prints for ``values`` (``_tensor_str``), e.g. ``"[1., 2.]"``."""
    values = np.asarray(values)
    if values.size == 0:
        return "[]"
    summarize = values.size > PRINT_OPTIONS.threshold
    shown = _summarized(values) if summarize else values.reshape(-1)
    fmt = _Formatter(shown.tolist(), floating=values.dtype.kind == "f")
    return _nested_str(values, indent, summarize, fmt)


def element_texts(values: np.ndarray, count: int) -> list[str]:
    """The first ``count`` elements (in row order) written as the repr writes them: the
    notation and precision chosen from the whole tensor, without the column padding. For
    short displays (a canvas card) that must agree with the full repr."""
    values = np.asarray(values)
    if values.size == 0 or count <= 0:
        return []
    summarize = values.size > PRINT_OPTIONS.threshold
    shown = _summarized(values) if summarize else values.reshape(-1)
    fmt = _Formatter(shown.tolist(), floating=values.dtype.kind == "f")
    return [fmt.format(v).strip() for v in values.reshape(-1)[:count].tolist()]


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` items, moving one to a new line when it would pass linewidth."""
    parts = [text]
    # torch measures the last line with an off-by-one (+1 rather than -1); kept for parity.
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTIONS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    return "".join(parts) + ")"


def format_tensor(
    values: np.ndarray,
    *,
    dtype_name: str,
    default_dtype: bool,
    grad_fn_name: str | None = None,
    requires_grad: bool = False,
) -> str:
    """The full repr torch prints, e.g. ``"tensor([1., 2., 3.], requires_grad=True)"``.

    ``default_dtype`` is whether torch hides the dtype (float32, int64, bool); empty
    tensors show every dtype except float32, since there is no element to hint at it.
    """
    values = np.asarray(values)
    suffixes: list[str] = []
    if values.size == 0:
        if values.ndim != 1:
            suffixes.append(f"size={tuple(values.shape)}")
        if dtype_name != "torch.float32":
            suffixes.append(f"dtype={dtype_name}")
    else:
        if not PRINT_OPTIONS.edgeitems:
            suffixes.append(f"size={tuple(values.shape)}")
        if not default_dtype:
            suffixes.append(f"dtype={dtype_name}")
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    body = format_values(values, indent=len(_PREFIX))
    return _add_suffixes(_PREFIX + body, suffixes, len(_PREFIX))
