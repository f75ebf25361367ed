"""Compare with PyTorch: the graph run on real PyTorch beside the app's own run, node by node,
so anyone can check the claim of "PyTorch's exact numbers".

PyTorch gets the exported script's own statements (``graph/code_export.py``, the code File ▸
Export writes), run one at a time in a namespace of their own that holds ``torch``; so what
is compared is also what the export promises. The
statements are made from the catalog's fixed templates, with labels only as identifiers.
The app's side runs on private copies of the session's leaves, as the export does: the
document, its gradients and the ledger stay as they are.

PyTorch is optional (``pip install "gradstudio[torch]"``, ``INSTALL``). ``available()``
looks for it without importing it (an import takes seconds); only ``compare`` imports it,
and whatever goes wrong inside PyTorch comes back as an ``OracleError`` with a message. This
is the one module of the package that imports torch (import-linter contract in
pyproject.toml); the graph and the engine never import it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # the graph layer is imported when a comparison runs: start-up stays light
    from gradstudio.graph import GraphModel, Session
    from gradstudio.graph.code_export import Program

__all__ = ["available", "Agreement", "NodeComparison", "Comparison", "compare", "OracleError",
           "INSTALL", "compared_graph"]

INSTALL = 'pip install "gradstudio[torch]"'  # the optional dependency, pinned in pyproject.toml


class OracleError(Exception):
    """PyTorch could not be imported or failed on the graph: the message says where."""


def available() -> bool:
    """Whether PyTorch can be imported: looked up (cheap), not imported (seconds)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):  # a broken entry on the path
        return False


def _array(t: Any) -> np.ndarray | None:
    return None if t is None else np.array(t.detach().numpy())


@dataclass(frozen=True)
class Agreement:
    """One tensor, the app's and PyTorch's: bit-identical, or how far apart."""

    ours: np.ndarray | None
    theirs: np.ndarray | None

    @property
    def identical(self) -> bool:
        """The same float bits in every element (-0.0 is not 0.0); a NaN matches any NaN,
        whatever its sign or payload (kernels differ there, and both print nan)."""
        a, b = self.ours, self.theirs
        if a is None or b is None:
            return a is None and b is None
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        nan = np.isnan(a)
        return bool(np.array_equal(nan, np.isnan(b)) and
                    a[~nan].tobytes() == b[~nan].tobytes())  # -0. and 0. differ too

    def differences(self) -> tuple[float, float]:
        """The largest absolute and relative difference (inf where one side is missing or
        the shapes differ)."""
        a, b = self.ours, self.theirs
        if a is None or b is None or a.shape != b.shape:
            return (0.0, 0.0) if a is None and b is None else (np.inf, np.inf)
        a, b = a.astype(np.float64), b.astype(np.float64)
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        with np.errstate(invalid="ignore", divide="ignore"):
            diff = np.where(same, 0.0, np.abs(a - b))
            diff = np.where(np.isnan(diff), np.inf, diff)
            scale = np.maximum(np.abs(a), np.abs(b))
            rel = np.where(diff == 0, 0.0, diff / np.where(scale == 0, 1.0, scale))
        return float(diff.max(initial=0.0)), float(np.nan_to_num(rel, nan=np.inf).max(
            initial=0.0))

    def ulps(self) -> float | None:
        """The largest difference in units in the last place of the dtype (1: neighbouring
        floats), over the elements finite on both sides; None when that means nothing."""
        a, b = self.ours, self.theirs
        if a is None or b is None or a.shape != b.shape or a.dtype != b.dtype or \
                a.dtype.kind != "f":
            return None
        finite = np.isfinite(a) & np.isfinite(b)
        if not finite.any():
            return None
        a, b = a[finite], b[finite]
        spacing = np.spacing(np.maximum(np.abs(a), np.abs(b))).astype(np.float64)
        return float((np.abs(a.astype(np.float64) - b.astype(np.float64)) / spacing).max())

    def text(self) -> str:
        """``bit-identical``, ``both None``, ``max |Δ| 3e-08 (relative 7.2e-08, 1 ulp)``, or
        what one side lacks."""
        from gradstudio.graph.ledger import format_number

        a, b = self.ours, self.theirs
        if a is None and b is None:
            return "both None"
        if a is None or b is None:
            missing, there = ("GradStudio", b) if a is None else ("PyTorch", a)
            return f"{missing}: None, the other: {format_number(there)}"
        if self.identical:
            return "bit-identical"
        if a.shape != b.shape:
            return f"shapes differ: {list(a.shape)} and {list(b.shape)}"
        if a.dtype != b.dtype:
            return f"dtypes differ: {a.dtype} and {b.dtype}"
        absolute, relative = self.differences()
        ulps = self.ulps()
        last = "" if ulps is None or not ulps else \
            f", {ulps:.0f} ulp" + ("" if round(ulps) == 1 else "s")
        return f"max |Δ| {absolute:.2g} (relative {relative:.2g}{last})"


@dataclass(frozen=True)
class NodeComparison:
    """One node: its value (what flows on its wires) and its gradient (a leaf's .grad, an
    operation's retained gradient of the last backward)."""

    node: str
    label: str
    name: str  # its variable in the exported code
    value: Agreement
    grad: Agreement


@dataclass
class Comparison:
    """Every node, in evaluation order, and how the run went."""

    rows: list[NodeComparison] = field(default_factory=list)
    torch_version: str = ""
    backward_note: str | None = None  # why backward did not run (the app's words)
    cancelled: bool = False
    graph: tuple | None = None  # compared_graph of what was compared

    def describes(self, model: GraphModel) -> bool:
        """Whether the comparison is of the graph as it is now (an edit since, not undone,
        makes it out of date; moving cards, notes and the lr do not)."""
        return self.graph is not None and self.graph == compared_graph(model)

    @property
    def identical(self) -> bool:
        """Every value and gradient bit-identical (and the run not cancelled)."""
        return not self.cancelled and all(r.value.identical and r.grad.identical
                                          for r in self.rows)

    def summary(self) -> str:
        """``All 8 values and 3 gradients are bit-identical to PyTorch 2.13.0.`` or how many
        are, and the largest difference."""
        if self.cancelled:
            return "Compare with PyTorch was cancelled: nothing was compared."
        values = [r.value for r in self.rows]
        grads = [r.grad for r in self.rows if r.grad.ours is not None or r.grad.theirs is not None]
        same_v, same_g = sum(a.identical for a in values), sum(a.identical for a in grads)
        counts = _count(len(values), "value")
        if grads:
            counts += f" and {_count(len(grads), 'gradient')}"
        if same_v == len(values) and same_g == len(grads):
            text = f"All {counts} are bit-identical to PyTorch {self.torch_version}."
        else:
            worst = max(((a.differences(), r, what) for r in self.rows
                         for a, what in ((r.value, "value"), (r.grad, "gradient"))
                         if not a.identical), key=lambda x: x[0])
            (absolute, relative), row, what = worst
            same = f"{same_v} of {_count(len(values), 'value')}"
            if grads:
                same += f" and {same_g} of {_count(len(grads), 'gradient')}"
            text = (f"{same} are bit-identical to PyTorch {self.torch_version}; the largest "
                    f"difference is {row.label}'s {what}: {absolute:.2g} (relative "
                    f"{relative:.2g}).")
        if self.backward_note:
            text += f" Backward did not run: {self.backward_note}"
        return text


def compared_graph(model: GraphModel) -> tuple:
    """What a comparison's numbers depend on, as one value to compare: the nodes (kind,
    label, values, flags), the wires, the loss and the dtype; not where the cards are, the
    notes, frames and questions, the description or the learning rate. Values are copied
    into tuples (a later edit cannot reach into them)."""
    nodes = sorted((n.id, n.kind, n.label, tuple(sorted((k, _frozen(v))
                                                       for k, v in n.params.items())),
                    tuple(sorted(n.flags.items()))) for n in model.nodes())
    # sorted: a node or wire deleted and put back by undo comes back last, the same graph
    return tuple(nodes), frozenset(model.edges()), model.loss, model.settings.dtype


def _frozen(value: Any) -> Any:
    return tuple(map(_frozen, value)) if isinstance(value, (list, tuple)) else value


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def compare(session: Session, repeat: int = 1,
            should_stop: Callable[[], bool] | None = None) -> Comparison:
    """Run the session's graph on PyTorch and in the app (forward, then backward ``repeat``
    times where the app runs it) and compare every node. A GraphError when the graph cannot
    be written as code (see ``code_export.program``), an OracleError when PyTorch cannot be
    imported or fails; ``should_stop`` (asked between statements) cancels."""
    from gradstudio.graph.code_export import program

    graph = compared_graph(session.model)
    prog = program(session, repeat)
    torch = _import_torch()
    theirs = _run_on_torch(torch, prog, should_stop or (lambda: False))
    if theirs is None:
        return Comparison(cancelled=True)
    ours_values, ours_grads = _run_in_app(session, prog)
    result = Comparison(torch_version=torch.__version__.split("+")[0], graph=graph)
    if not prog.backward.ok:
        result.backward_note = f"{prog.backward.error} ({prog.backward.reason})"
    model = session.model
    for st in prog.statements:
        t = theirs[st.name]
        result.rows.append(NodeComparison(
            st.node, model.label(st.node), st.name, Agreement(ours_values[st.node], _array(t)),
            Agreement(ours_grads[st.node], _grad(t))))
    return result


def _grad(t: Any) -> np.ndarray | None:
    """What a tensor's .grad holds, in either engine (the same API): a leaf's, or an
    operation's retained one. An identity node's tensor is its input's, so it shows that
    tensor's gradient, as its card does."""
    return _array(t.grad) if t.is_leaf or t.retains_grad else None


def _import_torch() -> Any:
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - a broken install raises anything (OSError, ...)
        raise OracleError(f"PyTorch could not be imported: {type(e).__name__}: {e}. "
                          f"Install it with {INSTALL}.") from e
    return torch


def _run_on_torch(torch: Any, prog: Program, should_stop: Callable[[], bool]
                  ) -> dict[str, Any] | None:
    """The statements in a namespace of their own: leaves once, the operations and backward
    ``repeat`` times (a fresh forward each time, as the app's Backward does), every
    operation's gradient retained. None when ``should_stop`` said so."""
    # The real builtins: torch imports its own modules while it runs, and with PySide6
    # loaded, shiboken's import hook looks for its saved original in the running code's
    # builtins (a pared-down dict there aborts the process).
    ns: dict[str, Any] = {"torch": torch}
    for helper in prog.helpers:
        _run(helper, "helper", ns)
    leaves = [st for st in prog.statements if st.leaf]
    ops = [st for st in prog.statements if not st.leaf]
    for st in leaves:
        _run(st.code, st.name, ns)
    runs = prog.repeat if prog.backward.ok else 1
    for _ in range(runs):
        for st in ops:
            if should_stop():
                return None
            _run("\n".join(st.lines()), st.name, ns)
            t = ns[st.name]
            if t.requires_grad and t.grad_fn is not None and not t.retains_grad:
                t.retain_grad()
        if prog.backward.ok:
            _run(f"{prog.names[prog.target]}.backward()", "backward", ns)
    return {st.name: ns[st.name] for st in prog.statements}


def _run(code: str, where: str, ns: dict[str, Any]) -> None:
    """One statement on PyTorch; what it raises becomes an OracleError naming the line."""
    try:
        exec(compile(code, f"<{where}>", "exec"), ns)  # noqa: S102 - catalog templates only
    except Exception as e:  # noqa: BLE001 - whatever PyTorch raises, said in words
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise OracleError(f"PyTorch failed at {code.splitlines()[-1].strip()!r}: "
                          f"{type(e).__name__}: {first}") from e


def _run_in_app(session: Session, prog: Program) -> tuple[dict[str, np.ndarray | None],
                                                          dict[str, np.ndarray | None]]:
    """The app's values and gradients, on private leaves: what Backward would show."""
    leaves = session.private_leaves()
    evaluator = session.evaluator
    runs = prog.repeat if prog.backward.ok else 1
    for _ in range(runs):
        forward = evaluator.forward(leaves, retain_grads=True)
        if prog.backward.ok:
            evaluator.backward(forward)
    values = {n: _array(v) for n, v in forward.values.items()}
    return values, {n: _grad(v) for n, v in forward.values.items()}
