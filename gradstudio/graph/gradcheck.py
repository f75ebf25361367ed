"""Check Gradients: every gradient backward gives a leaf, against central finite differences.

For every leaf that requires grad (every element of a vector leaf, up to
``MAX_CHECKED_ELEMENTS`` per leaf), the analytic gradient (one backward) is compared with
``(L(w + eps) - L(w - eps)) / 2 eps``, both in float64 on private copies of the leaves, so
the session, its gradients and the ledger stay as they are. The difference formula and the
relative error are the engine's (``gradstudio.engine.gradcheck``); a kind whose backward
were wrong shows a large relative error at the leaves upstream of it.

The check is two forwards per element: ``progress(done, total)`` reports after each element
and ``should_stop()`` is asked before each, so a long check can show progress and stop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import gradstudio.engine as ge
from gradstudio.engine.gradcheck import central_difference, flat_storage, relative_error

from .evaluate import ForwardResult
from .ledger import format_number
from .session import Session

__all__ = ["check_gradients", "GradCheck", "LeafCheck", "ElementCheck", "MAX_CHECKED_ELEMENTS",
           "TOLERANCE", "EPS", "NOISE_MARGIN", "noise_floor",
           "format_error", "format_gradient"]

MAX_CHECKED_ELEMENTS = 64  # elements of one leaf checked, the first ones in memory order
TOLERANCE = 1e-4  # a relative error below this: backward agrees with finite differences
EPS = 1e-6  # the step of the central difference, as in torch.autograd.gradcheck
# A difference quotient carries rounding noise: each node's value v is rounded (by about
# u |v|, u = 2.2e-16 in float64), which moves the loss by about u |v| |dL/dv|, so the quotient
# is off by up to u * sum(|v| |dL/dv|) / EPS. A gradient smaller than NOISE_MARGIN times
# that bound is compared by its absolute error against the bound instead of relative to
# itself, so rounding noise never passes for a wrong derivative.
NOISE_MARGIN = 1e3


@dataclass(frozen=True)
class ElementCheck:
    """One element of a leaf: its flat index, the two gradients and their relative error."""

    index: int
    analytic: float
    numeric: float
    error: float

    @property
    def ok(self) -> bool:
        return self.error < TOLERANCE


@dataclass
class LeafCheck:
    """The elements of one leaf checked so far."""

    node: str
    label: str
    shape: tuple[int, ...]
    elements: list[ElementCheck] = field(default_factory=list)

    @property
    def numel(self) -> int:
        return int(np.prod(self.shape, dtype=int))

    @property
    def capped(self) -> bool:
        """Whether the leaf has more elements than the check looks at."""
        return self.numel > MAX_CHECKED_ELEMENTS

    @property
    def worst(self) -> float | None:
        """The largest relative error among the elements checked (None: none checked)."""
        return max((e.error for e in self.elements), default=None)

    @property
    def ok(self) -> bool:
        return all(e.ok for e in self.elements)

    def name(self, element: ElementCheck) -> str:
        """``w`` for a scalar, ``w[2]`` or ``W[1, 0]`` for an element of a tensor."""
        if not self.shape:
            return self.label
        where = np.unravel_index(element.index, self.shape)
        return f"{self.label}[{', '.join(str(int(i)) for i in where)}]"


@dataclass
class GradCheck:
    """The whole check, or why it could not run (``error`` and ``reason``, as a backward's)."""

    target: str | None
    leaves: list[LeafCheck] = field(default_factory=list)
    error: str | None = None
    reason: str | None = None
    cancelled: bool = False
    done: int = 0  # elements checked
    total: int = 0  # elements the check would look at
    floor: float = 0.0  # gradients below this are compared against it (``noise_floor``)

    @property
    def ran(self) -> bool:
        return self.error is None

    @property
    def ok(self) -> bool:
        """Ran to the end and every gradient agrees."""
        return self.ran and not self.cancelled and all(leaf.ok for leaf in self.leaves)

    @property
    def failing(self) -> list[LeafCheck]:
        return [leaf for leaf in self.leaves if not leaf.ok]

    def summary(self) -> str:
        """One line in words: what was checked and what it found."""
        if not self.ran:
            return f"Check Gradients could not run: {self.error}\n{self.reason}"
        if not self.leaves:
            return "No leaf requires grad: there is no gradient to check"
        capped = [leaf for leaf in self.leaves if leaf.capped]
        limit = "" if not capped else (
            f"; {', '.join(leaf.label for leaf in capped)}: only the first "
            f"{MAX_CHECKED_ELEMENTS} elements checked (the limit per leaf)")
        if self.cancelled:
            return f"Check Gradients cancelled after {self.done} of {self.total} elements"
        bad = self.failing
        if bad:
            names = ", ".join(leaf.label for leaf in bad)
            worst = max(leaf.worst or 0.0 for leaf in bad)
            return (f"backward disagrees with finite differences at {names} (relative error "
                    f"{format_error(worst)}, tolerance {TOLERANCE:g}){limit}")
        worst = max((leaf.worst or 0.0 for leaf in self.leaves), default=0.0)
        which = "the gradient agrees" if self.done == 1 else f"all {self.done} gradients agree"
        return (f"{which} with finite differences (worst relative error "
                f"{format_error(worst)}){limit}")


def format_gradient(value: float) -> str:
    """A gradient with enough digits to see where backward and finite differences part."""
    return f"{value:.10g}"


def format_error(error: float) -> str:
    """A relative error as the badge and the table show it: 3.2e-09, 0.5, inf."""
    return "inf" if not np.isfinite(error) else f"{error:.1e}" if error < 0.01 else \
        format_number(np.float64(error))


def noise_floor(forward: ForwardResult) -> float:
    """NOISE_MARGIN * u * sum over the nodes of |value| * |dL/dvalue| / EPS, after a backward
    that kept every gradient (the rounding noise a difference quotient can carry)."""
    total = 0.0
    for value in forward.values.values():
        grad = value.grad
        if grad is not None:
            total += float(np.sum(np.abs(value.detach().numpy()) * np.abs(grad.numpy())))
    bound = NOISE_MARGIN * float(np.finfo(np.float64).eps) * total / EPS
    return bound if np.isfinite(bound) and bound > 0 else 1e-12


def check_gradients(session: Session, target: str | None = None, *,
                    progress: Callable[[int, int], None] | None = None,
                    should_stop: Callable[[], bool] | None = None) -> GradCheck:
    """Compare backward's gradient of every leaf that requires grad with central finite
    differences of the loss (``target``; default the loss backward starts from)."""
    leaves = session.private_leaves(ge.float64)
    forward = session.evaluate(leaves, retain_grads=True)
    backward = session.evaluator.backward(forward, target)
    check = GradCheck(backward.target, error=backward.error, reason=backward.reason)
    if not backward.ok:
        return check
    target = backward.target
    model = session.model
    floor = noise_floor(forward)
    check.floor = floor
    wanted = sorted((n for n, t in leaves.items() if t.requires_grad), key=model.label)
    for n in wanted:
        check.leaves.append(LeafCheck(n, model.label(n), tuple(leaves[n].shape)))
    check.total = sum(min(leaf.numel, MAX_CHECKED_ELEMENTS) for leaf in check.leaves)

    def loss() -> np.ndarray:
        value = session.value_at(leaves, target)  # the compiled plan when the graph compiles
        return np.array(np.nan) if value is None else value

    for leaf in check.leaves:
        analytic = backward.received.get(leaf.node)  # none: the loss does not depend on it
        analytic = np.zeros(leaf.shape) if analytic is None else np.asarray(analytic)
        analytic = analytic.astype(np.float64).reshape(-1)
        flat = flat_storage(leaves[leaf.node])
        for j in range(min(leaf.numel, MAX_CHECKED_ELEMENTS)):
            if should_stop is not None and should_stop():
                check.cancelled = True
                return check
            numeric = float(central_difference(loss, flat, j, EPS)[0])
            a = float(analytic[j])
            error = float(relative_error(a, numeric, floor))
            leaf.elements.append(ElementCheck(j, a, numeric, error))
            check.done += 1
            if progress is not None:
                progress(check.done, check.total)
    return check
