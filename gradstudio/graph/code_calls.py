"""How code import reads a call: torch.NAME(...), x.NAME(...), F.NAME(...) and the code's
own functions, each to nodes of the catalog (the names are ``code_subset``'s tables). Also
the values an expression can have while the code is read: a tensor still to be made (a
node), a module, a function, a dtype.

``CallReader`` is the part of ``CodeImporter`` (code_import.py) that makes nodes; nothing
here runs the code.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .catalog import KINDS, GraphError, NodeKind, parse_tensor_value, value_shape
from .code_subset import BINARY, FACTORIES, FUNCTIONAL, UNARY
from .limits import MAX_NODES, MAX_VALUE_ELEMENTS, count
from .shapes import broadcast

__all__ = ["CallReader", "gradient_reach"]

_DOCS = "see docs/code.md for what is supported"
MAX_CALL_DEPTH = 20  # a function calling functions (a recursive one is refused there)

@dataclass(eq=False)
class _Tensor:
    """A node still to be made."""

    kind: str
    inputs: tuple[_Tensor, ...]
    params: dict[str, Any]
    flags: dict[str, bool]
    line: int
    col: int
    shape: tuple[int, ...] | None
    hint: str = ""  # the first variable that held it
    seq: int = 0
    filled: float | None = None  # torch.ones(...) and kin: the one number it holds


@dataclass(frozen=True)
class _Module:
    path: str  # "torch", "torch.nn", "torch.nn.functional"


@dataclass(frozen=True)
class _Function:
    module: str
    name: str


@dataclass(frozen=True)
class _Method:
    tensor: _Tensor
    name: str


@dataclass(frozen=True)
class _DType:
    name: str


@dataclass(frozen=True)
class _UserFunction:
    node: ast.FunctionDef


@dataclass
class _Action:
    kind: str  # "backward" or "zero_grad"
    tensor: _Tensor
    line: int
    retain: bool = False

class CallReader:
    """Making nodes and reading calls; ``CodeImporter`` supplies the reading of names and
    expressions (``_eval``, ``_refuse``, ``_snippet``, ``_bind``, ``_block``...)."""

    _tensors: list[_Tensor]
    _constants: dict[float, _Tensor]
    _locals: list[dict[str, Any]]
    _no_grad: bool
    _retains: set[_Tensor]  # retain_grad() was called on them
    _grads: set[_Tensor]  # their .grad holds a tensor at this line (not None)

    def _tensor(self, value: Any, node: ast.AST) -> _Tensor:
        """An operand as a tensor: a number becomes a Constant node (one per value)."""
        if isinstance(value, _Tensor):
            return value
        if not isinstance(value, float):
            raise self._refuse(node, f"'{self._snippet(node)}': an operand is not a tensor or "
                               "a number")
        if value not in self._constants:
            self._constants[value] = self._make("constant", (), node, {"value": value}, ())
        return self._constants[value]

    def _make(self, kind_name: str, inputs: tuple[_Tensor, ...], node: ast.AST,
              params: dict[str, Any] | None, shape: tuple[int, ...] | None) -> _Tensor:
        line, col = self._where(node)
        if len(self._tensors) >= MAX_NODES:
            raise self._refuse(node, f"the code makes more than {count(MAX_NODES, 'nodes')}, "
                               "the most a graph holds")
        t = _Tensor(kind_name, inputs, dict(params or {}),
                    {"requires_grad": False, "detach": False,
                     "no_grad": self._no_grad and bool(inputs)},
                    line, col, shape, seq=len(self._tensors))
        self._tensors.append(t)
        return t

    def _op(self, kind_name: str, inputs: tuple[_Tensor, ...], node: ast.AST,
            params: dict[str, Any] | None = None) -> _Tensor:
        spec = KINDS[kind_name]
        for name, value in (params or {}).items():
            try:
                spec.param(name).parse(value)
            except GraphError as e:
                raise self._refuse(node, f"{kind_name}: {e}") from None
        return self._make(kind_name, inputs, node, params, _shape(kind_name, inputs))

    # --- calls ----------------------------------------------------------------------------
    def _call(self, call: ast.Call) -> Any:
        for arg in call.args:
            if isinstance(arg, ast.Starred):
                raise self._refuse(arg, "starred arguments are not supported")
        if any(kw.arg is None for kw in call.keywords):
            raise self._refuse(call, "**keyword arguments are not supported")
        if isinstance(call.func, ast.Name) and call.func.id == "print" and \
                "print" not in self._scope() and "print" not in self._globals:
            raise self._refuse(call, "print(...) is only understood as a statement of its own")
        function = self._eval(call.func)
        if isinstance(function, _Function):
            return self._torch_call(function, call)
        if isinstance(function, _Method):
            return self._method_call(function, call)
        if isinstance(function, _UserFunction):
            return self._user_call(function.node, call)
        raise self._refuse(call, f"'{self._snippet(call.func)}' cannot be called ({_DOCS})")

    def _arguments(self, call: ast.Call, what: str, names: tuple[str, ...],
                   required: int, defaults: dict[str, Any] | None = None,
                   read: dict[str, Any] | None = None) -> dict[str, Any]:
        """The call's arguments by parameter name, evaluated (by ``read[name]`` where given),
        with ``defaults`` filled in."""
        if len(call.args) > len(names):
            raise self._refuse(call, f"{what} takes at most {len(names)} arguments here")
        given: dict[str, ast.expr] = dict(zip(names, call.args, strict=False))
        for kw in call.keywords:
            if kw.arg not in names or kw.arg in given:
                raise self._refuse(kw.value, f"{what}: the argument {kw.arg}= is not "
                                   f"supported ({_DOCS})")
            given[kw.arg] = kw.value
        missing = [n for n in names[:required] if n not in given]
        if missing:
            raise self._refuse(call, f"{what} needs {', '.join(missing)}")
        values = dict(defaults or {})
        values.update({n: (read or {}).get(n, self._eval)(e) for n, e in given.items()})
        return values

    def _torch_call(self, f: _Function, call: ast.Call) -> Any:
        name, what = f.name, f"{'F' if f.module == 'F' else 'torch'}.{f.name}"
        if f.module == "F":
            if FUNCTIONAL[name] in ("bce", "mse"):
                return self._loss(FUNCTIONAL[name], what, call)
            name = FUNCTIONAL[name]
        if name == "tensor":
            return self._leaf(call)
        if name in FACTORIES:
            return self._filled(name, call)
        if name == "manual_seed":  # nothing random is read, so the seed changes nothing
            self._arguments(call, what, ("seed",), 1)
            return None
        if name in ("no_grad", "enable_grad"):
            raise self._refuse(call, f"{what}() is only understood as 'with {what}():'")
        if name in UNARY:
            x = self._arguments(call, what, ("input",), 1)["input"]
            return self._unary_call(UNARY[name], x, what, call)
        if name in BINARY:
            args = self._arguments(call, what, ("input", "other"), 2)
            if not isinstance(args["input"], _Tensor):
                raise self._refuse(call, f"{what} needs a tensor as its first argument")
            return self._op(BINARY[name], (args["input"], self._tensor(args["other"], call)),
                            call)
        if name == "pow":
            args = self._arguments(call, what, ("input", "exponent"), 2)
            return self._pow(args["input"], args["exponent"], what, call)
        args = self._arguments(call, what, ("input", "min", "max"), 1,  # clamp, clip
                               {"min": None, "max": None})
        return self._clamp(args, what, call)

    def _method_call(self, m: _Method, call: ast.Call) -> Any:
        t, name, what = m.tensor, m.name, f".{m.name}()"
        if name in UNARY:
            self._arguments(call, what, (), 0)
            return self._unary_call(UNARY[name], t, what, call)
        if name in BINARY:
            other = self._arguments(call, what, ("other",), 1)["other"]
            return self._op(BINARY[name], (t, self._tensor(other, call)), call)
        if name == "pow":
            return self._pow(t, self._arguments(call, what, ("exponent",), 1)["exponent"],
                             what, call)
        if name in ("clamp", "clip"):
            args = self._arguments(call, what, ("min", "max"), 0, {"min": None, "max": None})
            return self._clamp({"input": t, **args}, what, call)
        if name == "detach":
            self._arguments(call, what, (), 0)
            return self._detach(t, call)
        if name == "clone":
            self._arguments(call, what, (), 0)
            return self._clone(t, call)
        if name == "retain_grad":  # the app keeps every computed node's gradient anyway
            self._arguments(call, what, (), 0)
            self._retains.add(t)  # (but its .grad is only there for the code if asked for)
            return None
        if name == "requires_grad_":
            on = self._arguments(call, what, ("requires_grad",), 0,
                                 {"requires_grad": True})["requires_grad"]
            if not isinstance(on, bool):
                raise self._refuse(call, "requires_grad_ takes True or False")
            self._set_requires_grad(t, on, call)
            return t
        args = self._arguments(call, what, ("gradient", "retain_graph"), 0,  # backward
                               {"gradient": None, "retain_graph": None})
        gradient = args["gradient"]
        if gradient is None:
            self._refuse_non_scalar(t, call)
        if gradient is not None:
            if not (isinstance(gradient, _Tensor) and gradient.filled == 1.0
                    and gradient.shape == t.shape):
                raise self._refuse(call, "backward(gradient) is only understood as "
                                   "backward(torch.ones_like(y)): the app's backward starts "
                                   "from one number, so write (y * gradient).sum().backward()")
            if t.shape != ():
                self._note(call, "y.backward(torch.ones_like(y)) is imported as "
                           "y.sum().backward(), which gives the same gradients: the app's "
                           "backward starts from one number")
                t = self._op("sum", (t,), call)
        self._backward(t, bool(args["retain_graph"]), call)
        return None

    def _refuse_non_scalar(self, t: _Tensor, call: ast.Call) -> None:
        """``y.backward()`` on a tensor of several numbers that requires grad: PyTorch raises
        there (its own words), so the import refuses it there, with the two ways out. An
        unknown shape is left to the replay (the backward then says it)."""
        if t.shape is None or math.prod(t.shape) == 1 or t not in gradient_reach(t):
            return
        owner = call.func.value if isinstance(call.func, ast.Attribute) else None
        bare = self._snippet(owner) if owner is not None else t.hint or "y"
        name = bare
        if owner is not None and not isinstance(owner, (ast.Name, ast.Attribute, ast.Call)):
            name = f"({bare})"  # (x * 2).sum(), not x * 2.sum()
        raise self._refuse(call, "RuntimeError: grad can be implicitly created only for "
                           f"scalar outputs: {name} holds {math.prod(t.shape)} numbers "
                           f"(shape {list(t.shape)}) and backward() starts from one. Reduce "
                           f"it first, as in {name}.sum().backward() or "
                           f"{name}.mean().backward(), or give the gradient, as in "
                           f"{name}.backward(torch.ones_like({bare}))")

    def _unary_call(self, kind_name: str, x: Any, what: str, call: ast.Call) -> _Tensor:
        if not isinstance(x, _Tensor):
            raise self._refuse(call, f"{what} needs a tensor, got {_shown(x)}")
        return self._op(kind_name, (x,), call)

    def _pow(self, x: Any, exponent: Any, what: str, call: ast.Call) -> _Tensor:
        if not isinstance(x, _Tensor) or not isinstance(exponent, float):
            raise self._refuse(call, f"{what}: the base must be a tensor and the exponent a "
                               "number (the pow node has a fixed exponent)")
        return self._op("pow", (x,), call, {"exponent": exponent})

    def _clamp(self, args: dict[str, Any], what: str, call: ast.Call) -> _Tensor:
        x, lo, hi = args["input"], args["min"], args["max"]
        if not isinstance(x, _Tensor):
            raise self._refuse(call, f"{what} needs a tensor, got {_shown(x)}")
        if lo is None and hi is None:
            raise self._refuse(call, f"{what} needs min or max")
        if any(v is not None and not isinstance(v, float) for v in (lo, hi)):
            raise self._refuse(call, f"{what}: min and max must be numbers")
        return self._op("clamp", (x,), call,
                        {"min": -np.inf if lo is None else lo, "max": np.inf if hi is None
                         else hi})

    def _loss(self, kind_name: str, what: str, call: ast.Call) -> _Tensor:
        names = ("input", "target", "weight") if kind_name == "bce" else ("input", "target")
        args = self._arguments(call, what, (*names, "reduction"), 2,
                               {"weight": None, "reduction": "mean"})
        p, t, reduction = args["input"], args["target"], args["reduction"]
        if not isinstance(p, _Tensor) or not isinstance(t, _Tensor):
            raise self._refuse(call, f"{what} needs tensors as input and target")
        if args.get("weight") is not None:
            raise self._refuse(call, f"{what}(weight=...) is not supported")
        if reduction not in ("mean", "sum", "none"):
            raise self._refuse(call, f"{what}: reduction must be 'mean', 'sum' or 'none'")
        if p.shape is not None and t.shape is not None and p.shape != t.shape and \
                kind_name == "bce":
            raise self._refuse(call, f"{what}: the target's size {list(t.shape)} must be the "
                               f"same as the input's {list(p.shape)}")
        scalar = p.shape == () and t.shape == ()
        if kind_name == "mse" and reduction != "mean" and not scalar:
            squared = self._op("square", (self._op("sub", (p, t), call),), call)
            return squared if reduction == "none" else self._op("sum", (squared,), call)
        loss = self._op(kind_name, (p, t), call)
        if kind_name == "bce" and reduction != "none" and not scalar:
            return self._op(reduction, (loss,), call)
        return loss

    def _leaf(self, call: ast.Call) -> _Tensor:
        args = self._arguments(call, "torch.tensor", ("data", "dtype", "requires_grad"), 1,
                               {"dtype": None, "requires_grad": False}, {"data": self._data})
        data_node = call.args[0] if call.args else next(
            kw.value for kw in call.keywords if kw.arg == "data")
        return self._new_leaf(args["data"], data_node, args["dtype"], args["requires_grad"],
                              call, _integers_only(data_node))

    def _new_leaf(self, data: Any, data_node: ast.expr, dtype: Any, rg: Any, call: ast.Call,
                  integers: bool) -> _Tensor:
        """A leaf of ``data`` (numbers or nested lists), its dtype and requires_grad checked
        as PyTorch checks them."""
        if dtype is not None and not isinstance(dtype, _DType):
            raise self._refuse(call, "dtype must be torch.float32 or torch.float64")
        if not isinstance(rg, bool):
            raise self._refuse(call, "requires_grad must be True or False")
        if rg and dtype is None and integers:
            raise self._refuse(call, "RuntimeError: Only Tensors of floating point and complex "
                               "dtype can require gradients (write 2.0, not 2)")
        try:
            value = parse_tensor_value(data)
        except GraphError as e:
            raise self._refuse(data_node, f"{self._snippet(call.func)}: {e}") from None
        t = self._make("input", (), call, {"value": value}, value_shape(value))
        t.flags["requires_grad"] = rg
        self._check_dtype(t, dtype.name if dtype else "float32", call)
        return t

    def _filled(self, name: str, call: ast.Call) -> _Tensor:
        """torch.ones(2, 3), torch.zeros((3,)), torch.ones_like(x): a leaf of one number."""
        what = f"torch.{name}"
        options = {kw.arg: kw.value for kw in call.keywords}
        if set(options) - {"dtype", "requires_grad"}:
            raise self._refuse(call, f"{what} takes sizes, dtype= and requires_grad= here")
        if name.endswith("_like"):
            if len(call.args) != 1:
                raise self._refuse(call, f"{what} takes one tensor")
            like = self._eval(call.args[0])
            if not isinstance(like, _Tensor) or like.shape is None:
                raise self._refuse(call.args[0], f"{what} needs a tensor of a known size")
            shape = like.shape
        else:
            sizes = call.args[0].elts if len(call.args) == 1 and isinstance(
                call.args[0], (ast.Tuple, ast.List)) else call.args
            shape = tuple(self._size(e, what) for e in sizes)
        elements = int(np.prod(shape, dtype=np.float64))
        if elements > MAX_VALUE_ELEMENTS:
            raise self._refuse(call, f"{what}: more than {count(MAX_VALUE_ELEMENTS, 'numbers')} "
                               "in one value")
        value = np.full(shape, FACTORIES[name]).tolist()
        t = self._new_leaf(value, call.args[0] if call.args else call,
                           self._eval(options["dtype"]) if "dtype" in options else None,
                           self._eval(options["requires_grad"]) if "requires_grad" in options
                           else False, call, integers=False)
        t.filled = FACTORIES[name]
        return t

    def _size(self, node: ast.expr, what: str) -> int:
        size = self._eval(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, float) or \
                not isinstance(size, float) or not size.is_integer() or size < 0:
            raise self._refuse(node, f"{what}: a size is a whole number, not "
                               f"{self._snippet(node)}")
        return int(size)

    def _data(self, node: ast.expr) -> Any:
        """torch.tensor's data: numbers, or (nested) lists of them."""
        if isinstance(node, (ast.List, ast.Tuple)):
            if len(node.elts) > MAX_VALUE_ELEMENTS:
                raise self._refuse(node, "torch.tensor: more than "
                                   f"{count(MAX_VALUE_ELEMENTS, 'numbers')} in one value")
            return [self._data(e) for e in node.elts]
        value = self._eval(node)
        if isinstance(value, _Tensor):
            raise self._refuse(node, "torch.tensor(a tensor) copies it: write x.detach() for "
                               "a tensor cut from the graph")
        if not isinstance(value, float):
            raise self._refuse(node, f"torch.tensor takes numbers, got {_shown(value)}")
        return value

    def _check_dtype(self, t: _Tensor, dtype: str, call: ast.Call) -> None:
        if self._dtype is None:
            self._dtype = (dtype, t)
        elif self._dtype[0] != dtype:
            first = self._dtype[1]
            raise self._refuse(call, f"a graph has one dtype: this tensor is {dtype}, the one "
                               f"made at {first.line}:{first.col} is {self._dtype[0]}")

    def _detach(self, t: _Tensor, call: ast.Call) -> _Tensor:
        if not t.hint and not t.flags["detach"]:
            # (x ** 2).detach(), torch.tensor(2.0).detach(): the op's (or leaf's) own output
            # is cut, as export writes a node with detach on
            t.flags["detach"] = True
            return t
        detached = self._make("identity", (t,), call, None, t.shape)
        detached.flags["detach"] = True
        return detached

    def _clone(self, t: _Tensor, call: ast.Call) -> _Tensor:
        """x.clone() as PyTorch has it: of a leaf that does not require grad, a new leaf
        (its flags its own); of one that does, a computed copy (an identity node, through
        which the gradient flows); of a computed tensor, the same node (in-place changes are
        refused, so nothing can tell a copy from it)."""
        if t.inputs:
            return t
        if t.flags["requires_grad"]:
            return self._make("identity", (t,), call, None, t.shape)
        copy = self._make("input", (), call, dict(t.params), t.shape)
        copy.filled = t.filled
        return copy

    def _set_requires_grad(self, t: _Tensor, on: bool, node: ast.AST) -> None:
        if t.inputs:
            raise self._refuse(node, "RuntimeError: you can only change requires_grad flags "
                               "of leaf variables (a tensor made with torch.tensor)")
        if t.flags["requires_grad"] == on:
            return
        kept = [a for a in self._actions if t not in _reachable([a.tensor])]
        if len(kept) < len(self._actions):
            self._note(node, "requires_grad changes here: the graph holds the new setting, so "
                       "the backward and zero_grad calls on this tensor before this line are "
                       "not replayed")
            self._actions[:] = kept
        t.flags["requires_grad"] = on

    def _backward(self, t: _Tensor, retain: bool, call: ast.Call) -> None:
        for earlier in self._actions:
            if earlier.kind == "backward" and earlier.tensor is t and not earlier.retain:
                self._note(call, "backward through the same graph a second time: PyTorch "
                           "raises 'Trying to backward through the graph a second time' "
                           "unless the first call says retain_graph=True. Imported as a "
                           "repeated Backward: gradients accumulate")
                break
        self._actions.append(_Action("backward", t, call.lineno, retain))
        self._grads.update(u for u in gradient_reach(t) if not u.inputs or u in self._retains)

    def _user_call(self, f: ast.FunctionDef, call: ast.Call) -> Any:
        spec = _helper_kind(f)
        if spec is not None:  # an exported script's loss function: the loss node again
            params = tuple(p.arg for p in f.args.args)
            args = self._arguments(call, f"{f.name}()", params, len(spec.inputs),
                                   spec.defaults())
            inputs = tuple(args[p] for p in params[:len(spec.inputs)])
            if not all(isinstance(t, _Tensor) for t in inputs):
                raise self._refuse(call, f"{f.name}() needs tensors as its inputs")
            return self._op(spec.name, inputs, call,
                            {p.name: args[p.name] for p in spec.params})
        if len(self._locals) >= MAX_CALL_DEPTH:
            raise self._refuse(call, "functions call each other too deeply (recursion is not "
                               "supported)")
        params = tuple(p.arg for p in f.args.args)
        n_defaults = len(f.args.defaults)
        defaults = {p: self._eval(d) for p, d in
                    zip(params[len(params) - n_defaults:], f.args.defaults, strict=True)}
        args = self._arguments(call, f"{f.name}()", params, len(params) - n_defaults, defaults)
        self._locals.append({})
        try:
            for name, value in args.items():
                self._bind(name, value)
            return self._block(f.body)
        finally:
            self._locals.pop()


_HELPERS: dict[str, NodeKind] = {}  # ast.dump of a catalog kind's helper -> the kind


def _helper_kind(f: ast.FunctionDef) -> NodeKind | None:
    """The kind whose catalog ``helper`` this function is, word for word (as export writes
    it), else None: the function is then read as any other."""
    if not _HELPERS:
        for spec in KINDS.values():
            if spec.helper:
                _HELPERS[ast.dump(ast.parse(spec.helper).body[0])] = spec
    return _HELPERS.get(ast.dump(f))


def _shape(kind_name: str, inputs: tuple[_Tensor, ...]) -> tuple[int, ...] | None:
    """The result's shape when the inputs' are known (None: unknown, or they do not
    broadcast; evaluating the graph then says why)."""
    if kind_name in ("mean", "sum", "mse"):
        return ()
    shapes = [t.shape for t in inputs]
    return None if None in shapes else broadcast(shapes)



def _integers_only(node: ast.expr) -> bool:
    """Whether torch.tensor's data is written as whole numbers only (an integer tensor)."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(_integers_only(e) for e in node.elts)
    if isinstance(node, ast.UnaryOp):
        return _integers_only(node.operand)
    return isinstance(node, ast.Constant) and type(node.value) is int



def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"the number {value:g}"
    return "nothing" if value is None else type(value).__name__.strip("_").lower()


def _cut(t: _Tensor) -> bool:
    """Made under no_grad or detached: it does not require grad, whatever it came from."""
    return t.flags["detach"] or t.flags["no_grad"]


def gradient_reach(root: _Tensor) -> set[_Tensor]:
    """The tensors a ``root.backward()`` run now gives a gradient to (root included), by
    PyTorch's rule as the flags stand at this line: a leaf requires grad by its flag, an
    operation when one of its inputs does, neither once detached or made under no_grad;
    the gradient flows only through tensors that require grad. Empty when root does not
    require grad (that backward raises)."""
    found: set[_Tensor] = set()
    stack = [] if _cut(root) else [root]
    while stack:  # what is upstream of root through tensors that are not cut
        t = stack.pop()
        if t not in found:
            found.add(t)
            stack.extend(i for i in t.inputs if not _cut(i))
    requires: set[_Tensor] = set()
    for t in sorted(found, key=lambda t: t.seq):  # inputs are made first
        if t.flags["requires_grad"] if not t.inputs else any(i in requires for i in t.inputs):
            requires.add(t)
    return requires if root in requires else set()


def _reachable(roots: Any) -> set[_Tensor]:
    seen: set[_Tensor] = set()
    stack = list(roots)
    while stack:
        t = stack.pop()
        if t not in seen:
            seen.add(t)
            stack.extend(t.inputs)
    return seen
