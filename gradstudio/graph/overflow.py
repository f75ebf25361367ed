"""Honest numbers: a value or a result past the largest number its dtype holds is said, not
left as a silent inf.

PyTorch's ``torch.tensor(1e308, dtype=torch.float32)`` is ``inf`` without a word, so a file
holding 1e308 in a float32 graph is not refused: it loads, computes as PyTorch would (inf,
then NaN gradients), and is *told* — at load (``gradstudio run`` on stderr, the window's
Messages) and in the Inspector — with the dtype's largest number and the way out (float64).
(A number no float holds at all, 1e999, is refused when a file is read: graph/precheck.py.)
A result that overflows (``exp(100)`` in float32) is told the same way: its inputs are
finite, its value is inf, and the op computed again in float64 says whether a wider dtype
would hold it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import gradstudio.engine as ge

from .catalog import kind
from .evaluate import ForwardResult
from .model import GraphModel

__all__ = ["value_overflow", "leaf_overflow", "result_overflow", "overflows"]


def _largest(dtype: str) -> float:
    return float(np.finfo(dtype).max)


def value_overflow(value: Any, dtype: str) -> str | None:
    """Why ``value`` (a parsed leaf value) cannot be held in ``dtype``, or None. inf and nan
    written as such are meant, and not reported."""
    largest = _largest(dtype)
    if isinstance(value, float):  # most leaves: no array needed
        if not largest < abs(value) < math.inf:
            return None
        big = abs(value)
    else:
        numbers = np.abs(np.asarray(value, dtype=np.float64))
        over = numbers[np.isfinite(numbers) & (numbers > largest)]
        if not over.size:
            return None
        big = float(over.max())
    return (f"{big:g} does not fit in {dtype} (its largest number is "
            f"{_largest(dtype):.4g}), so it is inf here, as in PyTorch; switch the graph to "
            "float64 or use a smaller number")


def leaf_overflow(model: GraphModel, node_id: str) -> str | None:
    """``value_overflow`` of a leaf in the graph's dtype, with its name; None for an op."""
    data = model.node(node_id)
    return _leaf(data.kind, data.label, data.params, model.settings.dtype)


def _leaf(kind_name: str, label: str, params: dict, dtype: str) -> str | None:
    if not kind(kind_name).is_leaf:
        return None
    why = value_overflow(params["value"], dtype)
    return None if why is None else f"{label}: {why}"


def _holds_inf(t: ge.Tensor) -> bool:
    if t.numel() == 1:  # most results: a Python float, no array
        return math.isinf(float(t))
    return bool(np.isinf(t.detach().numpy()).any())


def _finite(t: ge.Tensor) -> bool:
    return bool(np.isfinite(t.detach().numpy()).all())


def result_overflow(model: GraphModel, forward: ForwardResult, node_id: str) -> str | None:
    """Why an op's result holds inf although its inputs are finite, or None: past the
    dtype's largest number (and whether float64 would hold it), or a division by zero."""
    data = model.node(node_id)
    value = forward.value(node_id)
    if data.spec.is_leaf or value is None:
        return None
    if not _holds_inf(value):  # the common case: one quick look
        return None
    out = value.detach().numpy()
    wired = model.inputs_of(node_id)
    inputs = [forward.value(wired[p]) if p in wired else None for p in data.spec.inputs]
    if any(t is None or not _finite(t) for t in inputs):
        return None  # inf came in (told where it started), or the node has no value
    dtype = str(value.dtype).removeprefix("gradstudio.").removeprefix("torch.")
    label, largest = data.label, _largest(dtype)
    if dtype != "float64":
        wide = _in_float64(data, inputs)
        at = np.abs(np.broadcast_to(wide, out.shape)[np.isinf(out)])
        if np.isfinite(at).all():
            return (f"{label}: its result overflows {dtype}: {float(at.max()):.4g} in float64, "
                    f"past {dtype}'s largest number {largest:.4g}, so it is inf here, as in "
                    "PyTorch; switch the graph to float64 to compute it")
    return (f"{label}: its result is inf from finite inputs: past {dtype}'s largest number "
            f"({largest:.4g}), or a division by zero or log(0)")


def _in_float64(data: Any, inputs: list[ge.Tensor]) -> np.ndarray:
    """The op once more on its inputs widened to float64 (no gradient recorded)."""
    wide = [ge.tensor(t.detach().numpy(), dtype=ge.float64) for t in inputs]
    with ge.no_grad(), np.errstate(all="ignore"):
        return np.asarray(kind(data.kind).build(data.params)(*wide).numpy())


def overflows(model: GraphModel, forward: ForwardResult | None) -> dict[str, str]:
    """Every node whose value or result is past its dtype, with why (the leaves only
    without ``forward``). One look at each node: cheap next to the evaluation."""
    found = {}
    dtype = model.settings.dtype
    for n, a in model.graph.nodes(data=True):
        why = _leaf(a["kind"], a["label"], a["params"], dtype)
        value = None if forward is None else forward.values.get(n)
        if why is None and value is not None and _holds_inf(value):
            why = result_overflow(model, forward, n)
        if why is not None:
            found[n] = why
    return found
