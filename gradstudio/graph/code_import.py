"""Import PyTorch code as a graph. The code is parsed with ``ast`` and read, never run: no
eval, exec or compile, no module of it imported. Each statement is interpreted symbolically,
a tensor being a node still to be made; what is not in the supported subset
(``code_subset``, docs/code.md) is refused with ``line:col`` and what was not understood,
and nothing is created.

Like a notebook kernel, a ``CodeImporter`` keeps its variables from one ``feed`` to the
next; ``result()`` builds the graph of the tensors the variables still hold (and what they
were computed from), named after the variables and laid out as Arrange does, with the
``backward()`` and ``.grad.zero_()`` calls to replay on a session (``replay``).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .catalog import KINDS, GraphError
from .code_calls import (
    _DOCS,
    CallReader,
    _Action,
    _DType,
    _Function,
    _Method,
    _Module,
    _reachable,
    _Tensor,
    _UserFunction,
    gradient_reach,
)
from .code_subset import (
    BINARY,
    DISPLAY_ATTRIBUTES,
    DISPLAY_FUNCTIONS,
    DISPLAY_METHODS,
    DTYPES,
    FACTORIES,
    FUNCTIONAL,
    INSTEAD,
    LEAF_KINDS,
    METHOD_EXTRA,
    OPERATORS,
    PARAMETER_NAME,
    RANDOM,
    TORCH_EXTRA,
    UNARY,
)
from .code_updates import (
    OPTIMIZER_METHODS,
    in_place_refusal,
    is_in_place_method,
    is_training_loop,
    learning_rate,
    loop_refusal,
    new_tensor_instead,
    optimizer_refusal,
    update_refusal,
    uses_grad,
)
from .evaluate import gc_paused
from .layout import place_missing
from .limits import MAX_CODE_BYTES, MAX_CODE_NESTING, count
from .model import MAX_LABEL, GraphModel

__all__ = ["CodeImportError", "CodeImporter", "ImportedGraph", "Backward", "ZeroGrad",
           "import_code", "replay", "zero_grad_of", "code_text", "read_code", "MAX_CODE_BYTES",
           "MAX_CODE_NESTING"]


class CodeImportError(GraphError):
    """Code that cannot be imported: where (1-based line and column) and what."""

    def __init__(self, line: int, col: int, what: str) -> None:
        super().__init__(f"{line}:{col}: {what}")
        self.line, self.col, self.what = line, col, what


@dataclass(frozen=True)
class Backward:
    """``target.backward()`` in the code (target: a node id of the imported model)."""

    target: str
    line: int


@dataclass(frozen=True)
class ZeroGrad:
    """``x.grad.zero_()`` in the code (target: the leaf's node id); ``x.grad = None`` when
    ``clear``."""

    target: str
    line: int
    clear: bool = False


@dataclass
class ImportedGraph:
    """The graph, the calls to replay on it, and what the reader noted on the way."""

    model: GraphModel
    actions: list[Backward | ZeroGrad] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # variable -> node id
    made: int = 0  # tensors the code made, kept or not

    def backward_count(self) -> int:
        return sum(isinstance(a, Backward) for a in self.actions)

    def no_graph(self) -> str:
        """Why there is no graph to open ('' when there is one): the window and
        ``gradstudio import`` refuse an empty import with these words."""
        if len(self.model):
            return ""
        if self.made:
            return ("no variable holds a tensor at the end of the code, so there is no graph "
                    "(a function such as main() keeps its tensors unless it returns them: "
                    "return the loss and write loss = main(), or paste the body at the top "
                    "level)")
        return ("the code makes no tensor, so there is no graph. A graph starts at a tensor, "
                "e.g. x = torch.tensor(3.0, requires_grad=True).")


def import_code(source: str | bytes) -> ImportedGraph:
    """The graph a script builds; CodeImportError (with line:col) if it cannot be read."""
    importer = CodeImporter()
    with gc_paused():  # tens of thousands of syntax-tree nodes and tensors, none in a cycle
        importer.feed(source)
        return importer.result()


def read_code(path: str | os.PathLike) -> bytes:
    """A script's bytes; past MAX_CODE_BYTES only enough to know it is too long (OSError if
    it cannot be read)."""
    with open(path, "rb") as f:
        return f.read(MAX_CODE_BYTES + 1)


def zero_grad_of(session: Any, node_id: str, clear: bool = False) -> None:
    """``x.grad.zero_()`` on a Session: that leaf's gradient only, as in PyTorch; the
    ledger's zero grad when no other leaf still holds one. ``x.grad = None`` if ``clear``.
    Of a computed node (the code called ``retain_grad()``), the last backward's gradient."""
    model = session.model
    if not model.node(node_id).spec.is_leaf:  # y.retain_grad(): the last backward's own
        grad = session.grad(node_id)
        if grad is not None:
            grad.zero_()
        session.ledger.note(f"{model.label(node_id)}.grad.zero_()")
        return
    if clear:
        session.leaf(node_id).grad = None
        session.ledger.note(f"{model.label(node_id)}.grad = None")
        return
    others = [n for n in model.node_ids() if n != node_id and model.node(n).spec.is_leaf]
    if not any(_holds_gradient(session.leaf(n)) for n in others):
        session.zero_grad()
        return
    grad = session.leaf(node_id).grad
    if grad is not None:
        grad.zero_()
    session.ledger.note(f"{model.label(node_id)}.grad.zero_()")


def _holds_gradient(t: Any) -> bool:
    return t.grad is not None and bool(np.any(t.grad.numpy() != 0))


def replay(session: Any, actions: list[Backward | ZeroGrad]) -> list[Any]:
    """Run the code's backward and zero-grad calls on a Session, in order; returns a
    BackwardResult per backward. A backward that fails changes nothing, and the next ones
    still run, as the notebook's next cells do."""
    results = []
    for action in actions:
        if isinstance(action, ZeroGrad):
            zero_grad_of(session, action.target, action.clear)
        else:
            results.append(session.backward(action.target))
    return results


_TORCH = _Module("torch")
_FUNCTIONAL = "torch.nn.functional"
_STATEMENTS = {ast.For: "for loops", ast.AsyncFor: "for loops", ast.While: "while loops",
               ast.If: "if statements", ast.Try: "try blocks", ast.ClassDef: "classes",
               ast.Raise: "raise statements", ast.Assert: "assert statements",
               ast.Global: "global statements", ast.Nonlocal: "nonlocal statements",
               ast.AsyncFunctionDef: "async functions", ast.AsyncWith: "async with blocks",
               ast.Match: "match statements"}
_EXPRESSIONS = {ast.Lambda: "lambdas", ast.ListComp: "comprehensions",
                ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
                ast.GeneratorExp: "generator expressions", ast.IfExp: "conditional "
                "expressions", ast.Compare: "comparisons", ast.BoolOp: "and/or operators",
                ast.NamedExpr: "assignment expressions", ast.Subscript: "subscripts (indexing)",
                ast.Starred: "starred arguments", ast.Await: "await expressions",
                ast.Yield: "yield expressions",
                ast.YieldFrom: "yield expressions", ast.Dict: "dicts", ast.Set: "sets"}


def _unsupported(node: ast.AST) -> str:
    """Why a statement or expression outside the subset is refused ('' when it is not)."""
    if type(node) in _STATEMENTS:
        return (f"{_STATEMENTS[type(node)]} are not supported: the importer reads "
                f"straight-line code ({_DOCS})")
    if type(node) in _EXPRESSIONS:
        return f"{_EXPRESSIONS[type(node)]} are not supported ({_DOCS})"
    return ""


class CodeImporter(CallReader):
    """Reads code cell by cell, keeping the variables between cells, like a kernel."""

    def __init__(self) -> None:
        self._globals: dict[str, Any] = {"torch": _TORCH}  # a notebook imported it already
        self._bound_at: dict[str, int] = {}
        self._locals: list[dict[str, Any]] = []
        self._tensors: list[_Tensor] = []
        self._actions: list[_Action] = []
        self._notes: list[str] = []
        self._constants: dict[float, _Tensor] = {}
        self._dtype: tuple[str, _Tensor] | None = None
        self._no_grad = False
        self._counter = 0
        self._lines: list[str] = []
        self._comments: dict[int, str] = {}  # creation line -> leaf kind named by a comment
        self._retains: set[_Tensor] = set()
        self._grads: set[_Tensor] = set()

    # --- reading ----------------------------------------------------------------------------
    def feed(self, source: str | bytes) -> None:
        """Read one cell or script. On a CodeImportError the importer should be dropped."""
        text = code_text(source)
        try:
            tree = ast.parse(text)
        except SyntaxError as e:
            raise CodeImportError(e.lineno or 1, e.offset or 1,
                                  f"not valid Python: {e.msg}{_not_python(text, e)}") from None
        except (RecursionError, MemoryError):
            raise CodeImportError(1, 1, "nested too deeply to read") from None
        except ValueError as e:  # a NUL byte
            raise CodeImportError(1, 1, f"not valid Python: {e}") from None
        self._lines = text.splitlines()
        _check_nesting(tree, self._where)
        self._block(tree.body)

    def _where(self, node: ast.AST) -> tuple[int, int]:
        """1-based line and column in characters (ast counts UTF-8 bytes)."""
        line = getattr(node, "lineno", 1)
        offset = getattr(node, "col_offset", 0)
        if 0 < line <= len(self._lines) and not self._lines[line - 1].isascii():
            offset = len(self._lines[line - 1].encode()[:offset].decode(errors="ignore"))
        return line, offset + 1

    def _refuse(self, node: ast.AST, what: str) -> CodeImportError:
        return CodeImportError(*self._where(node), what)

    def _snippet(self, node: ast.AST) -> str:
        line, col = self._where(node)
        text = self._lines[line - 1][col - 1:] if 0 < line <= len(self._lines) else ""
        end = getattr(node, "end_col_offset", None)
        if getattr(node, "end_lineno", line) == line and end is not None:
            text = text[:max(1, self._where(_At(line, end))[1] - col)]
        return text if len(text) <= 40 else text[:37] + "..."

    def _note(self, node: ast.AST, text: str) -> None:
        line, col = self._where(node)
        self._notes.append(f"{line}:{col}: {text}")

    # --- statements -----------------------------------------------------------------------
    def _block(self, body: list[ast.stmt]) -> Any:
        """Run statements; a ``return`` (in a function) ends the block with its value."""
        for stmt in body:
            if isinstance(stmt, ast.Return):
                if not self._locals:
                    raise self._refuse(stmt, "return outside a function")
                return None if stmt.value is None else self._eval(stmt.value)
            self._statement(stmt)
        return None

    def _statement(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self._import(stmt)
        elif isinstance(stmt, ast.Assign):
            self._assign(stmt)
        elif isinstance(stmt, ast.AugAssign):
            self._aug_assign(stmt)
        elif isinstance(stmt, ast.Expr):
            self._expression_statement(stmt.value)
        elif isinstance(stmt, ast.With):
            self._with(stmt)
        elif isinstance(stmt, ast.FunctionDef):
            self._define(stmt)
        elif isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                if not isinstance(target, ast.Name) or target.id not in self._scope():
                    raise self._refuse(target, f"del {self._snippet(target)} is not understood")
                del self._scope()[target.id]
        elif isinstance(stmt, ast.AnnAssign):
            self._annotated_assign(stmt)
        elif isinstance(stmt, ast.Pass):
            pass
        elif _is_main_guard(stmt):  # a script's body, run when the script is
            self._block(stmt.body)
        elif is_training_loop(stmt):
            raise self._refuse(stmt, loop_refusal(stmt))
        elif why := _unsupported(stmt):
            raise self._refuse(stmt, why)
        else:
            raise self._refuse(stmt, f"'{self._snippet(stmt)}' is not understood ({_DOCS})")

    def _import(self, stmt: ast.Import | ast.ImportFrom) -> None:
        names = [stmt.module or ""] if isinstance(stmt, ast.ImportFrom) else []
        names += [a.name if isinstance(stmt, ast.Import) else f"{stmt.module}.{a.name}"
                  for a in stmt.names]
        if any(n == "torch.optim" or n.startswith("torch.optim.") for n in names):
            raise self._refuse(stmt, optimizer_refusal(self._snippet(stmt)))
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name not in ("torch", "torch.nn", _FUNCTIONAL):
                    raise self._refuse(stmt, f"import {alias.name}: only torch can be imported "
                                       "(the code is read, never run)")
                if alias.asname:
                    self._bind(alias.asname, _Module(alias.name))
                else:
                    self._bind("torch", _TORCH)
            return
        for alias in stmt.names:
            value = None
            if stmt.level == 0 and stmt.module in ("torch", "torch.nn", _FUNCTIONAL) \
                    and alias.name != "*":
                value = self._attribute_of(_Module(stmt.module), alias.name, stmt)
            if value is None:
                raise self._refuse(stmt, f"from {stmt.module or '.'} import {alias.name}: only "
                                   "torch, torch.nn.functional and their supported functions "
                                   "can be imported")
            self._bind(alias.asname or alias.name, value)

    def _assign(self, stmt: ast.Assign) -> None:
        for target in stmt.targets:
            if isinstance(target, ast.Attribute) and target.attr in ("data", "grad"):
                self._assign_tensor_part(target, stmt)
                return
        try:
            value = self._eval(stmt.value)
        except CodeImportError:  # w = w - lr * w.grad: say it is an update (only now, so
            for target in stmt.targets:  # that reading good code costs nothing more)
                if isinstance(target, ast.Name) and uses_grad(stmt.value) and any(
                        isinstance(n, ast.Name) and n.id == target.id
                        for n in ast.walk(stmt.value)):
                    raise self._refuse(stmt, self._update(stmt, target.id,
                                                          stmt.value)) from None
            raise
        for target in stmt.targets:
            self._assign_to(target, value, stmt.value)

    def _annotated_assign(self, stmt: ast.AnnAssign) -> None:
        """``x: torch.Tensor = ...``: the type hint is only looked at, then the assignment."""
        if not _plain_annotation(stmt.annotation):
            raise self._refuse(stmt.annotation, "a type hint is only understood as a type's "
                               "name ('torch.Tensor', 'float', 'list[float]')")
        if not isinstance(stmt.target, ast.Name) or not stmt.simple:
            raise self._refuse(stmt.target, "a type hint is only understood on a variable")
        if stmt.value is not None:
            self._bind(stmt.target.id, self._eval(stmt.value))

    def _assign_tensor_part(self, target: ast.Attribute, stmt: ast.Assign) -> None:
        """``x.grad = None`` (replayed); ``w.data = ...`` and any other ``x.grad = ...`` are
        refused in the words they need."""
        if len(stmt.targets) > 1:
            raise self._refuse(target, f"assigning to {self._snippet(target)} is only "
                               "understood on its own ('x.grad = None')")
        tensor = self._eval(target.value)
        if not isinstance(tensor, _Tensor):
            raise self._refuse(target.value, f"{self._snippet(target.value)} is not a tensor")
        name = self._snippet(target.value)
        if target.attr == "data":
            raise self._refuse(stmt, self._update(stmt, name, stmt.value))
        if not (isinstance(stmt.value, ast.Constant) and stmt.value.value is None):
            raise self._refuse(stmt, f"'{self._snippet(stmt)}': a gradient comes from "
                               f"backward(); only {name}.grad = None or {name}.grad.zero_() "
                               "is understood (both replayed)")
        if tensor.inputs:
            raise self._refuse(stmt, f"{name}.grad = None: {name} is computed, not a leaf; "
                               "only a leaf's gradient is kept")
        self._actions.append(_Action("clear_grad", tensor, stmt.lineno))
        self._grads.discard(tensor)

    def _update(self, stmt: ast.AST, tensor: str, value: ast.expr | None,
                adds: bool = False) -> str:
        """The refusal of an in-place change of ``tensor``: a training update when it reads a
        gradient (with the code's lr, if it is a number), else any in-place change."""
        if value is None or not uses_grad(value):
            return in_place_refusal(self._snippet(stmt), tensor,
                                    new_tensor_instead(stmt, tensor))
        return update_refusal(self._snippet(stmt), tensor,
                              learning_rate(value, self._number_or_none, adds))

    def _number_or_none(self, expr: ast.expr) -> float | None:
        try:
            value = self._eval(expr)
        except CodeImportError:
            return None
        return value if isinstance(value, float) else None

    def _assign_to(self, target: ast.expr, value: Any, source: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self._bind(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(source, (ast.Tuple, ast.List)) or \
                    len(source.elts) != len(target.elts):
                raise self._refuse(target, "unpacking works only from a tuple of the same "
                                   "length, as in 'w, b = torch.tensor(1.0), torch.tensor(0.0)'")
            for t, v, s in zip(target.elts, value, source.elts, strict=True):
                self._assign_to(t, v, s)
        elif isinstance(target, ast.Attribute) and target.attr == "requires_grad":
            tensor = self._eval(target.value)
            if not isinstance(tensor, _Tensor) or not isinstance(value, bool):
                raise self._refuse(target, "requires_grad can be set to True or False on a "
                                   "tensor")
            self._set_requires_grad(tensor, value, target)
        else:
            raise self._refuse(target, f"assigning to {self._snippet(target)} is not "
                               "supported: assign to a variable name")

    def _aug_assign(self, stmt: ast.AugAssign) -> None:
        target = stmt.target
        if isinstance(target, ast.Attribute):  # w.data -= lr * w.grad
            if isinstance(self._eval(target.value), _Tensor):
                raise self._refuse(stmt, self._update(stmt, self._snippet(target.value),
                                                      stmt.value, isinstance(stmt.op, ast.Add)))
        if not isinstance(target, ast.Name):
            raise self._refuse(stmt, f"'{self._snippet(stmt)}' is not understood ({_DOCS})")
        current = self._lookup(target.id, target)
        if isinstance(current, _Tensor):  # w -= lr * w.grad, y += 1
            raise self._refuse(stmt, self._update(stmt, target.id, stmt.value,
                                                  isinstance(stmt.op, ast.Add)))
        # a number variable: total += x is total = total + x, a new tensor (not in place)
        self._bind(target.id, self._binary(stmt.op, current, self._eval(stmt.value), stmt))

    def _with(self, stmt: ast.With) -> None:
        modes = []
        for item in stmt.items:
            call = item.context_expr
            function = self._eval(call.func) if isinstance(call, ast.Call) else None
            if item.optional_vars is not None or not isinstance(function, _Function) or \
                    function.name not in ("no_grad", "enable_grad") or call.args or \
                    call.keywords:
                raise self._refuse(item.context_expr, "only 'with torch.no_grad():' (or "
                                   "torch.enable_grad()) blocks are supported")
            modes.append(function.name == "no_grad")
        for inner in stmt.body:
            if isinstance(inner, ast.Return):
                raise self._refuse(inner, "return inside a with block is not supported")
        outer = self._no_grad
        self._no_grad = modes[-1]
        try:
            self._block(stmt.body)
        finally:
            self._no_grad = outer

    def _define(self, stmt: ast.FunctionDef) -> None:
        """A function is kept to be read at each call (its ops inlined); it may only do what
        the rest of the code may, plus return at the end."""
        a = stmt.args
        hints = [p.annotation for p in a.args if p.annotation is not None]
        if stmt.decorator_list or a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or \
                not all(_plain_annotation(h) for h in hints + [stmt.returns]):
            raise self._refuse(stmt, f"def {stmt.name}: only plain functions with positional "
                               "parameters are supported (no decorators, *args, **kwargs, "
                               "keyword-only parameters; type hints as type names)")
        for default in a.defaults:
            if not isinstance(self._eval(default), float):
                raise self._refuse(default, "a parameter's default must be a number")
        for i, inner in enumerate(stmt.body):
            if isinstance(inner, (ast.FunctionDef, ast.Import, ast.ImportFrom)):
                raise self._refuse(inner, "functions may not define functions or import")
            if isinstance(inner, ast.Return) and i != len(stmt.body) - 1:
                raise self._refuse(inner, "return must be the function's last statement")
        # refused constructs are refused where they are written, even in a function that
        # is never called (a call would refuse them too, later and elsewhere)
        for inner in (n for body in stmt.body for n in ast.walk(body)):
            if why := _unsupported(inner):
                raise self._refuse(inner, why)
        self._bind(stmt.name, _UserFunction(stmt))

    def _expression_statement(self, expr: ast.expr) -> None:
        """print(...), .backward(), .grad.zero_() and bare expressions: nothing is kept but
        the calls' effects, yet all of it must be understood."""
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and \
                expr.func.id in ("print", "display") and not self._known(expr.func.id):
            for arg in expr.args:
                self._display(arg)
            for kw in expr.keywords:
                if kw.arg not in ("sep", "end", "flush") or \
                        not isinstance(kw.value, ast.Constant):
                    raise self._refuse(kw.value, "print(...) may only take sep, end or flush")
            return
        zeroed = self._zero_grad_of(expr)
        if zeroed is not None:
            if zeroed not in self._grads:
                attr = expr.func.value.attr  # x.grad.zero_() or x.grad.data.zero_()
                attr = "data" if attr == "data" else "zero_"
                raise self._refuse(expr, "AttributeError: 'NoneType' object has no attribute "
                                   f"'{attr}' ({self._why_no_grad(zeroed)})")
            self._actions.append(_Action("zero_grad", zeroed, expr.lineno))
            return
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            self._refuse_training_call(expr, expr.func)
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return  # a docstring
        made = len(self._actions)
        self._display(expr)
        if len(self._actions) > made and not self._locals:
            self._refuse_lost_backward(expr, self._actions[made:])

    def _refuse_lost_backward(self, call: ast.expr, actions: list[_Action]) -> None:
        """``main()`` that builds a graph and runs backward inside: no variable holds that
        graph afterwards (as in Python), so it would import as nothing; say so instead."""
        held = _reachable(v for v in self._globals.values() if isinstance(v, _Tensor))
        if any(a.kind == "backward" and not _reachable([a.tensor]) & held for a in actions):
            what = self._snippet(call)
            raise self._refuse(call, f"{what} builds its graph and runs backward inside the "
                               "function, and no variable holds that graph afterwards: paste "
                               "the function's body at the top level, or end it with "
                               f"'return loss' and write 'loss = {what}'")

    def _why_no_grad(self, t: _Tensor) -> str:
        """Why ``t.grad`` is None at this line, as PyTorch has it: it requires no grad, it is
        computed and kept no gradient, or no backward() since it was made (or its grad
        cleared) reached it."""
        name = t.hint or "x"
        if t not in gradient_reach(t):
            how = " (it is detached)" if t.flags["detach"] else \
                " (it was computed in torch.no_grad())" if t.flags["no_grad"] else ""
            return f"{name} does not require grad{how}, so no backward() gives it a gradient"
        if t.inputs and t not in self._retains:
            return (f"{name} is computed, not a leaf: PyTorch keeps only a leaf's gradient, "
                    f"unless {name}.retain_grad() is called before backward()")
        return (f"{name}.grad is None here: no backward() has reached {name} since it was "
                f"made or its grad cleared; a backward reaches {name} only through tensors "
                "that require grad, not through .detach() or a torch.no_grad() block")

    def _refuse_training_call(self, call: ast.Call, func: ast.Attribute) -> None:
        """``optimizer.step()``, ``w.sub_(lr * w.grad)``, ``w.data.add_(...)``: refused in
        the words of a training update."""
        owner = func.value
        if func.attr in OPTIMIZER_METHODS and isinstance(owner, ast.Name) and \
                not self._known(owner.id):
            raise self._refuse(call, optimizer_refusal(self._snippet(call)))
        if is_in_place_method(func.attr):
            if isinstance(owner, ast.Attribute) and owner.attr == "data":
                owner = owner.value
            if isinstance(self._eval(owner), _Tensor):
                raise self._refuse(call, self._update(call, self._snippet(owner), call,
                                                      func.attr == "add_"))

    def _zero_grad_of(self, expr: ast.expr) -> _Tensor | None:
        """The tensor of ``x.grad.zero_()`` (or ``x.grad.data.zero_()``), else None."""
        if not (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and
                expr.func.attr == "zero_" and not expr.args and not expr.keywords):
            return None
        inner = expr.func.value
        if isinstance(inner, ast.Attribute) and inner.attr == "data":
            inner = inner.value
        if not (isinstance(inner, ast.Attribute) and inner.attr == "grad"):
            return None
        tensor = self._eval(inner.value)
        if not isinstance(tensor, _Tensor):
            raise self._refuse(inner.value, f"{self._snippet(inner.value)} is not a tensor")
        return tensor

    def _display(self, expr: ast.expr) -> None:
        """What is shown and not kept: x, x.grad, x.item(), f-strings of them, or any
        expression the graph understands (its nodes are dropped unless a variable holds
        them)."""
        if isinstance(expr, ast.JoinedStr):
            for part in expr.values:
                if isinstance(part, ast.FormattedValue):
                    self._display(part.value)
                    if part.format_spec is not None:
                        self._display(part.format_spec)
            return
        if isinstance(expr, ast.Constant) and isinstance(expr.value, (str, int, float)):
            return
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and \
                expr.func.attr in DISPLAY_METHODS and not expr.keywords and all(
                    isinstance(a, ast.Constant) and type(a.value) is int for a in expr.args):
            self._display(expr.func.value)
            return
        if isinstance(expr, ast.Attribute) and expr.attr in DISPLAY_ATTRIBUTES:
            self._display(expr.value)
            return
        parts = self._shown_parts(expr)
        if parts is not None:
            for part in parts:
                self._display(part)
            return
        value = self._eval(expr)
        if isinstance(value, (_Module, _Function, _Method, _UserFunction, _DType)):
            return

    def _shown_parts(self, expr: ast.expr) -> list[ast.expr] | None:
        """The parts of a shown expression that only formats them — str(x), round(v, 2),
        'x = {}'.format(x), 'x = %s' % x, 'x = ' + str(x), x.grad is None, (a, b) —
        each still to be understood; None for any other expression."""
        if isinstance(expr, ast.Call) and all(kw.arg is not None for kw in expr.keywords):
            f = expr.func
            if isinstance(f, ast.Name) and f.id in DISPLAY_FUNCTIONS and not self._known(f.id) \
                    or isinstance(f, ast.Attribute) and f.attr == "format" and _is_text(f.value):
                return [*expr.args, *(kw.value for kw in expr.keywords)]
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Mod)) and \
                (_is_text(expr.left) or _is_text(expr.right)):
            return [expr.left, expr.right]
        if isinstance(expr, ast.Compare):
            return [expr.left, *expr.comparators]
        if isinstance(expr, ast.Tuple):
            return list(expr.elts)
        return None

    # --- names ----------------------------------------------------------------------------
    def _scope(self) -> dict[str, Any]:
        return self._locals[-1] if self._locals else self._globals

    def _bind(self, name: str, value: Any) -> None:
        if isinstance(value, _Tensor) and not value.hint:
            value.hint = name
        self._scope()[name] = value
        if not self._locals:
            self._counter += 1
            self._bound_at[name] = self._counter

    def _known(self, name: str) -> bool:
        return any(name in scope for scope in self._locals[-1:] + [self._globals])

    def _lookup(self, name: str, node: ast.AST) -> Any:
        for scope in (self._locals[-1:] + [self._globals]):
            if name in scope:
                return scope[name]
        if name in ("eval", "exec", "open", "compile", "__import__", "getattr", "input",
                    "globals", "locals", "vars", "breakpoint"):
            raise self._refuse(node, f"{name}(...) is not supported: the code is read, never "
                               "run")
        raise self._refuse(node, f"'{name}' is not defined here: only torch, numbers and the "
                           "variables assigned above are known")

    # --- expressions ----------------------------------------------------------------------
    def _eval(self, expr: ast.expr) -> Any:
        if isinstance(expr, ast.Constant):
            v = expr.value
            if isinstance(v, bool) or v is None or isinstance(v, str):
                return v
            if isinstance(v, (int, float)):
                return self._number(v, expr)
            raise self._refuse(expr, f"the constant {self._snippet(expr)} is not supported")
        if isinstance(expr, ast.Name):
            return self._lookup(expr.id, expr)
        if isinstance(expr, ast.UnaryOp):
            return self._unary(expr)
        if isinstance(expr, ast.BinOp):
            return self._binary(expr.op, self._eval(expr.left), self._eval(expr.right), expr)
        if isinstance(expr, ast.Attribute):
            value = self._eval(expr.value)
            found = self._attribute_of(value, expr.attr, expr)
            if found is None:
                raise self._refuse(expr, f"{self._snippet(expr)} is not supported ({_DOCS})")
            return found
        if isinstance(expr, ast.Call):
            return self._call(expr)
        if isinstance(expr, ast.Tuple):
            return tuple(self._eval(e) for e in expr.elts)
        if isinstance(expr, ast.List):
            raise self._refuse(expr, "a list is only understood as the data of torch.tensor")
        if why := _unsupported(expr):
            raise self._refuse(expr, why)
        raise self._refuse(expr, f"'{self._snippet(expr)}' is not understood ({_DOCS})")

    def _number(self, v: int | float, node: ast.AST) -> float:
        try:
            number = float(v)
        except OverflowError:
            number = float("inf")
        if number in (float("inf"), float("-inf")) or number != number:
            raise self._refuse(node, f"the number {self._snippet(node)} is too large")
        return number

    def _attribute_of(self, value: Any, name: str, node: ast.AST) -> Any:
        if isinstance(value, _Module):
            if value.path == "torch":
                if name == "nn":
                    return _Module("torch.nn")
                if name in UNARY or name in BINARY or name in TORCH_EXTRA or name in FACTORIES:
                    return _Function("torch", name)
                if name in DTYPES:
                    return _DType(DTYPES[name])
                if name == "optim":
                    raise self._refuse(node, optimizer_refusal(self._snippet(node)))
                if name in RANDOM:
                    raise self._refuse(node, f"torch.{name} gives random numbers, which only "
                                       "running the code knows (the code is read, never run; "
                                       "torch.manual_seed does not change that): write the "
                                       "numbers, as in torch.tensor([0.5, -1.2])")
                if name in INSTEAD:
                    raise self._refuse(node, f"{self._snippet(node)} is not supported: "
                                       f"{INSTEAD[name]} ({_DOCS})")
            elif value.path == "torch.nn" and name == "functional":
                return _Module(_FUNCTIONAL)
            elif value.path == "torch.nn" and name[:1].isupper():  # nn.Linear, nn.MSELoss
                raise self._refuse(node, f"{self._snippet(node)}: torch.nn's modules are not "
                                   "imported; write a layer's weights as tensors "
                                   "(w = torch.tensor(0.5, requires_grad=True)) and the layer "
                                   "as w * x + b, a loss as F.mse_loss(...)")
            elif value.path == _FUNCTIONAL and name in FUNCTIONAL:
                return _Function("F", name)
            return None
        if isinstance(value, _Tensor):
            if name in UNARY or name in BINARY or name in METHOD_EXTRA:
                return _Method(value, name)
            if name in DISPLAY_ATTRIBUTES or name in DISPLAY_METHODS:
                call = "()" if name in DISPLAY_METHODS else ""
                raise self._refuse(node, f".{name}{call} is what running the code gives, not "
                                   f"part of the graph: it can only be printed, as in "
                                   f"print({self._snippet(node)}{call})")
            if is_in_place_method(name):
                tensor = self._snippet(node.value) if isinstance(node, ast.Attribute) else "it"
                raise self._refuse(node, in_place_refusal(f"{self._snippet(node)}(...)",
                                                          tensor, ""))
            return None
        return None

    def _unary(self, expr: ast.UnaryOp) -> Any:
        value = self._eval(expr.operand)
        if isinstance(expr.op, ast.UAdd) and isinstance(value, (float, _Tensor)):
            return value
        if isinstance(expr.op, ast.USub):
            if isinstance(value, float):
                return -value
            if isinstance(value, _Tensor):
                return self._op("neg", (value,), expr)
        raise self._refuse(expr, f"'{self._snippet(expr)}' is not understood ({_DOCS})")

    def _binary(self, op: ast.operator, a: Any, b: Any, node: ast.AST) -> Any:
        numbers = isinstance(a, float) and isinstance(b, float)
        if isinstance(op, ast.Pow):
            if numbers:
                return self._fold(lambda: a ** b, node)
            if isinstance(a, _Tensor) and isinstance(b, float):
                if b == 2:
                    return self._op("square", (a,), node)
                return self._op("pow", (a,), node, {"exponent": b})
            raise self._refuse(node, "in x ** n the exponent must be a number and x a tensor "
                               "(the pow node has a fixed exponent)")
        if type(op) not in OPERATORS:
            raise self._refuse(node, f"the operator in '{self._snippet(node)}' is not "
                               "supported (+ - * / ** are)")
        if numbers:
            return self._fold(lambda: _ARITHMETIC[type(op)](a, b), node)
        return self._op(OPERATORS[type(op)], (self._tensor(a, node), self._tensor(b, node)),
                        node)

    def _fold(self, compute: Any, node: ast.AST) -> float:
        """Arithmetic on plain numbers, as Python does it (in floats, so it stays cheap)."""
        try:
            result = compute()
        except ZeroDivisionError:
            raise self._refuse(node, "division by zero") from None
        except OverflowError:
            raise self._refuse(node, "the number is too large") from None
        if isinstance(result, complex):
            raise self._refuse(node, "the result is a complex number")
        return self._number(result, node)

    # --- the graph ------------------------------------------------------------------------
    def result(self) -> ImportedGraph:
        """The graph of what the variables hold now, and the calls to replay on it."""
        names = {n: v for n, v in self._globals.items() if isinstance(v, _Tensor)}
        alive = _reachable(names.values())
        actions = self._kept_actions(alive)
        for a in actions:  # a backward still matters while it reaches a live leaf
            if a.tensor not in alive:  # (what a live tensor reaches is alive already)
                alive |= _reachable([a.tensor])
        order = [t for t in self._tensors if t in alive]  # made in order: sorted by seq
        labels = self._labels(order, names)
        ids = {t: f"n{i}" for i, t in enumerate(order, 1)}
        dtype = self._dtype[0] if self._dtype else "float32"
        data: dict[str, Any] = {
            "nodes": [{"id": ids[t], "kind": self._kind(t, labels[t]), "label": labels[t],
                       "params": t.params, "flags": t.flags} for t in order],
            "edges": [{"src": ids[s], "dst": ids[t], "port": port} for t in order
                      for port, s in zip(KINDS[t.kind].inputs, t.inputs, strict=True)],
            "settings": {"dtype": dtype},
        }
        targets = [a.tensor for a in actions if a.kind == "backward"]
        if targets:
            data["loss"] = ids[targets[-1]]
        data["description"] = _description(labels, targets)
        model = GraphModel.from_dict(place_missing(data))
        kept = [Backward(ids[a.tensor], a.line) if a.kind == "backward" else
                ZeroGrad(ids[a.tensor], a.line, a.kind == "clear_grad") for a in actions]
        return ImportedGraph(model, kept, list(self._notes),
                             {n: ids[t] for n, t in names.items()}, len(self._tensors))

    def _kept_actions(self, alive: set[_Tensor]) -> list[_Action]:
        """Backward and zero-grad calls whose effect the live graph still shows: on a live
        tensor, or on one recomputed since (``y = x**2`` run again: the same node)."""
        if all(a.tensor in alive for a in self._actions):
            return list(self._actions)
        canon = _canonical(self._tensors)
        same = {canon[t]: t for t in alive}
        kept = []
        for a in self._actions:
            if a.tensor in alive:
                kept.append(a)
                continue
            twin = same.get(canon[a.tensor])
            if twin is not None:
                kept.append(_Action(a.kind, twin, a.line, a.retain))
            elif a.kind == "backward" and any(leaf in alive for leaf in _leaves(a.tensor)):
                kept.append(a)
        return kept

    def _labels(self, order: list[_Tensor], names: dict[str, _Tensor]) -> dict[_Tensor, str]:
        """Variables name their tensors (the earliest-bound one, if several); the rest keep
        the variable that first held them, or get a name from their op: x_sq, sin_1."""
        labels: dict[_Tensor, str] = {}
        taken: set[str] = set()
        for name in sorted(names, key=self._bound_at.__getitem__):
            if names[name] not in labels:
                labels[names[name]] = _free(name, taken)
        taken = set(labels.values())
        counters: dict[str, int] = {}
        for t in order:
            if t in labels:
                continue
            base = t.hint
            if not base:
                x = labels.get(t.inputs[0]) if t.inputs else None
                base = f"{x}_sq" if t.kind == "square" and x else ""
            if not base:
                base = "c" if t.kind == "constant" else t.kind
                counters[base] = counters.get(base, 0) + 1
                label = f"{base}_{counters[base]}"
                while label in taken:
                    counters[base] += 1
                    label = f"{base}_{counters[base]}"
            else:
                label = _free(base, taken)
            labels[t] = label
            taken.add(label)
        return labels

    def _kind(self, t: _Tensor, label: str) -> str:
        """A leaf's kind: the comment on its line, else Weight for a parameter's name."""
        if t.kind != "input":
            return t.kind
        comment = self._comment_kind(t.line)
        if comment:
            return comment
        return "weight" if re.match(PARAMETER_NAME, label) else "input"

    def _comment_kind(self, line: int) -> str | None:
        if line not in self._comments and 0 < line <= len(self._lines):
            code, _, comment = self._lines[line - 1].partition("#")
            words = comment.strip().lower().split()
            found = words[0] if words and "'" not in code and '"' not in code else None
            self._comments[line] = found if found in LEAF_KINDS else None
        return self._comments.get(line)


_ARITHMETIC = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
               ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}


@dataclass(frozen=True)
class _At:
    lineno: int
    col_offset: int


def _not_python(text: str, error: SyntaxError) -> str:
    """A hint for what a notebook cell holds that a script does not — a line for IPython
    (%matplotlib inline, !pip install torch) — or for code whose line breaks were lost on
    the way (a cell copied as one line: 'x = torch.tensor(6.7)y = ...'); '' for any other."""
    lines = text.splitlines()
    line = lines[error.lineno - 1].lstrip() if error.lineno and error.lineno <= len(lines) else ""
    if line[:1] in ("%", "!"):
        return (" (a line for IPython, as in a notebook: leave it out, it is not part of the "
                "graph)")
    one_line = text.strip()
    if "\n" in one_line or len(one_line) < 80 or one_line.count("=") < 3:
        return ""
    return (f" (the code is one line of {len(one_line)} characters: were its line breaks "
            "lost when it was copied?)")


def _is_text(node: ast.expr) -> bool:
    """A string as written: 'x = ', f'{x}', str(x), 'x = {}'.format(x)."""
    if isinstance(node, ast.Call):
        f = node.func
        return isinstance(f, ast.Name) and f.id in ("str", "repr", "format") or \
            isinstance(f, ast.Attribute) and f.attr == "format" and _is_text(f.value)
    return isinstance(node, ast.JoinedStr) or isinstance(node, ast.Constant) and \
        isinstance(node.value, str)


def _is_main_guard(stmt: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` without else: a script's body."""
    if not isinstance(stmt, ast.If) or stmt.orelse or not isinstance(stmt.test, ast.Compare):
        return False
    test = stmt.test
    sides = [test.left, *test.comparators]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    texts = [s.value for s in sides if isinstance(s, ast.Constant)]
    return len(sides) == 2 and isinstance(test.ops[0], ast.Eq) and names == ["__name__"] \
        and texts == ["__main__"]


def _plain_annotation(node: ast.expr | None) -> bool:
    """A type hint that only names types (``torch.Tensor``, ``list[float]``,
    ``float | None``, a string), so reading past it hides nothing."""
    allowed = (ast.Name, ast.Attribute, ast.Subscript, ast.Tuple, ast.Constant, ast.BinOp,
               ast.BitOr, ast.Load, ast.expr_context)
    return node is None or all(isinstance(n, allowed) for n in ast.walk(node)) and not any(
        isinstance(n, ast.BinOp) and not isinstance(n.op, ast.BitOr) for n in ast.walk(node))


def code_text(source: str | bytes) -> str:
    """The code as text: UTF-8 (a byte order mark is fine), within MAX_CODE_BYTES; else a
    CodeImportError saying where."""
    if len(source) > MAX_CODE_BYTES:
        unit = "characters" if isinstance(source, str) else "bytes"
        raise CodeImportError(1, 1, f"the code is too long (more than "
                              f"{count(MAX_CODE_BYTES, unit)})")
    if isinstance(source, str):
        return source
    try:
        return source.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        before = source[:e.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1:].decode(errors="replace")) + 1
        raise CodeImportError(line, col, f"not UTF-8 text (byte {e.start} is 0x"
                              f"{source[e.start]:02x})") from None


def _check_nesting(tree: ast.AST, where: Any) -> None:
    """Refuse expressions nested deeper than MAX_CODE_NESTING before anything recurses into
    them (iteratively: the check itself must not be what overflows the stack)."""
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    push, node_type = stack.append, ast.AST
    while stack:
        node, depth = stack.pop()
        if depth > MAX_CODE_NESTING:
            raise CodeImportError(*where(node), f"nested too deeply (more than {MAX_CODE_NESTING} "
                                  "levels)")
        depth += 1
        for name in node._fields:  # ast.iter_child_nodes's order, without its generators
            child = getattr(node, name, None)
            if isinstance(child, node_type):
                push((child, depth))
            elif isinstance(child, list):
                for item in child:
                    if isinstance(item, node_type):
                        push((item, depth))


def _leaves(t: _Tensor) -> Iterator[_Tensor]:
    return (n for n in _reachable([t]) if not n.inputs)


def _canonical(tensors: list[_Tensor]) -> dict[_Tensor, int]:
    """A number per tensor, equal for tensors that compute the same thing: a leaf is
    itself, an op is its kind, settings and inputs (so ``y = x**2`` run twice is the same).
    ``tensors`` are in creation order, inputs first."""
    table: dict[Any, int] = {}
    canon: dict[_Tensor, int] = {}
    for t in tensors:
        key: Any = t.seq if not t.inputs else (
            t.kind, tuple(sorted(t.params.items())), tuple(sorted(t.flags.items())),
            tuple(canon[i] for i in t.inputs))
        canon[t] = table.setdefault(key, len(table))
    return canon


def _free(base: str, taken: set[str]) -> str:
    """``base`` (cut to a label's length), or ``base_2``, ``base_3``, ... if taken; marked
    taken."""
    label, i = base[:MAX_LABEL], 2
    while label in taken:
        label = f"{base[:MAX_LABEL - 6]}_{i}"
        i += 1
    taken.add(label)
    return label


def _description(labels: dict[_Tensor, str], targets: list[_Tensor]) -> str:
    text = "Imported from PyTorch code."
    if targets:
        counts: dict[_Tensor, int] = {}
        for t in targets:
            counts[t] = counts.get(t, 0) + 1
        calls = ", ".join(f"{labels[t]}.backward()" + (f" {n} times" if n > 1 else "")
                          for t, n in counts.items())
        text += f" The code calls {calls}"
        text += "; press Backward as often to see its gradients." if len(targets) > 1 \
            else "."
    return text
