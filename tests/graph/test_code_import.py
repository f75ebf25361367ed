"""Import of PyTorch code: what the graph looks like (kinds, names, flags, wires, layout, the
backward calls kept), and what is refused: with line:col and what was not understood, nothing
created, nothing run however the code is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from gradstudio.graph import KINDS, GraphError, Session, loads, save
from gradstudio.graph.code_import import (
    MAX_CODE_BYTES,
    MAX_CODE_NESTING,
    Backward,
    CodeImporter,
    CodeImportError,
    ZeroGrad,
    import_code,
    replay,
)
from gradstudio.graph.code_subset import BINARY, FUNCTIONAL, LEAF_KINDS, OPERATORS, UNARY
from gradstudio.graph.layout import estimated_box
from gradstudio.resources import example_paths


def _by_label(imported) -> dict:
    return {n.label: n for n in imported.model.nodes()}


def _wires(imported) -> set[tuple[str, str, str]]:
    m = imported.model
    return {(m.label(e.src), m.label(e.dst), e.port) for e in m.edges()}


def test_every_kind_named_by_the_subset_is_in_the_catalog() -> None:
    named = set(UNARY.values()) | set(BINARY.values()) | set(OPERATORS.values()) | \
        set(FUNCTIONAL.values()) | set(LEAF_KINDS) | {"pow", "clamp", "identity"}
    assert named <= set(KINDS)


def test_the_notebook_network_is_named_after_its_variables() -> None:
    imported = import_code("""
import torch
x = torch.tensor(6.7)
y = torch.tensor(0.0)  # constant
w = torch.tensor(1.0, requires_grad=True)
b = torch.tensor(0.0, requires_grad=True)
z = w * x + b
y_pred = torch.sigmoid(z)
loss = -(y * torch.log(y_pred) + (1 - y) * torch.log(1 - y_pred))
loss.backward()
""")
    nodes = _by_label(imported)
    assert {k: nodes[k].kind for k in ("x", "y", "w", "b", "z", "y_pred", "loss")} == {
        "x": "input", "y": "constant", "w": "weight", "b": "weight", "z": "add",
        "y_pred": "sigmoid", "loss": "neg"}
    assert nodes["w"].flags["requires_grad"] and not nodes["x"].flags["requires_grad"]
    assert ("w", "mul_1", "a") in _wires(imported) and ("x", "mul_1", "b") in _wires(imported)
    assert ("mul_1", "z", "a") in _wires(imported) and ("b", "z", "b") in _wires(imported)
    # the number 1 is one Constant feeding both subtractions
    ones = [n for n in nodes.values() if n.kind == "constant" and n.params["value"] == 1.0]
    assert len(ones) == 1 and ones[0].label == "c_1"
    assert imported.model.loss == imported.names["loss"]
    assert imported.actions == [Backward(imported.names["loss"], 10)]


def test_intermediates_get_readable_names() -> None:
    imported = import_code("x = torch.tensor([1.0, 2.0], requires_grad=True)\n"
                           "y = (x ** 2).mean() + torch.sin(x).sum() + torch.sin(x * 2).sum()")
    labels = set(_by_label(imported))
    assert {"x", "x_sq", "mean_1", "sin_1", "sin_2", "sum_1", "sum_2", "mul_1", "c_1",
            "add_1", "y"} == labels


def test_an_import_equals_the_shipped_example_up_to_layout() -> None:
    imported = import_code("x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\n"
                           "y = (x**2).mean()\ny.backward()\n")
    example = loads(Path(example_paths()["vector_mean"]).read_text())
    graph = ("nodes", "edges", "loss", "settings")  # not its description or exercise
    mine, theirs = ({k: d[k] for k in graph} for d in (imported.model.to_dict(),
                                                         example.to_dict()))
    for doc in (mine, theirs):
        for node in doc["nodes"]:
            node.pop("position")
    assert mine == theirs


def test_layout_is_arrange_columns_without_overlap() -> None:
    imported = import_code("x = torch.tensor(1.0, requires_grad=True)\n"
                           "a = torch.sin(x)\nb = torch.cos(x)\nc = a * b\nd = c + a")
    nodes = _by_label(imported)
    xs = {k: n.position[0] for k, n in nodes.items()}
    assert xs["x"] < xs["a"] < xs["c"] < xs["d"] and xs["b"] == xs["a"]
    boxes = [(n.position, estimated_box(n.kind)) for n in nodes.values()]
    for i, ((x1, y1), b1) in enumerate(boxes):
        for (x2, y2), b2 in boxes[i + 1:]:
            assert x1 + b1.width <= x2 or x2 + b2.width <= x1 or \
                y1 + b1.height <= y2 or y2 + b2.height <= y1


def test_detach_no_grad_and_requires_grad_become_flags() -> None:
    imported = import_code("""
x = torch.tensor(2.0, requires_grad=True)
z = x.detach()
d = (x * 3).detach()
with torch.no_grad():
    y = x ** 2
    with torch.enable_grad():
        e = x * 4
k = torch.tensor(1.0)
k.requires_grad_()
k.requires_grad = False
k.requires_grad_(True)
""")
    nodes = _by_label(imported)
    assert nodes["z"].kind == "identity" and nodes["z"].flags["detach"]
    assert nodes["d"].kind == "mul" and nodes["d"].flags["detach"]  # the op's own output
    assert nodes["y"].flags["no_grad"] and not nodes["e"].flags["no_grad"]
    assert nodes["k"].flags["requires_grad"]


def test_settings_dtype_and_one_sided_clamp_survive_a_file(tmp_path: Path) -> None:
    imported = import_code("x = torch.tensor([1.0, -2.0], dtype=torch.float64)\n"
                           "y = x.clamp(min=0.0)\n")
    assert imported.model.settings.dtype == "float64"
    path = tmp_path / "c.gsgraph"
    save(imported.model, path)
    back = loads(path.read_text())
    assert back == imported.model
    assert Session(back).forward().value(back.find("y")).tolist() == [1.0, 0.0]


def test_rebinding_keeps_what_variables_still_hold() -> None:
    imported = import_code("""
x = torch.tensor(6.7)
dz_dw = x
x = torch.tensor(2.0, requires_grad=True)
y = x ** 2
tmp = x * 5
tmp = None
""")
    nodes = _by_label(imported)
    # the first x lives on as dz_dw; the mul nothing holds any more is gone
    assert set(nodes) == {"dz_dw", "x", "y"}
    assert nodes["dz_dw"].params["value"] == 6.7


def test_running_a_cell_again_is_a_repeated_backward() -> None:
    imported = import_code("x = torch.tensor(2.0, requires_grad=True)\n"
                           "y = x**2\ny.backward()\ny = x**2\ny.backward()\n")
    assert len(imported.model) == 2  # one y: the first is the same computation
    y = imported.names["y"]
    assert imported.actions == [Backward(y, 3), Backward(y, 5)]
    assert "2 times" in imported.model.description
    session = Session(imported.model)
    replay(session, imported.actions)
    assert session.grad(imported.names["x"]).item() == 8.0


def test_a_second_backward_on_the_same_graph_is_noted() -> None:
    imported = import_code("x = torch.tensor(2.0, requires_grad=True)\n"
                           "y = x**2\ny.backward()\ny.backward()\n")
    assert imported.backward_count() == 2
    assert len(imported.notes) == 1 and imported.notes[0].startswith("4:1: ")
    assert "retain_graph=True" in imported.notes[0]
    assert not import_code("x = torch.tensor(2.0, requires_grad=True)\ny = x**2\n"
                           "y.backward(retain_graph=True)\ny.backward()\n").notes


def test_zero_grad_is_replayed_on_that_leaf() -> None:
    imported = import_code("""
a = torch.tensor(1.0, requires_grad=True)
b = torch.tensor(2.0, requires_grad=True)
loss = a * b
loss.backward()
a.grad.zero_()
loss.backward(retain_graph=True)
""")
    assert isinstance(imported.actions[1], ZeroGrad)
    session = Session(imported.model)
    replay(session, imported.actions)
    assert session.grad(imported.names["a"]).item() == 2.0  # zeroed, then 2 again
    assert session.grad(imported.names["b"]).item() == 2.0  # 1 + 1: not zeroed


def test_a_refused_backward_replays_with_pytorchs_message() -> None:
    imported = import_code("x = torch.tensor(2.0, requires_grad=True)\n"
                           "with torch.no_grad():\n  y = x**2\ny.backward()\n")
    results = replay(Session(imported.model), imported.actions)
    assert results[-1].error == ("RuntimeError: element 0 of tensors does not require grad "
                                 "and does not have a grad_fn")


def test_requires_grad_change_drops_the_calls_before_it() -> None:
    imported = import_code("x = torch.tensor(2.0, requires_grad=True)\ny = x**2\n"
                           "y.backward()\nx.requires_grad_(False)\ny = x ** 2\n")
    assert imported.actions == [] and imported.notes[0].startswith("4:1: ")


def test_cells_keep_their_variables_like_a_kernel() -> None:
    importer = CodeImporter()
    importer.feed("import torch")
    importer.feed("x = torch.tensor(3.0, requires_grad=True)")
    importer.feed("y = x**2")
    importer.feed("y.backward()")
    imported = importer.result()
    assert set(_by_label(imported)) == {"x", "y"}
    assert imported.actions == [Backward(imported.names["y"], 1)]


# --- refusals ---------------------------------------------------------------------------------
REFUSED = {
    "import numpy as np": ("1:1", "import numpy"),
    "from math import pi": ("1:1", "from math import pi"),
    "import torch\nfrom torch import *": ("2:1", "from torch import *"),
    "x = torch.tensor(1.0)\nfor i in range(3):\n    x = x * 2": ("2:1", "for loops"),
    "x = torch.tensor(1.0)\nwhile True:\n    pass": ("2:1", "while loops"),
    "x = torch.tensor(1.0)\nif x:\n    pass": ("2:1", "if statements"),
    "class A:\n    pass": ("1:1", "classes"),
    "f = lambda v: v * 2": ("1:5", "lambdas"),
    "x = torch.randn(3)": ("1:5", "torch.randn"),
    "x = torch.tensor(2.0)\ny = x.abs()": ("2:5", "x.abs"),
    "x = torch.tensor(2.0)\ny = x.grad * 2": ("2:5", ".grad"),
    "x = torch.tensor(2.0)\ny = x @ x": ("2:5", "operator"),
    "x = torch.tensor(2.0)\ny = x ** x": ("2:5", "exponent"),
    "x = torch.tensor(2.0)\nx += 1": ("2:1", "in place"),
    "x = torch.tensor(2, requires_grad=True)": ("1:5", "floating point"),
    "x = torch.tensor(1.0)\ny = torch.tensor(1.0, dtype=torch.float64)": ("2:5", "one dtype"),
    "x = torch.tensor([[[1.0]]])": ("1:18", "at most 2-d"),
    "x = torch.tensor([])": ("1:18", "at least one number"),
    "x = torch.tensor([1.0, 2.0])[0]": ("1:5", "indexing"),
    "y = x * 2": ("1:5", "'x' is not defined"),
    "x = torch.tensor(1.0)\nx.sin().backward(gradient=x)": ("2:1", "gradient"),
    "x = torch.tensor(1.0)\ny = (x * 2).sum(0)": ("2:5", "at most 0 arguments"),
    "x = torch.tensor(1.0)\ny = torch.clamp(x)": ("2:5", "needs min or max"),
    "x = torch.tensor(1.0)\ny = x.pow(1000)": ("2:5", "exponent must be at most 100"),
    "x = torch.tensor(1.0, requires_grad=True)\ny = x * 2\ny.requires_grad_(False)":
        ("3:1", "leaf variables"),
    "def f(*args):\n    return 1": ("1:1", "def f"),
    "@torch.no_grad()\ndef f(x):\n    return x": ("2:1", "def f"),
    "def f(x):\n    return f(x)\nx = torch.tensor(1.0)\ny = f(x)": ("2:12", "too deeply"),
    "def f(x):\n    return x\n    y = 1": ("2:5", "last statement"),
    "x = torch.tensor(1.0)\nwith torch.no_grad() as g:\n    pass": ("2:6", "no_grad"),
    "print(x for x in [])": ("1:6", "generator"),
    "x = 'é' + torch.tensor(1.0)": ("1:5", "operand"),
    "s = 'ab'\nx = 1 ; y = x / 0": ("2:13", "division by zero"),
    "x = 10.0 ** 400": ("1:5", "too large"),
    "x = 2 ** 2 ** 2 ** 2 ** 2": ("1:5", "too large"),
    "x = 1e999": ("1:5", "too large"),
    "x = (1 +": ("1:", "not valid Python"),
    # x.grad = None is replayed (test_code_import_torch); anything else a gradient is not
    "x = torch.tensor(1.0)\nx.grad = x * 0": ("2:1", "only x.grad = None or x.grad.zero_()"),
    # every refusal reads as a sentence: "<what> are not supported"
    "def f(a):\n    global x\n    return a": ("2:5", "global statements are not supported"),
    "assert 1": ("1:1", "assert statements are not supported"),
    "x = 1 and 2": ("1:5", "and/or operators are not supported"),
    "x = torch.tensor([1.0, 2.0])\ny = x[0]": ("2:5", "subscripts (indexing) are not supported"),
    # a function's body is checked where it is defined, even if nothing calls it
    "def f(a):\n    while a:\n        pass\n    return a": ("2:5", "while loops"),
    "def f(a):\n    return (lambda v: v)(a)": ("2:13", "lambdas"),
}


@pytest.mark.parametrize("code", REFUSED)
def test_refused_with_line_col_and_what(code: str) -> None:
    where, words = REFUSED[code]
    with pytest.raises(CodeImportError) as caught:
        import_code(code)
    message = str(caught.value)
    assert message.startswith(where), message
    assert words in message, message
    assert "Traceback" not in message


def test_columns_count_characters_not_bytes() -> None:
    with pytest.raises(CodeImportError) as caught:
        import_code("s = 'ééé'; y = nope")
    assert str(caught.value).startswith("1:16: 'nope'")


def _hostile(path: Path) -> dict[str, str]:
    """Code that would create ``path`` (or worse) if anything ran it."""
    p = str(path)
    return {
        "os_system": f"import os\nos.system('touch {p}')",
        "os_from_torch": f"import torch\ntorch.os.system('touch {p}')",
        "dunder_import": f"__import__('os').system('touch {p}')",
        "eval": f"eval(\"open('{p}', 'w')\")",
        "exec": f"exec(\"open('{p}', 'w')\")",
        "compile": f"compile(\"open('{p}', 'w')\", 'x', 'exec')",
        "open": f"open('{p}', 'w').write('x')",
        "open_in_print": f"print(open('{p}', 'w'))",
        "open_in_fstring": f"print(f\"{{open('{p}', 'w')}}\")",
        "open_in_with": f"with open('{p}', 'w') as f:\n    pass",
        "lambda": f"(lambda: open('{p}', 'w'))()",
        "comprehension": f"[open(q, 'w') for q in ['{p}']]",
        "function_body": f"def f():\n    return open('{p}', 'w')\nf()",
        "decorator": f"def d(g):\n    return g\n@d\ndef f():\n    open('{p}', 'w')",
        "class_body": f"class A:\n    open('{p}', 'w')",
        "getattr": f"getattr(__builtins__, 'open')('{p}', 'w')",
        "dunder_class": "x = torch.tensor(1.0)\n"
                        "x.__class__.__init__.__globals__['os'].system('touch " + p + "')",
        "torch_save": f"x = torch.tensor(1.0)\ntorch.save(x, '{p}')",
        "torch_load": f"torch.load('{p}')",
        "torch_hub": f"torch.hub.load('x', 'y', '{p}')",
        "subprocess": f"import subprocess\nsubprocess.run(['touch', '{p}'])",
        "from_os": f"from os import system\nsystem('touch {p}')",
        "relative_import": "from . import something",
        "import_alias_shadow": f"import os as torch\ntorch.system('touch {p}')",
        "breakpoint": "breakpoint()",
        "walrus": f"(f := open('{p}', 'w'))",
        "huge_list": "x = torch.tensor([1.0] * 10**9)",
        "huge_power": "x = torch.tensor(9.0 ** 9 ** 9)",
        "huge_int": "x = torch.tensor(" + "9" * 5000 + ")",
        "huge_hex": "x = torch.tensor(0x" + "f" * 5000 + ")",
        "deep_parens": "x = " + "(" * 500 + "1" + ")" * 500,
        "deep_unary": "x = " + "-" * 5000 + "1",
        "long_chain": "x = " + " + ".join(["1"] * 100_000),
        "deep_lists": "x = torch.tensor(" + "[" * 150 + "1.0" + "]" * 150 + ")",
        "nul_byte": "x = 1\x00",
        "tab_mix": "def f(x):\n\treturn x\n        y = 1",
        # what a print may format, a type hint, a script's main guard, in-place methods:
        # read as a learner's code is, and still nothing in them runs
        "str_of_open": f"print(str(open('{p}', 'w')))",
        "format_of_open": f"print('{{}}'.format(open('{p}', 'w')))",
        "percent_of_open": f"print('%s' % open('{p}', 'w'))",
        "display_open": f"display(open('{p}', 'w'))",
        "hint_opens": f"x: open('{p}', 'w') = 1",
        "parameter_hint_opens": f"def f(x: open('{p}', 'w')):\n    return x",
        "main_guard_opens": f"if __name__ == '__main__':\n    open('{p}', 'w')",
        "update_by_open": f"w = torch.tensor(1.0)\nw -= open('{p}', 'w')",
        "in_place_open": f"w = torch.tensor(1.0)\nw.add_(open('{p}', 'w'))",
        "optimizer_open": f"open('{p}', 'w').step()",
        "grad_set_to_open": f"w = torch.tensor(1.0)\nw.grad = open('{p}', 'w')",
    }


@pytest.mark.parametrize("name", list(_hostile(Path("/tmp/unused"))))
def test_hostile_code_is_refused_and_nothing_runs(name: str, tmp_path: Path) -> None:
    target = tmp_path / "created_by_the_code"
    code = _hostile(target)[name]
    with pytest.raises(CodeImportError) as caught:
        import_code(code)
    assert caught.value.line >= 1 and caught.value.col >= 1
    assert str(caught.value).startswith(f"{caught.value.line}:{caught.value.col}: ")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_non_utf8_is_refused_where_it_is() -> None:
    with pytest.raises(CodeImportError) as caught:
        import_code(b"x = torch.tensor(1.0)\ny = '\xe9'\n")
    assert str(caught.value).startswith("2:6: not UTF-8")


def test_too_long_is_refused_before_parsing() -> None:
    with pytest.raises(CodeImportError, match="too long"):
        import_code(b"#" * (MAX_CODE_BYTES + 1))
    with pytest.raises(CodeImportError, match=f"more than {MAX_CODE_NESTING} levels"):
        import_code("x = " + "-" * (MAX_CODE_NESTING + 5) + "1")


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(hs.one_of(hs.text(max_size=200), hs.binary(max_size=200),
                 hs.lists(hs.sampled_from(["x", "=", "torch", ".", "tensor", "(", ")", "1.0",
                                           "requires_grad=True", ",", "\n", " ", "*", "+",
                                           "**", "y", "sin", "backward", "detach", "with",
                                           ":", "no_grad", "def", "return", "[", "]", "-",
                                           "F", "import", "print", "grad", "zero_"]),
                          max_size=40).map("".join)))
def test_any_input_is_a_graph_or_a_refusal(code: str | bytes) -> None:
    """Never another exception: whatever is pasted, the app gets a graph or a message."""
    try:
        imported = import_code(code)
    except CodeImportError as e:
        assert e.line >= 1 and e.col >= 1 and e.what
        return
    except GraphError as e:  # only CodeImportError may escape
        pytest.fail(f"GraphError without a position: {e}")
    json.dumps(imported.model.to_dict())
