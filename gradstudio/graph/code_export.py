"""A graph as a PyTorch script: one variable per node, in the app's evaluation order (the
reverse of ``code_import``; ``code_notebook`` writes the same code as a notebook).

Each node's line is its kind's code template from the catalog (``torch.sin({x})``) with the
variables wired into its ports and its parameters as Python literals; a leaf is
``torch.tensor(value, dtype=..., requires_grad=...)`` followed by a comment naming its kind
(``# weight``), which is how import tells a weight from an input. Labels reach the code only as
identifiers made from them (``identifiers``); other text (the description, why backward is
not run) goes in as ``repr`` strings, so no label or description can inject code. Whether
backward runs is the app's own decision, made on private copies of the leaves: the session
is left as it is.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from gradstudio import __version__

from .catalog import KINDS, GraphError, kind
from .evaluate import BackwardResult, ForwardResult
from .model import NodeData
from .session import Session

__all__ = ["Statement", "Program", "program", "identifiers", "script", "export_text",
           "FORMATS", "RESERVED"]

FORMATS = {"py": "a PyTorch script", "ipynb": "a Jupyter notebook"}

# Names an exported script uses itself (and ``F``, PyTorch's usual functional alias): a node
# called so gets another name. The helpers' function names are added below.
RESERVED = frozenset({"torch", "F", "print", "float"} | {
    m.group(1) for k in KINDS.values() for m in re.finditer(r"^def (\w+)", k.helper, re.M)})


class Statement(NamedTuple):
    """One node's line of code, ``name = expression`` (a named tuple: one per node)."""

    node: str
    name: str
    code: str
    no_grad: bool  # run inside ``with torch.no_grad():``
    leaf: bool

    def lines(self) -> list[str]:
        """The statement alone (a notebook cell), with its own no-grad block if it has one."""
        return ["with torch.no_grad():", f"    {self.code}"] if self.no_grad else [self.code]


@dataclass(frozen=True)
class Program:
    """The graph as PyTorch statements: what the script, the notebook and Compare with
    PyTorch share. ``backward`` is the app's own backward on private leaves: whether it
    runs, or PyTorch's error and the reason in words."""

    statements: tuple[Statement, ...]
    names: dict[str, str]  # node id -> variable
    helpers: tuple[str, ...]  # functions the statements call, in the order first needed
    backward: BackwardResult
    repeat: int = 1
    leaves: tuple[str, ...] = field(default=())

    @property
    def target(self) -> str | None:
        return self.backward.target

    def backward_lines(self) -> list[str]:
        """``loss.backward()`` (``repeat`` times), or a print of why it does not run."""
        if not self.backward.ok:
            why = f"backward is not run: {self.backward.error} ({self.backward.reason})"
            return ["# GradStudio does not run backward here: PyTorch would refuse it too.",
                    f"print({why!r})"]
        loss = self.names[self.backward.target]
        lines = ["# backward from the loss: each leaf's .grad receives its gradient"]
        if self.repeat > 1:
            lines[0] += f" ({self.repeat} times: the gradients add up)"
        lines += [f"{loss}.backward(retain_graph=True)"] * (self.repeat - 1)
        return [*lines, f"{loss}.backward()"]

    def print_lines(self) -> list[str]:
        """Print the loss, then every leaf's .grad (None where no gradient reached it)."""
        lines = []
        if self.target is not None:
            loss = self.names[self.target]
            lines.append(f"print({loss + ' ='!r}, {loss})")
        for n in self.leaves:
            name = self.names[n]
            lines.append(f"print({name + '.grad ='!r}, {name}.grad)")
        return lines


def _exact(label: str) -> bool:
    """The label can be the variable as it is."""
    return (label.isidentifier() and unicodedata.normalize("NFKC", label) == label
            and not keyword.iskeyword(label) and label not in RESERVED
            and not label.startswith("__"))


def _made_valid(label: str, fallback: str) -> str:
    """``y pred`` -> ``y_pred``, ``x²`` -> ``x2``, ``2x`` -> ``_2x``, ``lambda`` -> ``lambda_``.
    Python reads identifiers in NFKC form, so the name is written in it."""
    text = unicodedata.normalize("NFKC", label)
    out: list[str] = []
    for c in text:
        if ("_" + c).isidentifier():
            out.append(c)
        elif not out or out[-1] != "_":
            out.append("_")
    name = "".join(out).strip("_") or fallback
    if not name.isidentifier():  # starts with a digit
        name = "_" + name
    if unicodedata.normalize("NFKC", name) != name or not name.isidentifier():
        name = "_" + re.sub(r"[^A-Za-z0-9_]", "_", name)  # a composition the strip undid
    if keyword.iskeyword(name) or name in RESERVED:
        name += "_"
    return name


def identifiers(labels: dict[str, str], fallbacks: dict[str, str] | None = None
                ) -> dict[str, str]:
    """A unique Python identifier per node (id -> label, in order): the label itself where
    it already is one, else the label made valid, with ``_2``, ``_3`` on a clash."""
    names = {n: label for n, label in labels.items() if _exact(label)}
    taken = set(names.values())
    counters: dict[str, int] = {}
    for n, label in labels.items():
        if n in names:
            continue
        base = _made_valid(label, (fallbacks or {}).get(n, "node"))
        name, i = base, counters.get(base, 1)
        while name in taken:
            i += 1
            name = f"{base}_{i}"
        counters[base] = i
        names[n] = name
        taken.add(name)
    return names


def _literal(value: Any, integral: bool = False) -> str:
    """A number or nested list as Python source; with ``integral``, ``2.0`` is ``2`` (a
    whole exponent is an int, as the catalog's pow computes it)."""
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    v = float(value)
    if math.isnan(v):
        return "float('nan')"
    if math.isinf(v):
        return "float('inf')" if v > 0 else "-float('inf')"
    if integral and v == int(v) and abs(v) < 1e15:
        return repr(int(v))
    return repr(v)


_SIMPLE: dict[str, bool] = {}  # kind -> its expression can take ``.detach()`` as it is


def _detached(kind_name: str, expression: str) -> str:
    simple = _SIMPLE.get(kind_name)
    if simple is None:
        body = ast.parse(expression, mode="eval").body
        simple = _SIMPLE[kind_name] = isinstance(body, ast.Call | ast.Name | ast.Attribute)
    return f"{expression}.detach()" if simple else f"({expression}).detach()"


def program(session: Session, repeat: int = 1, *,
            ran: tuple[ForwardResult, BackwardResult] | None = None,
            nodes: Mapping[str, NodeData] | None = None) -> Program:
    """The session's graph as statements; a GraphError when it cannot be written (empty, or
    a node without a value: an unwired input, shapes that do not fit). ``ran``: the forward
    (not in no-grad mode) and the backward from the loss the caller already ran on private
    leaves (the notebook's step-through), instead of running them again; ``nodes``: each
    node's snapshot the caller read from the model just now (the same step-through)."""
    if repeat < 1:
        raise GraphError("backward must run at least once")
    model, evaluator = session.model, session.evaluator
    plan = evaluator.plan()
    if not plan.node_ids:
        raise GraphError("the graph is empty: there is nothing to export")
    forward = evaluator.forward(session.private_leaves()) if ran is None else ran[0]
    for n in plan.node_ids:
        if n in forward.errors:
            raise GraphError(f"cannot export: {model.label(n)} has no value: "
                             f"{forward.errors[n]}")
    backward = evaluator.backward(forward) if ran is None else ran[1]
    if nodes is None:
        nodes = {n: model.node(n) for n in plan.node_ids}
    names = identifiers({n: d.label for n, d in nodes.items()},
                        {n: d.spec.default_label or d.kind for n, d in nodes.items()})
    dtype = model.settings.dtype
    statements, helpers = [], []
    for step in plan.steps:
        data = nodes[step.node]
        spec = kind(data.kind)
        if spec.is_leaf:
            args = [_literal(data.params["value"]), f"dtype=torch.{dtype}"]
            if data.flags["requires_grad"]:
                args.append("requires_grad=True")
            code = f"torch.tensor({', '.join(args)})"
            code = code + ".detach()" if data.flags["detach"] else code
            code += f"  # {data.kind}"
        else:
            fields = {p: names[plan.node_ids[i]] for p, i in zip(step.ports, step.sources,
                                                                  strict=True)}
            fields.update((p, _literal(v, integral=True)) for p, v in data.params.items())
            code = spec.code.format(**fields)
            code = _detached(spec.name, code) if data.flags["detach"] else code
            if spec.helper and spec.helper not in helpers:
                helpers.append(spec.helper)
        statements.append(Statement(step.node, names[step.node], f"{names[step.node]} = {code}",
                                    data.flags["no_grad"], spec.is_leaf))
    return Program(tuple(statements), names, tuple(helpers), backward, repeat, plan.leaves)


def script(session: Session, *, repeat: int = 1, title: str = "") -> str:
    """The whole script: imports, helpers, one line per node (consecutive no-grad nodes in
    one ``with torch.no_grad():`` block), backward, the prints."""
    prog = program(session, repeat)
    about = f"{title or 'graph'}: exported from GradStudio {__version__}."
    if session.model.description:
        about += f" {session.model.description}"
    lines = [repr(about), "import torch", ""]
    for helper in prog.helpers:
        lines += ["", *helper.rstrip("\n").split("\n"), "", ""]
    in_block = False
    for st in prog.statements:
        if st.no_grad and not in_block:
            lines.append("with torch.no_grad():")
        lines.append(f"    {st.code}" if st.no_grad else st.code)
        in_block = st.no_grad
    lines += ["", *prog.backward_lines(), "", *prog.print_lines()]
    return "\n".join(lines) + "\n"


def export_text(session: Session, fmt: str, *, repeat: int = 1, title: str = "") -> str:
    """The graph as the text of a ``.py`` or ``.ipynb`` file (``FORMATS``); a GraphError
    when it cannot be exported."""
    if fmt == "ipynb":
        from .code_notebook import notebook_text  # nbformat: only when a notebook is asked

        return notebook_text(session, repeat=repeat, title=title)
    return script(session, repeat=repeat, title=title)
