"""The training idioms a learner pastes along with a graph — ``w -= lr * w.grad`` (in
``torch.no_grad()`` or not), ``w.data -= ...``, ``w.sub_(...)``, ``optimizer.step()``,
``torch.optim``, a ``for`` loop around ``backward()`` — recognised, so that code import
refuses them in the words a learner needs: the import reads a graph and replays its
``backward()`` calls; changing the weights by their gradients is the app's Train Step (the
lr in the toolbar), which the code's own lr can be typed into.

Only the syntax tree is looked at; nothing here runs the code.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from .model import LR_MAX, LR_MIN

__all__ = ["uses_grad", "is_training_loop", "learning_rate", "update_refusal",
           "in_place_refusal", "new_tensor_instead", "optimizer_refusal", "loop_refusal",
           "is_in_place_method", "OPTIMIZER_METHODS"]

# What the import reads, and what it leaves to the app: said the same way in each refusal.
_READS = "the import reads the graph and its backward() calls, not weight updates"
# optimizer.NAME() (and model.zero_grad()) on a name the code never defined.
OPTIMIZER_METHODS = ("step", "zero_grad")


def uses_grad(node: ast.AST) -> bool:
    """Whether an expression reads a ``.grad`` (``w.grad``, ``w.grad.data``)."""
    return any(isinstance(n, ast.Attribute) and n.attr == "grad" for n in ast.walk(node))


def is_training_loop(stmt: ast.stmt) -> bool:
    """A for or while loop whose body runs backward, reads a gradient or steps an
    optimizer: the training loop of a tutorial."""
    if not isinstance(stmt, (ast.For, ast.While)):
        return False
    return any(isinstance(n, ast.Attribute) and
               n.attr in ("grad", "backward", *OPTIMIZER_METHODS)
               for body in stmt.body for n in ast.walk(body))


def is_in_place_method(name: str) -> bool:
    """``x.add_``, ``x.sub_``, ``x.copy_``...: PyTorch's in-place methods (their names end
    in ``_``); ``requires_grad_`` only sets a flag."""
    return name.endswith("_") and not name.startswith("_") and name != "requires_grad_"


def learning_rate(value: ast.expr, number: Callable[[ast.expr], float | None],
                  adds: bool = False) -> float | None:
    """The lr of an update's ``lr * w.grad`` (or ``w.grad * lr``), read by ``number``
    (None if it is not a number the code gives), else None. ``adds``: the update adds the
    product (``w += -lr * w.grad``, ``w.add_(...)``), so its lr is the negated factor."""
    for n in ast.walk(value):
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult):
            for factor, other in ((n.left, n.right), (n.right, n.left)):
                if uses_grad(other) and not uses_grad(factor):
                    lr = number(factor)
                    return -lr if adds and lr is not None else lr
    return None


def update_refusal(snippet: str, tensor: str, lr: float | None) -> str:
    """Why ``w -= lr * w.grad`` (and its kin) is not imported, and what does it instead."""
    return (f"'{snippet}' is a training update (it changes {tensor} by its gradient): "
            f"{_READS}. Leave it out and press {_train_step(lr)}")


def in_place_refusal(snippet: str, tensor: str, instead: str) -> str:
    """An in-place change that is no update by a gradient (``y += 1``, ``x.mul_(2)``), and
    the new tensor to write ``instead`` ('' if there is none to suggest)."""
    write = f"'{instead}'" if instead else "a new tensor"
    return f"'{snippet}' changes {tensor} in place: write {write} instead"


def new_tensor_instead(stmt: ast.AST, tensor: str) -> str:
    """``y = y + 1`` for ``y += 1``, ``x = x.mul(2)`` for ``x.mul_(2)`` (short ones only)."""
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        sign = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
        if type(stmt.op) not in sign:
            return ""
        text = f"{tensor} = {tensor} {sign[type(stmt.op)]} {ast.unparse(stmt.value)}"
    elif isinstance(stmt, ast.Call) and isinstance(stmt.func, ast.Attribute):
        out_of_place = ast.Call(ast.Attribute(stmt.func.value, stmt.func.attr[:-1], ast.Load()),
                                stmt.args, stmt.keywords)
        text = f"{tensor} = {ast.unparse(out_of_place)}"
    else:
        return ""
    return text if len(text) <= 60 else ""


def optimizer_refusal(snippet: str) -> str:
    """``optimizer.step()``, ``optimizer.zero_grad()``, ``torch.optim``..."""
    if snippet.endswith("zero_grad()"):
        return (f"'{snippet}' belongs to a training loop: {_READS}. Leave the optimizer out; "
                "'x.grad.zero_()' (replayed) zeroes one leaf's gradient, Zero Grad in the app "
                "all of them")
    return (f"'{snippet}': an optimizer changes the weights by their gradients, and {_READS}. "
            f"Leave the optimizer out and press {_train_step(None)}; Train N Steps… runs a "
            "loop of them")


def loop_refusal(stmt: ast.For | ast.While) -> str:
    """A training loop: import one pass of it, and let the app run the loop."""
    loop = "for" if isinstance(stmt, ast.For) else "while"
    return (f"a training loop ({loop} ...: backward() and an update) is not imported: the "
            "importer reads straight-line code, one forward and backward. Paste one pass of "
            "its body without the update, then run the loop in the app with Train N Steps… "
            "(lr in the toolbar)")


def _train_step(lr: float | None) -> str:
    if lr is not None and LR_MIN <= lr <= LR_MAX:
        return f"Train Step in the app, with lr {lr:g} in the toolbar"
    return "Train Step in the app (its lr is in the toolbar)"
