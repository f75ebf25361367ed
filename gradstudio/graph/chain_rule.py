"""The chain rule at one node, with numbers: incoming gradient x local derivative = what
went to each input. This is the notebook's manual derivation, generated for any graph.

The node is replayed on private copies of its inputs, so each port gets its own numbers
even when one source feeds two ports (``mul(x, x)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import gradstudio.engine as ge

from .catalog import kind
from .explain import blocks_gradient, why_not_requires_grad
from .ledger import format_number
from .session import Session

__all__ = ["PortFlow", "ChainRuleStep", "chain_rule_at"]


@dataclass(frozen=True)
class PortFlow:
    """One input edge: the local derivative d(node)/d(input) and the gradient sent along
    it in the last backward (None, with ``why_none``, where nothing flowed)."""

    port: str
    source: str  # label of the node wired into the port
    local: np.ndarray | None
    sent: np.ndarray | None
    why_none: str | None = None


@dataclass(frozen=True)
class ChainRuleStep:
    node: str
    label: str
    formula: str
    incoming: np.ndarray | None  # d(loss)/d(this node's output) in the last backward
    flows: tuple[PortFlow, ...]
    note: str | None = None

    def lines(self, loss_label: str = "loss") -> list[str]:
        """The derivation in words and numbers, one line per input."""
        if self.note:
            return [self.note]
        out = []
        incoming = "?" if self.incoming is None else format_number(self.incoming)
        out.append(f"∂{loss_label}/∂{self.label} = {incoming}")
        for f in self.flows:
            local = "—" if f.local is None else format_number(f.local)
            if f.sent is None:
                out.append(f"∂{self.label}/∂{f.port} = {local}; nothing sent to {f.source}: "
                           f"{f.why_none}")
            else:
                out.append(f"∂{self.label}/∂{f.port} = {local};  {incoming} × {local} = "
                           f"{format_number(f.sent)} → {f.source}")
        return out


def chain_rule_at(session: Session, node_id: str) -> ChainRuleStep:
    """The backward step at ``node_id`` after the session's last backward."""
    model = session.model
    data = model.node(node_id)
    spec = kind(data.kind)
    if spec.is_leaf:
        grad = session.grad(node_id) if node_id in model else None
        note = (f"{data.label} is a leaf: gradients stop here and add up in "
                f"{data.label}.grad" + ("" if grad is None else
                                        f" (now {format_number(grad.numpy())})"))
        return ChainRuleStep(node_id, data.label, "", None, (), note)
    forward = session.last_forward
    if forward is None or node_id in forward.errors or node_id not in forward.values:
        why = "run forward first" if forward is None else forward.errors.get(node_id, "no value")
        return ChainRuleStep(node_id, data.label, spec.formula, None, (), f"{data.label}: {why}")
    wired = model.inputs_of(node_id)
    sources = [wired.get(p) for p in spec.inputs]
    inputs = [forward.value(s) for s in sources]
    if any(v is None for v in inputs):
        return ChainRuleStep(node_id, data.label, spec.formula, None, (),
                             f"{data.label} has an input without a value")
    copies = [ge.tensor(v.detach().numpy(), dtype=v.dtype, requires_grad=True) for v in inputs]
    out = spec.build(data.params)(*copies)
    locals_ = ge.autograd.grad(out, copies, ge.ones_like(out), retain_graph=True,
                               allow_unused=True)
    incoming = _incoming(session, node_id)
    sent = (None,) * len(copies)
    if incoming is not None:
        sent = ge.autograd.grad(out, copies, ge.tensor(incoming, dtype=out.dtype),
                                allow_unused=True)
    flows = []
    for port, src, value, local, s in zip(spec.inputs, sources, inputs, locals_, sent,
                                          strict=True):
        why = None
        if incoming is None:
            why = _why_no_incoming(session, node_id)
        elif not value.requires_grad:  # say which switch: requires_grad, detach, no-grad
            why = (why_not_requires_grad(model, src, session.no_grad_mode)
                   or f"{model.label(src)} does not require grad")
        flows.append(PortFlow(port, model.label(src), _np(local), None if why else _np(s), why))
    return ChainRuleStep(node_id, data.label, spec.formula, incoming, tuple(flows))


def _np(t: ge.Tensor | None) -> np.ndarray | None:
    return None if t is None else np.array(t.numpy())


def _incoming(session: Session, node_id: str) -> np.ndarray | None:
    """The gradient that reached this node's output in the last backward."""
    last = session.last_backward
    if last is None or not last.ok:
        return None
    if blocks_gradient(session.model, node_id):
        return None
    if node_id == last.target:
        return np.ones(tuple(last.loss.shape), dtype=last.loss.dtype.numpy)
    grad = session.grad(node_id)
    return None if grad is None else np.array(grad.numpy())


def _why_no_incoming(session: Session, node_id: str) -> str:
    last = session.last_backward
    if last is None:
        return "no backward has run yet"
    if not last.ok:
        return "the last backward did not run"
    how = blocks_gradient(session.model, node_id)
    label = session.model.label(node_id)
    if how:
        return f"{label} is {how}"
    return f"no gradient reached {label} from {session.model.label(last.target)}"
