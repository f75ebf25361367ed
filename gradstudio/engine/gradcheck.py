"""Finite-difference check of backward, like torch.autograd.gradcheck."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .autograd import grad
from .grad_mode import no_grad
from .tensor import Tensor

__all__ = ["gradcheck", "GradcheckError", "central_difference", "flat_storage", "relative_error"]


class GradcheckError(RuntimeError):
    """Raised when analytical and numerical Jacobians disagree."""


def _outputs(fn: Callable, inputs: Sequence[Any]) -> tuple:
    out = fn(*inputs)
    return (out,) if isinstance(out, Tensor) else tuple(out)


def central_difference(evaluate: Callable[[], Any], flat: np.ndarray, j: int, eps: float
                       ) -> np.ndarray:
    """(f(x + eps e_j) - f(x - eps e_j)) / 2 eps in float64: ``flat`` is a flat view of x's
    storage, changed in place for the two evaluations and restored afterwards (also when
    ``evaluate`` raises). The one finite-difference formula of the app: gradcheck below and
    the graph layer's Check Gradients both use it."""
    orig = flat[j].item()
    try:
        flat[j] = orig + eps
        plus = np.asarray(evaluate(), dtype=np.float64).ravel()
        flat[j] = orig - eps
        minus = np.asarray(evaluate(), dtype=np.float64).ravel()
    finally:
        flat[j] = orig
    return (plus - minus) / (2 * eps)


def flat_storage(x: Tensor) -> np.ndarray:
    """A flat view of a tensor's values: writing into it changes the tensor."""
    return x._storage().reshape(-1)


def relative_error(analytic: Any, numeric: Any, floor: float = 1e-8) -> np.ndarray:
    """|analytic - numeric| / max(|analytic|, |numeric|, floor), elementwise: 0 when they
    agree, 1 or more when one is of the wrong sign or size. The floor keeps two gradients
    that are both (nearly) zero from dividing noise by noise."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)
    with np.errstate(invalid="ignore"):
        err = np.abs(a - n) / scale
    return np.where(np.isnan(a) & np.isnan(n), 0.0, np.where(np.isnan(err), np.inf, err))


def _numerical_jacobian(fn: Callable, inputs: Sequence[Any], i: int, out_index: int,
                        eps: float) -> np.ndarray:
    """Column j: the central difference for element j of input i."""
    flat = flat_storage(inputs[i])  # a view: writes go into x
    n_out = _outputs(fn, inputs)[out_index].numel()
    jac = np.zeros((flat.size, n_out))

    def evaluate() -> np.ndarray:
        return _outputs(fn, inputs)[out_index]._data

    with no_grad():
        for j in range(flat.size):
            jac[j] = central_difference(evaluate, flat, j, eps)
    return jac


def _analytical_jacobian(fn: Callable, inputs: Sequence[Any], i: int, out_index: int
                         ) -> np.ndarray:
    """Row k of the Jacobian transposed: backward of output element k."""
    out = _outputs(fn, inputs)[out_index]
    x = inputs[i]
    jac = np.zeros((x.numel(), out.numel()))
    if not out.requires_grad:
        return jac
    for k in range(out.numel()):
        seed = np.zeros(out.numel(), dtype=out._data.dtype)
        seed[k] = 1
        (g,) = grad(out, x, Tensor._from_array(seed.reshape(out._data.shape)),
                    retain_graph=True, allow_unused=True)
        if g is not None:
            jac[:, k] = np.asarray(g._data, dtype=np.float64).ravel()
    return jac


def gradcheck(fn: Callable, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """True if backward agrees with central finite differences for every input that requires
    grad and every output; use float64 inputs, as with PyTorch."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of the them have requires_grad=True.")
    for i in checked:
        if inputs[i].dtype.name != "float64":
            raise GradcheckError(f"Input #{i} requires gradient and is not a double precision "
                                 "floating point: finite differences need float64.")
    for out_index in range(len(_outputs(fn, inputs))):
        for i in checked:
            numerical = _numerical_jacobian(fn, inputs, i, out_index, eps)
            analytical = _analytical_jacobian(fn, inputs, i, out_index)
            if not np.allclose(analytical, numerical, rtol=rtol, atol=atol, equal_nan=True):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {out_index} with respect to input {i},\n"
                        f"numerical:{numerical}\nanalytical:{analytical}\n")
                return False
    return True
