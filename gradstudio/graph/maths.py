"""The maths of a node kind: its forward formula and its local derivative for each input,
written once (in the catalog, next to the kind) and rendered three ways:

* with the kind's own symbols, for the palette and docs: ``σ(x) = 1/(1+e^−x)``,
  ``∂σ/∂x = σ·(1−σ)``;
* with the node's and its inputs' labels: ``y_pred = σ(z)``, ``∂y_pred/∂z = y_pred·(1−y_pred)``;
* with the current numbers substituted: ``σ(6.7000) = 0.9988``,
  ``0.9988·(1−0.9988) = 0.0012``.

A formula is a template: ``{x}`` stands for the input on port x, ``{out}`` for the node's own
output, ``{N}`` for the number of elements, and a parameter's name for its value. Each
derivative also carries its numpy value, so the numbers shown are the formula's own; a test
checks every one against the engine's gradient.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .ledger import format_number

__all__ = ["Derivative", "Maths", "LEAF_MATHS", "format_value", "format_factor", "format_term",
           "symbolic_lines", "forward_line", "derivative_line", "node_maths",
           "local_derivative", "local_derivatives", "values_for", "broadcast", "fill", "chain",
           "NUMBERS"]

Values = Mapping[str, np.ndarray]  # port or parameter name, "out", "N" -> value
NUMBERS = 3  # how many elements of a bigger tensor are shown


@dataclass(frozen=True)
class Derivative:
    """∂(node)/∂(port): ``rule`` is the template, ``value`` computes it from the values
    (elementwise, before any broadcast is summed away)."""

    port: str
    rule: str
    value: Callable[[Values], np.ndarray | float]


@dataclass(frozen=True)
class Maths:
    """A kind's formulas. ``forward`` is how a node is written (``σ({x})``), ``definition``
    what that means when it is not plain arithmetic (``1/(1+e^−{x})``); ``symbol`` stands
    for the output in the derivatives (``σ``; default: the forward itself), ``symbols``
    renames long ports and parameters in the symbolic form (``prediction`` -> ``p``)."""

    forward: str
    derivatives: tuple[Derivative, ...] = ()
    definition: str = ""
    symbol: str = ""
    symbols: dict[str, str] = field(default_factory=dict)
    ports: tuple[str, ...] = field(init=False)  # the derivatives' ports, in their order

    def __post_init__(self) -> None:
        object.__setattr__(self, "ports", tuple(d.port for d in self.derivatives))

    def derivative(self, port: str) -> Derivative:
        for d in self.derivatives:
            if d.port == port:
                return d
        raise KeyError(port)

    def plain(self) -> str:
        """The forward with the kind's symbols: ``σ(x)``, ``a · b``."""
        return fill(self.forward, {"out": self.symbol or "out", **self.symbols})

    def out_symbol(self) -> str:
        """What stands for the output in a derivative: ``σ``, ``(a · b)``, ``sin(x)``."""
        if self.symbol:
            return self.symbol
        text = self.plain()
        return f"({text})" if " " in re.sub(r"\([^()]*\)", "", text) else text


LEAF_MATHS = Maths("{out}", symbol="value")  # a leaf is its value: ``x = 6.7000``


_FIELD = re.compile(r"\{([^{}]+)\}")


def fill(template: str, names: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` replaced by ``names[name]`` (kept as the bare name
    when not given). A negative number gets parentheses unless it stands alone between
    brackets or commas: ``σ(-0.5)``, ``clamp(x, -0.5, 1)`` but ``(-0.5)²``, ``1/(-2)``."""
    parts, tail = _template(template)
    out = ""
    for literal, name, alone in parts:  # a trace fills thousands: one string, no list
        text = names.get(name, name)
        out += f"{literal}({text})" if not alone and text[:1] == "-" else literal + text
    return out + tail


@lru_cache(maxsize=512)  # the catalog's templates: read once, filled thousands of times
def _template(template: str) -> tuple[tuple[tuple[str, str, bool], ...], str]:
    """The template as (text before, field name, whether the field stands alone) per field,
    and the text after the last field."""
    parts, end = [], 0
    for m in _FIELD.finditer(template):
        before, after = template[:m.start()].rstrip(" "), template[m.end():]
        alone = (not before or before[-1] in "(,") and (not after or after[0] in "),")
        parts.append((template[end:m.start()], m.group(1), alone))
        end = m.end()
    return tuple(parts), template[end:]


SMALL_TERM = 0.01  # below this, four decimals would keep fewer than two significant digits


def format_value(value: np.ndarray | float) -> str:
    """A value in one short piece: ``0.9988``; a vector of up to four elements whole
    (``[0.6667, 1.3333, 2.0000]``), a bigger tensor as its shape and first elements
    (``(1000)[0.1000, 0.2000, 0.3000, …]``)."""
    a = value if value.__class__ is np.ndarray else np.asarray(value)
    if a.ndim == 0:
        return format_number(a)
    if a.ndim == 1 and a.size <= NUMBERS + 1:
        return _one_line(format_number(a))
    shape = "×".join(str(n) for n in a.shape)
    body = _one_line(format_number(a.reshape(-1)[:NUMBERS]))
    if a.size > NUMBERS:
        body = body[:-1] + ", …]"
    return f"({shape}){body}"


def _one_line(text: str) -> str:
    """PyTorch pads columns (``[ 0.5000, -0.7000]``); in a sentence one space is enough."""
    return re.sub(r",\s+", ", ", text).replace("[ ", "[")


def format_factor(value: np.ndarray | float) -> str:
    """A value as a factor of a product written out: a small number keeps four significant
    digits (``0.001228``, where PyTorch's print says ``0.0012``), so the product multiplies
    to its result by hand; else as ``format_value``."""
    a = value if value.__class__ is np.ndarray else np.asarray(value)
    if a.ndim == 0 and a.dtype.kind == "f":
        v = float(a)
        if 0 < abs(v) < SMALL_TERM:
            return f"{v:.4g}"
    return format_value(a)


def format_term(value: np.ndarray | float) -> str:
    """A value as a term in a formula (``format_factor``): negative numbers in
    parentheses, ``(−0.9111)``."""
    text = format_factor(value)
    return f"({text})" if text.startswith("-") else text


def symbolic_lines(maths: Maths, ports: tuple[str, ...]) -> list[str]:
    """The kind's formulas in its own symbols: ``σ(x) = 1/(1+e^−x)``, ``∂σ/∂x = σ·(1−σ)``."""
    names = {"out": maths.out_symbol(), **maths.symbols}
    head = maths.plain()
    lines = [head + (f" = {fill(maths.definition, names)}" if maths.definition else "")]
    for port in ports:
        rule = fill(maths.derivative(port).rule, names)
        lines.append(f"∂{names['out']}/∂{names.get(port, port)} = {rule}")
    return lines


def chain(*parts: str) -> str:
    """``a = b = c`` without repeating a part that reads the same as the one before."""
    text, last = "", None
    for p in parts:
        if p != last:
            text = p if last is None else f"{text} = {p}"
            last = p
    return text


def _labels(label: str, sources: Mapping[str, str], params: Mapping[str, object]
            ) -> dict[str, str]:
    names = {"out": label, **sources}
    for name, value in params.items():
        names.setdefault(name, format_value(np.asarray(value)))
    return names


def _numbers(values: Values, written: Mapping[str, str]) -> dict[str, str]:
    """Each value as a number in a formula; ``written`` holds those already written."""
    return {name: written[name] if name in written else
            (str(int(v)) if name == "N" else format_value(v)) for name, v in values.items()}


def broadcast(shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    """numpy's broadcast of ``shapes``; None when they do not broadcast (the evaluation
    then reports the engine's own error for that node)."""
    first = shapes[0]
    if len(shapes) == 2:  # the commonest: the same shape, or one of them a number
        second = shapes[1]
        if second == first or not second:
            return first
        if not first:
            return second
    elif all(s == first or not s for s in shapes):  # the common cases, without numpy
        return first
    if not first and len({s for s in shapes if s}) == 1:
        return next(s for s in shapes if s)
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


def forward_line(maths: Maths, label: str, sources: Mapping[str, str],
                 params: Mapping[str, object], values: Values) -> str:
    """``y_pred = σ(z) = σ(6.7000) = 0.9988``: ``sources`` maps each port to the label wired
    into it, ``values`` holds each port's value and ``out``."""
    return _forward(maths, label, _labels(label, sources, params), _numbers(values, {}))


def node_maths(maths: Maths, label: str, sources: Mapping[str, str],
               params: Mapping[str, object], values: Values, ports: Iterable[str],
               written: Mapping[str, str] | None = None
               ) -> tuple[str, tuple[np.ndarray, ...], Callable[[], tuple[str, ...]]]:
    """``forward_line``, each port's local derivative, and a function that writes each
    port's ``derivative_line`` when they are asked for, with the labels and the numbers
    written once for all of them (``written`` may hold some of the values already as
    ``format_value`` writes them): the step-through needs every local derivative for its
    backward's numbers, but a step's lines only when one is shown (a notebook of 10,000
    nodes never shows them)."""
    names, numbers = _labels(label, sources, params), _numbers(values, written or {})
    ports = tuple(ports)
    local = local_derivatives(maths, ports, values) if ports else ()

    def lines() -> tuple[str, ...]:
        return tuple([_derivative_text(maths, p, label, sources, names, numbers, v)
                      for p, v in zip(ports, local, strict=True)])
    return _forward(maths, label, names, numbers), local, lines


def _forward(maths: Maths, label: str, names: Mapping[str, str], numbers: Mapping[str, str]
             ) -> str:
    return chain(label, fill(maths.forward, names), fill(maths.forward, numbers),
                 numbers["out"])


def local_derivative(maths: Maths, port: str, values: Values) -> np.ndarray:
    """∂(node)/∂(port) from the formula, at the broadcast shape of the inputs. A read-only
    broadcast view: a constant such as add's 1 takes no memory, and mul's local derivative
    is the other input's own array (copy it to keep it while that input changes)."""
    return local_derivatives(maths, (port,), values)[0]


def local_derivatives(maths: Maths, ports: tuple[str, ...], values: Values
                      ) -> tuple[np.ndarray, ...]:
    """``local_derivative`` of each of ``ports``, the inputs' shape and dtype worked out
    once for all of them (a trace asks for every port of thousands of nodes)."""
    arrays = [values[p] for p in maths.ports]  # values_for made them arrays
    dtype = arrays[0].dtype
    if len(arrays) == 1:
        shape = arrays[0].shape
    else:
        for a in arrays:
            if a.dtype != dtype:
                dtype = np.result_type(*(a.dtype for a in arrays))
                break
        shape = _broadcast_or_raise([a.shape for a in arrays])
    if dtype.kind != "f":
        dtype = np.dtype(np.float32)
    out = []
    for port in ports:
        result = np.asarray(maths.derivative(port).value(values), dtype=dtype)
        if result.shape != shape:
            out.append(np.broadcast_to(result, shape))
        else:
            view = result.view()  # what broadcast_to gives, for less: read-only, the same memory
            view.flags.writeable = False
            out.append(view)
    return tuple(out)


def _broadcast_or_raise(shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    shape = broadcast(shapes)
    if shape is None:
        raise ValueError(f"shapes {shapes} do not broadcast")
    return shape


def derivative_line(maths: Maths, port: str, label: str, sources: Mapping[str, str],
                    params: Mapping[str, object], values: Values) -> tuple[str, np.ndarray]:
    """``∂y_pred/∂z = y_pred·(1−y_pred) = 0.9988·(1−0.9988) = 0.0012`` and that value."""
    return _derivative(maths, port, label, sources, _labels(label, sources, params),
                       _numbers(values, {}), values)


def _derivative(maths: Maths, port: str, label: str, sources: Mapping[str, str],
                names: Mapping[str, str], numbers: Mapping[str, str], values: Values
                ) -> tuple[str, np.ndarray]:
    value = local_derivative(maths, port, values)
    return _derivative_text(maths, port, label, sources, names, numbers, value), value


def _derivative_text(maths: Maths, port: str, label: str, sources: Mapping[str, str],
                     names: Mapping[str, str], numbers: Mapping[str, str], value: np.ndarray
                     ) -> str:
    rule = maths.derivative(port).rule
    head = f"∂{label}/∂{sources.get(port, port)}"
    return chain(head, fill(rule, names), fill(rule, numbers), format_value(value))


def values_for(inputs: Mapping[str, np.ndarray], out: np.ndarray | None,
               params: Mapping[str, object]) -> dict[str, np.ndarray]:
    """What a formula reads: each port's value, ``out``, each parameter, and ``N``, the
    number of elements the inputs broadcast to (what mean divides by)."""
    values = {name: np.asarray(v) for name, v in params.items() if not isinstance(v, list)}
    shapes = []
    for p, v in inputs.items():
        a = values[p] = np.asarray(v)
        shapes.append(a.shape)
    if out is not None:
        values["out"] = np.asarray(out)
    values["N"] = _count(math.prod(_broadcast_or_raise(shapes)) if shapes else 1)
    return values


@lru_cache(maxsize=64)
def _count(n: int) -> np.ndarray:
    """``N`` as a formula reads it, read-only: the same few counts, asked for every node."""
    a = np.asarray(n)
    a.flags.writeable = False
    return a
