"""A micrograd-style engine, written for the benchmarks only: the floor for scalar autograd in
plain Python.

A ``Value`` holds a Python float, its gradient and a closure that pushes the gradient to its
inputs; ``backward`` sorts the graph and runs the closures. Python floats, closures, nothing
else: no dtypes (double precision throughout), no version counters, hooks, grad modes or error
messages, so it does less than the engine and PyTorch and shows what that costs. A case gives
its micrograd-style twin as ``Case.micrograd``, written the way micrograd's README writes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["Value"]


class Value:
    """A scalar that remembers how it was made."""

    __slots__ = ("data", "grad", "_backward", "_prev")

    def __init__(self, data: float, _prev: tuple = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._backward: Callable[[], None] = _nothing
        self._prev = _prev

    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        return self + (-other)

    def __rsub__(self, other: float) -> Value:
        return other + (-self)

    __radd__ = __add__
    __rmul__ = __mul__

    def _unary(self, value: float, local: float) -> Value:
        out = Value(value, (self,))

        def _backward() -> None:
            self.grad += local * out.grad

        out._backward = _backward
        return out

    def sin(self) -> Value:
        return self._unary(math.sin(self.data), math.cos(self.data))

    def log(self) -> Value:
        return self._unary(math.log(self.data), 1.0 / self.data)

    def sigmoid(self) -> Value:
        s = 1.0 / (1.0 + math.exp(-self.data))
        return self._unary(s, s * (1.0 - s))

    def clamp(self, lo: float, hi: float) -> Value:
        x = self.data
        return self._unary(min(max(x, lo), hi), 1.0 if lo <= x <= hi else 0.0)

    def backward(self) -> None:
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # iterative post-order: a 1,000-op chain is deeper than the recursion limit
            v, done = stack.pop()
            if done:
                order.append(v)
            elif v not in seen:
                seen.add(v)
                stack.append((v, True))
                stack.extend((p, False) for p in v._prev if p not in seen)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


def _nothing() -> None:
    pass
