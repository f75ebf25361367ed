"""The accumulation ledger: every backward (what each leaf received, what it now holds)
and every zero-grad, so a learner can watch gradients pile up across runs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gradstudio.engine.printing import format_values

__all__ = ["Ledger", "BackwardEntry", "TrainEntry", "ZeroGradEntry", "NoteEntry",
           "format_number"]


def format_number(value: np.ndarray) -> str:
    """A value as a person reads it: ``4``, ``6.6918``, ``[0.6667, 1.3333, 2.0000]``."""
    a = value if value.__class__ is np.ndarray else np.asarray(value)
    if a.ndim == 0:
        v = float(a)  # Python floats, not numpy: a trace formats tens of thousands
        if v.is_integer():  # False for inf and nan
            return str(int(v))
        return f"{v:.4f}" if 1e-4 <= abs(v) < 1e6 else f"{v:.4e}"
    return format_values(a, indent=0).replace("\n", "")


@dataclass(frozen=True)
class BackwardEntry:
    target: str
    loss: np.ndarray
    received: dict[str, np.ndarray]  # leaf label -> gradient this backward added
    holds: dict[str, np.ndarray]  # leaf label -> .grad after it
    number: int = 0
    accumulated: bool = False  # True when some leaf already held a gradient

    def text(self) -> str:
        if not self.received:
            return f"backward #{self.number} from {self.target}: no leaf received a gradient"
        parts = [f"{leaf}.grad += {format_number(g)} -> {format_number(self.holds[leaf])}"
                 for leaf, g in self.received.items()]
        return f"backward #{self.number}: " + ", ".join(parts)


@dataclass(frozen=True)
class TrainEntry(BackwardEntry):
    """Train steps run through the compiled plan, as one entry: each step was a backward, the
    update and a zero grad; ``received``/``holds`` are the last backward's. ``number`` is the
    first backward's, ``steps`` how many there were."""

    steps: int = 1
    run: int = 0  # which training run (steps of one run merge into one entry)

    def text(self) -> str:
        last = self.number + self.steps - 1
        done = (f"train: {self.steps} step{'s' * (self.steps != 1)} (backward #{self.number}"
                + (f"–#{last}" if last != self.number else "")
                + f" from {self.target}, each followed by w -= lr * w.grad and zero grad)")
        if not self.received:
            return done + ": no leaf received a gradient"
        parts = [f"{leaf}.grad += {format_number(g)} -> {format_number(self.holds[leaf])}"
                 for leaf, g in self.received.items()]
        return done + "; the last: " + ", ".join(parts)


@dataclass(frozen=True)
class ZeroGradEntry:
    def text(self) -> str:
        return "zero grad"


@dataclass(frozen=True)
class NoteEntry:
    message: str

    def text(self) -> str:
        return self.message


@dataclass
class Ledger:
    entries: list = field(default_factory=list)
    _backwards: int = 0
    _since_zero: int = 0

    def record(self, entry: BackwardEntry) -> BackwardEntry:
        self._backwards += 1
        accumulated = self._since_zero > 0 and any(
            not np.array_equal(entry.holds[k], g) for k, g in entry.received.items())
        self._since_zero += 1
        entry = BackwardEntry(entry.target, entry.loss, entry.received, entry.holds,
                              self._backwards, accumulated)
        self.entries.append(entry)
        return entry

    def trained(self, entry: BackwardEntry, steps: int, run: int) -> TrainEntry:
        """``steps`` train steps at once (the compiled plan): counted as that many backward
        passes, each followed by zero grad, in one entry; a later block of the same run
        joins it."""
        last = self.entries[-1] if self.entries else None
        first = self._backwards + 1
        if isinstance(last, TrainEntry) and last.run == run and run:
            first, steps = last.number, last.steps + steps
            self.entries.pop()
        self._backwards = first + steps - 1
        self._since_zero = 0
        merged = TrainEntry(entry.target, entry.loss, entry.received, entry.holds, first,
                            False, steps, run)
        self.entries.append(merged)
        return merged

    def zero_grad(self) -> None:
        self._since_zero = 0
        self.entries.append(ZeroGradEntry())

    def note(self, message: str) -> None:
        self.entries.append(NoteEntry(message))

    @property
    def accumulating(self) -> bool:
        """True when gradients from more than one backward are summed in the leaves:
        usually a forgotten zero grad."""
        return self._since_zero > 1

    def warning(self) -> str | None:
        if not self.accumulating:
            return None
        return (f"gradients are accumulating: {self._since_zero} backward passes since the "
                "last zero grad add up in .grad")

    def lines(self) -> list[str]:
        return [e.text() for e in self.entries]

    def last_received(self) -> dict[str, np.ndarray]:
        """What each leaf (by label) received in the latest backward, or {} before one."""
        for entry in reversed(self.entries):
            if isinstance(entry, BackwardEntry):
                return entry.received
        return {}

    def copy(self) -> Ledger:
        """A copy that later entries leave alone (an entry itself never changes)."""
        return Ledger(list(self.entries), self._backwards, self._since_zero)

    def restore(self, saved: Ledger) -> None:
        """Be ``saved`` (a ``copy``) again, in place: the panels hold this ledger."""
        self.entries[:] = saved.entries
        self._backwards, self._since_zero = saved._backwards, saved._since_zero

    def clear(self) -> None:
        self.entries.clear()
        self._backwards = self._since_zero = 0
