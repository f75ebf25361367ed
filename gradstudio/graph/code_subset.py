"""The PyTorch subset that code import understands, as data: which torch function, method,
``F.`` function and operator becomes which node kind of the catalog.

One table per form, read by ``code_import`` (and by the tests and docs/code.md's table), so a
supported call is listed once. Every kind named here is a catalog kind (a test checks it).
"""

from __future__ import annotations

import ast

__all__ = ["UNARY", "BINARY", "OPERATORS", "TORCH_EXTRA", "FUNCTIONAL", "METHOD_EXTRA",
           "DTYPES", "LEAF_KINDS", "PARAMETER_NAME", "DISPLAY_ATTRIBUTES", "DISPLAY_METHODS",
           "DISPLAY_FUNCTIONS", "FACTORIES", "RANDOM", "INSTEAD"]

# One input: torch.NAME(x), x.NAME(), and (where PyTorch has it) F.NAME(x).
UNARY = {"sin": "sin", "cos": "cos", "exp": "exp", "log": "log", "sigmoid": "sigmoid",
         "tanh": "tanh", "relu": "relu", "neg": "neg", "negative": "neg", "mean": "mean",
         "sum": "sum", "square": "square"}
# Two inputs: torch.NAME(a, b) and a.NAME(b).
BINARY = {"add": "add", "sub": "sub", "subtract": "sub", "mul": "mul", "multiply": "mul",
          "div": "div", "divide": "div", "true_divide": "div"}
OPERATORS: dict[type[ast.operator], str] = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul",
                                            ast.Div: "div"}
# torch.NAME beyond the tables above (handled one by one in code_import).
TORCH_EXTRA = ("tensor", "pow", "clamp", "clip", "no_grad", "enable_grad", "manual_seed")
# torch.NAME(sizes...) / torch.NAME_like(x): a leaf filled with one number.
FACTORIES = {"ones": 1.0, "zeros": 0.0, "ones_like": 1.0, "zeros_like": 0.0}
# torch.NAME that is not supported, and what to write instead.
INSTEAD = {"sqrt": "write x ** 0.5 (a pow node)",
           "autograd": "call y.backward() and print x.grad, the gradients the graph shows",
           "rsqrt": "write x ** -0.5 (a pow node)", "reciprocal": "write 1 / x",
           "linspace": "write the numbers, as in torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0])",
           "arange": "write the numbers, as in torch.tensor([0.0, 1.0, 2.0])"}
# torch.NAME making random numbers: refused (only running the code knows them).
RANDOM = ("randn", "rand", "randint", "randn_like", "rand_like", "randint_like", "normal",
          "randperm", "bernoulli", "multinomial", "poisson")
# F.NAME (torch.nn.functional): the losses and the activations PyTorch has there.
FUNCTIONAL = {"binary_cross_entropy": "bce", "mse_loss": "mse", "relu": "relu",
              "sigmoid": "sigmoid", "tanh": "tanh"}
# x.NAME(...) beyond UNARY and BINARY.
METHOD_EXTRA = ("pow", "clamp", "clip", "detach", "requires_grad_", "backward", "retain_grad",
                "clone")
DTYPES = {"float32": "float32", "float": "float32", "float64": "float64", "double": "float64"}

# A leaf's kind: a trailing comment naming the kind wins (``w = torch.tensor(1.0)  # weight``,
# as export writes it); otherwise a parameter-like name (w, b, W1, weight, bias_2) is a Weight,
# and anything else an Input. requires_grad is the code's either way.
LEAF_KINDS = ("input", "weight", "constant")
PARAMETER_NAME = r"^(?:[wWbB]\d*|[wWbB]_\w*|weight\w*|bias\w*|theta\w*)$"

# What print(...) and bare expressions may look at (they are ignored, but must be understood).
DISPLAY_ATTRIBUTES = ("grad", "data", "shape", "requires_grad", "grad_fn", "is_leaf", "dtype")
DISPLAY_METHODS = ("item", "tolist", "size", "dim", "numel", "numpy")
# Builtins a print may format what it shows with: print(round(x.item(), 2)), str(x).
DISPLAY_FUNCTIONS = ("str", "repr", "round", "float", "int", "bool", "abs", "len", "type",
                     "format")
