"""Export a graph as a PyTorch script (graph/code_export.py), without PyTorch: what the
code says, that every name in it is a valid identifier made from the label, and that no
label or description can put code of its own into the script. The numbers the code gives
on real PyTorch are checked in test_export_torch.py."""

from __future__ import annotations

import ast

import pytest
from trace_graphs import all_graphs

from gradstudio.graph import KINDS, GraphError, GraphModel, Session, load
from gradstudio.graph.code_export import RESERVED, identifiers, program, script
from gradstudio.resources import example_paths

EXAMPLES = example_paths()


def _script(model: GraphModel, **kw) -> str:
    return script(Session(model), **kw)


def _names(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def test_small_network_reads_like_the_notebook() -> None:
    text = _script(load(EXAMPLES["small_network"]), title="small_network.gsgraph")
    lines = text.splitlines()
    assert "import torch" in lines
    assert "x = torch.tensor(6.7, dtype=torch.float32)  # input" in lines
    assert "w = torch.tensor(1.0, dtype=torch.float32, requires_grad=True)  # weight" in lines
    assert "y = torch.tensor(0.0, dtype=torch.float32)  # constant" in lines
    assert "wx = w * x" in lines and "z = wx + b" in lines
    assert "y_pred = torch.sigmoid(z)" in lines
    assert "loss = binary_cross_entropy_loss(y_pred, y, 1e-08)" in lines
    assert "def binary_cross_entropy_loss(prediction, target, epsilon=1e-08):" in lines
    assert lines.index("loss.backward()") > lines.index("loss = binary_cross_entropy_loss("
                                                       "y_pred, y, 1e-08)")
    assert "print('w.grad =', w.grad)" in lines and "print('x.grad =', x.grad)" in lines
    assert "small_network.gsgraph" in ast.get_docstring(ast.parse(text))
    # torch is the only import
    imports = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert [a.name for n in imports for a in n.names] == ["torch"]


def test_one_variable_per_node_in_evaluation_order() -> None:
    for name, make in all_graphs().items():
        model = make()
        session = Session(model)
        tree = ast.parse(_script(model))
        top = [b for st in tree.body for b in (st.body if isinstance(st, ast.With) else [st])]
        assigned = [t.id for st in top if isinstance(st, ast.Assign) for t in st.targets]
        order = session.evaluator.plan().node_ids
        assert assigned == [program(session).names[n] for n in order], name


def test_detach_no_grad_and_a_backward_that_cannot_run() -> None:
    lines = _script(load(EXAMPLES["detach"])).splitlines()
    assert "z = x.detach()" in lines
    assert not any(line.endswith(".backward()") for line in lines)
    assert any("the only path from x passes through z, which is detached" in line
               for line in lines if line.startswith("print("))
    lines = _script(load(EXAMPLES["no_grad"])).splitlines()
    at = lines.index("with torch.no_grad():")
    assert lines[at + 1] == "    y = x ** 2"


def test_consecutive_no_grad_nodes_share_one_block_and_detach_wraps_an_expression() -> None:
    m = GraphModel()
    x = m.add_node("weight", label="x", params={"value": 0.5})
    a = m.add_node("sin", label="a", flags={"no_grad": True})
    b = m.add_node("add", label="b", flags={"no_grad": True, "detach": True})
    c = m.add_node("mul", label="c")
    m.connect(x, a, "x")
    m.connect(a, b, "a")
    m.connect(x, b, "b")
    m.connect(b, c, "a")
    m.connect(x, c, "b")
    lines = _script(m).splitlines()
    at = lines.index("with torch.no_grad():")
    assert lines[at + 1:at + 4] == ["    a = torch.sin(x)", "    b = (a + x).detach()",
                                    "c = b * x"]
    assert lines.count("with torch.no_grad():") == 1


def test_repeat_calls_backward_k_times() -> None:
    lines = _script(load(EXAMPLES["accumulation"]), repeat=3).splitlines()
    assert lines.count("y.backward(retain_graph=True)") == 2
    assert lines.count("y.backward()") == 1


def test_values_and_parameters_as_python_literals() -> None:
    m = GraphModel()
    x = m.add_node("input", label="x", params={"value": [[1, float("inf")], [float("nan"),
                                                                         -float("inf")]]})
    p = m.add_node("pow", label="p", params={"exponent": 3})
    h = m.add_node("pow", label="h", params={"exponent": 0.5})
    c = m.add_node("clamp", label="c", params={"min": -0.25, "max": float("inf")})
    m.connect(x, p, "x")
    m.connect(p, h, "x")
    m.connect(h, c, "x")
    m.set_setting("dtype", "float64")
    lines = _script(m).splitlines()
    assert ("x = torch.tensor([[1.0, float('inf')], [float('nan'), -float('inf')]], "
            "dtype=torch.float64)  # input") in lines
    assert "p = torch.pow(x, 3)" in lines and "h = torch.pow(p, 0.5)" in lines  # whole: int
    assert "c = torch.clamp(h, -0.25, float('inf'))" in lines


def test_every_kind_has_code_that_parses() -> None:
    for spec in KINDS.values():
        if spec.is_leaf:
            continue
        fields = {p: f"v_{p}" for p in spec.inputs} | {p.name: "1.5" for p in spec.params}
        tree = ast.parse(spec.code.format(**fields), mode="eval")
        assert {f"v_{p}" for p in spec.inputs} <= _names(tree), spec.name
        if spec.helper:
            ast.parse(spec.helper)


@pytest.mark.parametrize(("label", "name"), [
    ("y pred", "y_pred"), ("x²", "x2"), ("2x", "_2x"), ("lambda", "lambda_"),
    ("None", "None_"), ("torch", "torch_"), ("F", "F_"), ("print", "print_"),
    ("σ", "σ"), ("ﬁle", "file"), ("loss (BCE)", "loss_BCE"), ("__class__", "class_"),
    ("-", "x"), ("binary_cross_entropy_loss", "binary_cross_entropy_loss_"),
])
def test_a_label_becomes_a_valid_identifier(label: str, name: str) -> None:
    assert identifiers({"n1": label}, {"n1": "x"}) == {"n1": name}
    assert name.isidentifier()


def test_names_are_unique_and_a_label_that_is_already_a_name_keeps_it() -> None:
    labels = {"n1": "x²", "n2": "x2", "n3": "x 2", "n4": "x-2", "n5": "x_2"}
    names = identifiers(labels)
    assert names["n2"] == "x2" and names["n5"] == "x_2"  # already names: kept
    assert len(set(names.values())) == len(labels)
    assert all(n.isidentifier() for n in names.values())
    assert not RESERVED & set(names.values())


HOSTILE = ["x\rimport os", "os.system('rm -rf /')", "'; import os; '", '"""', "\\",
           "__import__('os')", "x = 1", "# comment", "\x0cimport os", "a\u2028b", "exec"]


def test_no_label_or_description_puts_code_into_the_script() -> None:
    """Hostile labels and a hostile description: the script still has only torch's import,
    one assignment per node, and calls only torch's functions, the helper and print."""
    m = GraphModel()
    m.description = "\"\"\"\nimport os\nos.system('x')\n\"\"\""
    prev = m.add_node("weight", label=HOSTILE[0])
    for label in HOSTILE[1:]:
        node = m.add_node("sin", label=label)
        m.connect(prev, node, "x")
        prev = node
    text = _script(m)
    tree = ast.parse(text)
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert [a.name for n in imports for a in n.names] == ["torch"]
    assigns = [n for n in tree.body if isinstance(n, ast.Assign)]
    assert len(assigns) == len(HOSTILE)
    names = program(Session(m)).names
    called = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert called <= {"torch.tensor", "torch.sin", "print", f"{names[prev]}.backward"}, called
    assert _names(tree) == set(names.values()) | {"torch", "print"}  # the variables only


def test_graphs_that_cannot_be_exported_say_why() -> None:
    with pytest.raises(GraphError, match="empty"):
        _script(GraphModel())
    m = GraphModel()
    x = m.add_node("weight", label="x")
    s = m.add_node("add", label="s")
    m.connect(x, s, "a")
    with pytest.raises(GraphError, match="s has no value: input 'b' is not connected"):
        _script(m)
    with pytest.raises(GraphError, match="at least once"):
        _script(load(EXAMPLES["square"]), repeat=0)


def test_export_leaves_the_session_as_it_was() -> None:
    model = load(EXAMPLES["square"])
    session = Session(model)
    session.backward()
    before = session.leaf(model.find("x")).grad.item()
    _script(model)
    script(session)
    assert session.leaf(model.find("x")).grad.item() == before == 6.0
    assert len(session.ledger.entries) == 1
