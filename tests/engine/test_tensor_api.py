"""Tensor's operators and methods are written in a class body, so that IDEs, ``help()`` and
type checkers (which read the source, not what runs) see them with their signatures."""

from __future__ import annotations

import ast
import inspect
import pydoc
import typing
from pathlib import Path

import pytest

import gradstudio.engine as ge
from gradstudio.engine import Tensor

ENGINE = Path(ge.__file__).parent

OPERATORS = ["__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
             "__truediv__", "__rtruediv__", "__pow__", "__rpow__", "__neg__", "__abs__",
             "__iadd__", "__isub__", "__imul__", "__itruediv__",
             "__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"]
METHODS = ["add", "sub", "mul", "div", "pow", "neg", "abs", "add_", "sub_", "mul_", "div_",
           "sin", "cos", "exp", "log", "sigmoid", "tanh", "relu", "sqrt", "reciprocal",
           "square", "clone", "clamp", "sum", "mean", "to", "float", "double",
           "backward", "detach", "requires_grad_", "retain_grad", "register_hook", "item",
           "zero_", "fill_", "copy_", "size", "dim", "numel", "tolist", "numpy"]


def _owner(name: str) -> type:
    """The class in Tensor's MRO whose body holds ``name``."""
    return next(cls for cls in Tensor.__mro__ if name in vars(cls))


def _class_bodies() -> dict[str, set[str]]:
    """Names bound in each engine class body, read from the source as a type checker does."""
    bodies: dict[str, set[str]] = {}
    for path in ENGINE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                names = bodies.setdefault(node.name, set())
                for item in node.body:
                    if isinstance(item, ast.FunctionDef):
                        names.add(item.name)
                    elif isinstance(item, ast.Assign):
                        names.update(t.id for target in item.targets
                                     for t in ast.walk(target) if isinstance(t, ast.Name))
    return bodies


@pytest.mark.parametrize("name", OPERATORS + METHODS)
def test_method_is_written_in_a_class_body_with_annotations(name: str) -> None:
    owner = _owner(name)
    assert owner is not object
    assert name in _class_bodies()[owner.__name__], f"{name} is not in {owner.__name__}'s body"
    fn = vars(owner)[name]
    assert inspect.isfunction(fn)
    assert fn.__qualname__.startswith(f"{owner.__name__}."), fn.__qualname__
    signature = inspect.signature(fn)
    params = list(signature.parameters.values())
    assert params[0].name == "self"
    assert all(p.annotation is not inspect.Parameter.empty for p in params[1:]), signature
    assert signature.return_annotation is not inspect.Signature.empty, signature
    typing.get_type_hints(fn)  # every annotation names something that exists


@pytest.mark.parametrize("name", ["sin", "__mul__", "__rsub__", "__iadd__", "clamp", "sum",
                                  "float", "__eq__"])
def test_op_methods_return_tensors_by_their_annotations(name: str) -> None:
    assert typing.get_type_hints(vars(Tensor)[name])["return"] is Tensor


def test_no_engine_module_attaches_methods_to_tensor_at_run_time() -> None:
    """``setattr(Tensor, ...)`` or ``Tensor.x = ...`` would hide a method from the checkers."""
    for path in ENGINE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setattr":
                assert getattr(node.args[0], "id", None) != "Tensor", path.name
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    assert not (isinstance(target, ast.Attribute)
                                and getattr(target.value, "id", None) == "Tensor"), path.name


def test_help_shows_the_methods_with_their_signatures() -> None:
    text = pydoc.plain(pydoc.render_doc(Tensor))
    for line in ("sin(self) -> 'Tensor'", "__mul__(self, other: 'Tensor | float') -> 'Tensor'",
                 "backward(self, gradient: 'Tensor | None' = None",
                 "clamp(self, min: 'float | None' = None, max: 'float | None' = None)"):
        assert line in text, line


def test_hash_is_defined_once_and_is_identity() -> None:
    assigned = [path.name for path in ENGINE.glob("*.py")
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, ast.Assign) for target in node.targets
                if getattr(target, "id", getattr(target, "attr", None)) == "__hash__"]
    assert assigned == ["tensor.py"]
    assert Tensor.__hash__ is object.__hash__
    x = ge.tensor([1.0, 2.0])
    assert hash(x) == object.__hash__(x)
    assert len({x, ge.tensor([1.0, 2.0])}) == 2  # equal values, two tensors


def test_method_forms_run_the_same_function_as_the_module_form() -> None:
    x = ge.tensor([0.5, -2.0], requires_grad=True)
    for method, function in ((x.sin(), ge.sin(x)), (x * 3, ge.mul(x, 3)),
                             (x.clamp(0, 1), ge.clamp(x, 0, 1)), (x.sum(0), ge.sum(x, 0)),
                             (x / 2, ge.div(x, 2)), (x ** 2, ge.pow(x, 2))):
        assert method.tolist() == function.tolist()
        assert method.grad_fn.name() == function.grad_fn.name()
