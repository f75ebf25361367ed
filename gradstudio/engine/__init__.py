"""gradstudio.engine: a small numpy autograd engine with PyTorch's API and behaviour.

``import gradstudio.engine as torch`` runs the autograd notebook: same values, gradients,
printed forms and error messages. numpy is the only dependency.
"""

import warnings

from . import autograd, memory
from .autograd import BackwardStep, trace_backward
from .dtypes import bool_ as bool  # noqa: A004 - torch.bool
from .dtypes import dtype, float16, float32, float64, get_default_dtype, int32, int64
from .factories import arange, full, is_tensor, ones, ones_like, tensor, zeros, zeros_like
from .functions import (
    abs,  # noqa: A004
    add,
    clamp,
    clone,
    cos,
    div,
    exp,
    log,
    mean,
    mul,
    neg,
    pow,  # noqa: A004
    reciprocal,
    relu,
    sigmoid,
    sin,
    sqrt,
    square,
    sub,
    sum,  # noqa: A004
    tanh,
)
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck
from .printing import set_printoptions
from .tensor import Size, Tensor

half, float, double = float16, float32, float64  # noqa: A001
int, long = int32, int64  # noqa: A001
clip = clamp
subtract, multiply, divide, negative = sub, mul, div, neg

memory.configure_malloc()  # once, at import: big freed blocks stay for reuse (memory.py)

# numpy reports overflow and invalid values as warnings; PyTorch silently gives IEEE inf/nan.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"gradstudio\.engine")

__all__ = [
    "autograd", "BackwardStep", "trace_backward", "bool", "dtype", "float16", "float32",
    "float64", "int32", "int64", "half", "float", "double", "int", "long", "get_default_dtype",
    "gradcheck", "enable_grad", "inference_mode", "is_grad_enabled", "no_grad",
    "set_grad_enabled", "abs", "add", "clamp", "clip", "clone", "cos", "div", "exp", "log",
    "mean", "mul", "neg", "pow", "reciprocal", "relu", "sigmoid", "sin", "sqrt", "square",
    "sub", "sum", "tanh", "subtract", "multiply", "divide", "negative", "set_printoptions",
    "Size", "Tensor", "arange", "full", "is_tensor", "ones", "ones_like", "tensor", "zeros",
    "zeros_like",
]
