"""Whether operations are recorded for backward: no_grad, enable_grad, set_grad_enabled."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]

F = TypeVar("F", bound=Callable[..., Any])


class _GradState:
    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = True


STATE = _GradState()  # read on every op: one attribute lookup


def is_grad_enabled() -> bool:
    """True when new operations are recorded for backward."""
    return STATE.enabled


class _GradModeContext:
    """Sets grad mode on entry and restores the previous mode on exit; also a decorator."""

    _mode = True

    def __enter__(self) -> None:
        self._prev = STATE.enabled
        STATE.enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        STATE.enabled = self._prev

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Operations inside produce tensors with no grad_fn that do not require grad."""

    _mode = False


class enable_grad(_GradModeContext):  # noqa: N801
    """Turns recording back on, e.g. inside a no_grad block."""

    _mode = True


class inference_mode(no_grad):  # noqa: N801
    """Treated like no_grad: the engine has no separate inference tensors."""

    def __init__(self, mode: bool = True) -> None:
        self._mode = not mode


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Sets grad mode now (as a call) or for a block (as a context manager)."""

    def __init__(self, mode: bool) -> None:
        self._prev = STATE.enabled
        self._mode = bool(mode)
        STATE.enabled = self._mode

    def __enter__(self) -> None:
        pass

    def __call__(self, fn: F) -> F:
        STATE.enabled = self._prev  # used as a decorator: do not leave the mode changed
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
