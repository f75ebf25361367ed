"""The vector plan's buffers: one name per result in the code, arrays shared behind them.

``plan_vector`` writes each op's value into ``B<slot>``, each gradient into ``D<slot>`` and
each temporary into a ``T<n>`` of its own: logical buffers, one per name, so the code reads
as one buffer per result. Most are dead long before the function returns (a gradient once
it has been passed on, a value no later op or gradient reads), so ``Pool.share`` reads each
generated function, works out every logical buffer's live range and binds names whose
ranges do not overlap to the same array of their shape, in that function's namespace: the
classic linear scan of a register allocator over straight-line code.

A range runs from the line that first names the buffer to the last line that names it,
directly or through a variable bound to it (``v3 = B3``, ``g7 = g9``,
``g4 = np.add(g4, T0, out=D4)``). Sound because (1) every template writes its ``out=``
buffer whole before reading it, so the first line that names a buffer never needs an older
value in it; (2) a train step's loop body recomputes every value and gradient before reading
it, so a range may be laid out textually over the body; (3) what a function returns is named
on its return line, so node values (and the gradients kept) live to the end. Ranges that
meet on one line are not shared (an op never writes over an input it still reads).

Arrays that must keep their numbers between lines or calls are not pooled: the seed of
ones, a leaf's .grad in ``train`` (``H<k>``) and the bool masks.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

__all__ = ["Pool", "POOLED"]

POOLED = ("B", "D", "T")  # value, gradient and temporary buffers: shared by liveness
_NAME = re.compile(r"\b(?:[vg]\d+|[BDT]\d+)\b")
_BIND = re.compile(r"\s*([vg]\d+) = (.+)$")
_BARE = re.compile(r"(?:[vg]\d+|[BDT]\d+)$")
_OUT = re.compile(r"out=([vg]\d+|[BDT]\d+)")


class Pool:
    """The arrays a vector plan owns, made once at compile time with np.empty (the pages are
    touched only when first written): ``fixed`` by name, and the shared ones per shape."""

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype
        self.fixed: dict[str, np.ndarray] = {}
        self.shapes: dict[str, tuple[int, ...]] = {}  # logical buffer -> shape
        self._by_shape: dict[tuple[int, ...], list[np.ndarray]] = {}  # the shared arrays
        self._shared: dict[tuple[str, tuple], str] = {}
        self._temps = 0

    def slot(self, prefix: str, s: int, shape: tuple[int, ...]) -> str:
        """The buffer ``<prefix><slot>``: logical for B and D, else an array of its own."""
        name = f"{prefix}{s}"
        if prefix in POOLED:
            self.shapes[name] = shape
        elif name not in self.fixed:
            self.fixed[name] = np.empty(shape, self.dtype)
        return name

    def temp(self, shape: tuple[int, ...]) -> str:
        """A new logical temporary ``T<n>`` (each use its own name, so each is short-lived)."""
        name = f"T{self._temps}"
        self._temps += 1
        self.shapes[name] = shape
        return name

    def shared(self, prefix: str, shape: tuple[int, ...], dtype: Any = None) -> str:
        """One array per prefix and shape (the bool masks ``M``, ``N``)."""
        key = (prefix, shape)
        if key not in self._shared:
            name = f"{prefix}{len(self._shared)}"
            self._shared[key] = name
            self.fixed[name] = np.empty(shape, self.dtype if dtype is None else dtype)
        return self._shared[key]

    @property
    def nbytes(self) -> int:
        """What all the plan's arrays hold."""
        return sum(a.nbytes for a in self.fixed.values()) + sum(
            a.nbytes for arrays in self._by_shape.values() for a in arrays)

    def share(self, lines: list[str]) -> dict[str, np.ndarray]:
        """The arrays for one whole function's names: the fixed ones, and each logical buffer
        bound to a shared array that no buffer live at the same time is bound to."""
        first, last = self._ranges(lines)
        free = {shape: list(range(len(arrays))) for shape, arrays in self._by_shape.items()}
        active: list[tuple[int, int, tuple[int, ...]]] = []  # (last line, index, shape)
        chosen: dict[str, tuple[tuple[int, ...], int]] = {}
        for name in sorted(first, key=lambda n: (first[n], n)):
            start, shape = first[name], self.shapes[name]
            for done in [a for a in active if a[0] < start]:
                active.remove(done)
                free[done[2]].append(done[1])
            spare = free.setdefault(shape, [])
            if spare:
                spare.sort()
                index = spare.pop(0)
            else:
                arrays = self._by_shape.setdefault(shape, [])
                arrays.append(np.empty(shape, self.dtype))
                index = len(arrays) - 1
            chosen[name] = (shape, index)
            active.append((last[name], index, shape))
        bound = dict(self.fixed)
        bound.update({name: self._by_shape[shape][i] for name, (shape, i) in chosen.items()})
        return bound

    def _ranges(self, lines: list[str]) -> tuple[dict[str, int], dict[str, int]]:
        """Each logical buffer's first and last line, through the variables bound to it."""
        bound: dict[str, frozenset[str]] = {}
        first: dict[str, int] = {}
        last: dict[str, int] = {}

        def buffers(name: str) -> frozenset[str]:
            return frozenset((name,)) if name in self.shapes else bound.get(name, frozenset())

        for i, line in enumerate(lines):
            used: set[str] = set()
            for name in _NAME.findall(line):
                used |= buffers(name)
            binding = _BIND.match(line)
            if binding is not None:
                target, value = binding.group(1), binding.group(2).strip()
                outs = _OUT.findall(value)
                if _BARE.fullmatch(value):
                    bound[target] = buffers(value)
                elif outs:  # np.add(g4, T0, out=D4): the result is the out= buffer
                    bound[target] = buffers(outs[-1])
                elif value.startswith("SUM_TO("):  # a sum over broadcast axes: kept
                    bound[target] = frozenset().union(*map(buffers, _NAME.findall(value)))
                else:  # a number, a copy, a broadcast of a number, pow's own array
                    bound[target] = frozenset()
                used |= bound[target]
            for name in used:
                first.setdefault(name, i)
                last[name] = i
        return first, last
