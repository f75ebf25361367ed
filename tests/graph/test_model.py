"""GraphModel: adding nodes, wiring, refusals that name what and where, observers, versions,
and the value parser (which never runs code)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gradstudio.graph import (
    LR_MAX,
    LR_MIN,
    Change,
    Edge,
    GraphError,
    GraphModel,
    ModelEvent,
    parse_tensor_value,
)


def _refused(model: GraphModel, edit: Callable[[], object], *words: str) -> str:
    """Run an edit that must be refused: GraphError naming ``words``, model unchanged."""
    before = model.to_dict()
    with pytest.raises(GraphError) as info:
        edit()
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not named in {message!r}"
    assert model.to_dict() == before
    return message


@pytest.fixture
def chain() -> tuple[GraphModel, str, str, str]:
    """x -> square y -> sin z"""
    m = GraphModel()
    x = m.add_node("input", label="x")
    y = m.add_node("square", label="y")
    z = m.add_node("sin", label="z")
    m.connect(x, y, "x")
    m.connect(y, z, "x")
    return m, x, y, z


# --- adding nodes -----------------------------------------------------------------------------
def test_add_node_takes_the_kinds_defaults() -> None:
    m = GraphModel()
    x = m.add_node("input")
    w = m.add_node("weight")
    p = m.add_node("pow")
    assert m.node(x).label == "x" and m.node(x).params == {"value": 3.0}
    assert m.node(x).flags == {"requires_grad": False, "detach": False, "no_grad": False}
    assert m.node(w).label == "w" and m.node(w).flags["requires_grad"] is True
    assert m.node(p).params == {"exponent": 2.0}
    assert m.node(p).flags["requires_grad"] is False  # ops never carry the flag
    assert m.node(x).position == (0.0, 0.0)


def test_default_labels_are_made_unique() -> None:
    m = GraphModel()
    ids = [m.add_node("input") for _ in range(3)]
    assert [m.label(n) for n in ids] == ["x", "x2", "x3"]


def test_ids_are_unique_and_explicit_ids_are_respected() -> None:
    m = GraphModel()
    a = m.add_node("input", node_id="n7")
    b = m.add_node("input")
    assert a == "n7" and b != "n7"
    assert m.node_ids() == [a, b]


def test_params_and_flags_given_when_adding() -> None:
    m = GraphModel()
    x = m.add_node("input", label="data", params={"value": "1, 2"},
                   flags={"requires_grad": True}, position=(10, -5))
    data = m.node(x)
    assert data.params["value"] == [1.0, 2.0]
    assert data.flags["requires_grad"] is True
    assert data.position == (10.0, -5.0)


# --- refusals ---------------------------------------------------------------------------------
def test_cycle_is_refused(chain: tuple) -> None:
    m, x, y, z = chain
    a = m.add_node("add", label="a")
    m.connect(z, a, "a")
    _refused(m, lambda: m.connect(a, y, "x", replace=True), "a", "y.x", "cycle")


def test_self_wire_is_refused() -> None:
    m = GraphModel()
    a = m.add_node("add", label="total")
    _refused(m, lambda: m.connect(a, a, "b"), "total", "'b'")


def test_unknown_port_is_refused(chain: tuple) -> None:
    m, x, y, _ = chain
    message = _refused(m, lambda: m.connect(x, y, "q"), "y", "'q'")
    assert "inputs: x" in message


def test_wiring_into_a_leaf_is_refused(chain: tuple) -> None:
    m, x, y, _ = chain
    _refused(m, lambda: m.connect(y, x, "x"), "x", "'x'")


def test_unknown_kind_is_refused() -> None:
    m = GraphModel()
    m.add_node("input")
    _refused(m, lambda: m.add_node("softmax"), "softmax", "known:")


def test_occupied_port_is_refused_unless_replacing(chain: tuple) -> None:
    m, x, y, _ = chain
    x2 = m.add_node("input", label="other")
    _refused(m, lambda: m.connect(x2, y, "x"), "y.x", "x", "already wired")
    old = m.connect(x2, y, "x", replace=True)
    assert old == Edge(x, y, "x")
    assert m.inputs_of(y) == {"x": x2}


def test_bad_value_text_is_refused_and_keeps_the_old_value(chain: tuple) -> None:
    m, x, _, _ = chain
    _refused(m, lambda: m.set_param(x, "value", "1, x"), "x", "'x'")
    assert m.node(x).params["value"] == 3.0


def test_unknown_parameter_is_refused(chain: tuple) -> None:
    m, x, _, _ = chain
    _refused(m, lambda: m.set_param(x, "exponent", 2), "exponent")


def test_float_parameter_outside_its_range_is_refused() -> None:
    m = GraphModel()
    p = m.add_node("pow", label="p")
    _refused(m, lambda: m.set_param(p, "exponent", 1000), "p", "exponent", "at most 100")
    _refused(m, lambda: m.set_param(p, "exponent", "nan"), "p", "exponent")


def test_requires_grad_on_an_op_is_refused(chain: tuple) -> None:
    m, _, y, _ = chain
    _refused(m, lambda: m.set_flag(y, "requires_grad", True), "y", "leaf")
    _refused(m, lambda: m.add_node("mul", label="m", flags={"requires_grad": True}), "m")


def test_no_grad_on_a_leaf_is_refused(chain: tuple) -> None:
    m, x, _, _ = chain
    _refused(m, lambda: m.set_flag(x, "no_grad", True), "x", "leaf")


def test_unknown_flag_and_non_bool_flag_are_refused(chain: tuple) -> None:
    m, x, _, _ = chain
    _refused(m, lambda: m.set_flag(x, "frozen", True), "frozen")
    _refused(m, lambda: m.set_flag(x, "detach", "yes"), "detach")


@pytest.mark.parametrize("label", ["y", "", "   ", "a" * 41, "two\nlines"])
def test_bad_labels_are_refused(chain: tuple, label: str) -> None:
    m, x, _, _ = chain
    _refused(m, lambda: m.rename(x, label))
    _refused(m, lambda: m.add_node("input", label=label))


def test_renaming_to_its_own_label_is_allowed(chain: tuple) -> None:
    m, x, _, _ = chain
    m.rename(x, "x")
    m.rename(x, "input")
    assert m.find("input") == x
    m.add_node("input", label="x")  # the old name is free again


@pytest.mark.parametrize("position", ["12", (1,), (1, 2, 3), None, ("a", 0), (True, 0),
                                      (float("nan"), 0), (1e9, 0)])
def test_bad_positions_are_refused(chain: tuple, position: object) -> None:
    m, x, _, _ = chain
    _refused(m, lambda: m.move(x, position), "x")
    _refused(m, lambda: m.add_node("input", position=position))


def test_bad_ids_are_refused(chain: tuple) -> None:
    m, x, _, _ = chain
    _refused(m, lambda: m.add_node("input", node_id=x), x, "already exists")
    _refused(m, lambda: m.add_node("input", node_id="has space"))


@pytest.mark.parametrize("name, value", [("lr", 0), ("lr", -1), ("lr", "abc"), ("lr", None),
                                         ("lr", LR_MAX * 1.01), ("lr", LR_MIN / 2),
                                         ("lr", True), ("dtype", "int8"), ("speed", 1)])
def test_bad_settings_are_refused(name: str, value: object) -> None:
    m = GraphModel()
    _refused(m, lambda: m.set_setting(name, value), name if name != "lr" else "learning rate")


def test_learning_rate_limits_are_inclusive() -> None:
    m = GraphModel()
    for lr in (LR_MIN, LR_MAX, "0.5"):
        m.set_setting("lr", lr)
        assert m.settings.lr == float(lr)


def test_edits_on_missing_nodes_are_refused(chain: tuple) -> None:
    m, x, _, _ = chain
    _refused(m, lambda: m.connect("nope", x, "x"), "nope")
    _refused(m, lambda: m.remove_node("nope"), "nope")
    _refused(m, lambda: m.disconnect(Edge(x, "nope", "x")), "nope")
    _refused(m, lambda: m.set_loss("nope"), "nope")


# --- wiring and removal ------------------------------------------------------------------------
def test_mul_of_x_with_itself_is_two_edges_keyed_by_port() -> None:
    m = GraphModel()
    x = m.add_node("input", label="x")
    p = m.add_node("mul", label="p")
    m.connect(x, p, "a")
    m.connect(x, p, "b")
    assert sorted(m.edges()) == [Edge(x, p, "a"), Edge(x, p, "b")]
    assert m.inputs_of(p) == {"a": x, "b": x}
    m.disconnect(Edge(x, p, "a"))
    assert m.inputs_of(p) == {"b": x}


def test_remove_node_removes_its_wires_and_the_loss(chain: tuple) -> None:
    m, x, y, z = chain
    m.set_loss(y)
    m.remove_node(y)
    assert y not in m and m.edges() == [] and m.loss is None
    assert m.find("x") == x and m.find("z") == z


def test_find_by_label_or_id(chain: tuple) -> None:
    m, x, y, _ = chain
    assert m.find("y") == y and m.find(x) == x
    with pytest.raises(GraphError, match="no node called 'q'.*x, y, z"):
        m.find("q")
    other = m.add_node("input", label=x)  # a label that looks like another node's id
    assert m.find(x) == other  # people type what they see


def test_labels_stay_in_step_with_renames_and_removals(chain: tuple) -> None:
    m, x, y, _ = chain
    m.rename(x, "a")
    m.rename(y, "x")  # x's old name is free
    m.remove_node(y)
    fresh = m.add_node("input", label="x")
    assert m.find("x") == fresh and m.find("a") == x
    m.load_dict({"nodes": [{"id": "k", "kind": "input", "label": "only"}], "edges": []})
    assert m.find("only") == "k"
    with pytest.raises(GraphError):
        m.find("a")


# --- observers and versions -------------------------------------------------------------------
def test_observers_hear_every_change_in_order(chain: tuple) -> None:
    m, x, y, z = chain
    events: list[ModelEvent] = []
    unsubscribe = m.subscribe(events.append)
    x2 = m.add_node("input", label="x2")
    m.connect(x2, y, "x", replace=True)
    m.set_param(x2, "value", 5)
    m.set_flag(y, "detach", True)
    m.rename(z, "out")
    m.move(z, (1, 1))
    m.set_loss(z)
    m.remove_node(y)
    assert events == [
        ModelEvent(Change.NODE_ADDED, node=x2),
        ModelEvent(Change.EDGE_REMOVED, edge=Edge(x, y, "x")),
        ModelEvent(Change.EDGE_ADDED, edge=Edge(x2, y, "x")),
        ModelEvent(Change.NODE_CHANGED, node=x2, detail="params"),
        ModelEvent(Change.NODE_CHANGED, node=y, detail="flags"),
        ModelEvent(Change.NODE_CHANGED, node=z, detail="label"),
        ModelEvent(Change.NODE_MOVED, node=z),
        ModelEvent(Change.LOSS_CHANGED, node=z),
        ModelEvent(Change.EDGE_REMOVED, edge=Edge(x2, y, "x")),
        ModelEvent(Change.EDGE_REMOVED, edge=Edge(y, z, "x")),
        ModelEvent(Change.NODE_REMOVED, node=y),
    ]
    unsubscribe()
    m.add_node("input")
    assert len(events) == 11


def test_refused_edits_are_not_announced(chain: tuple) -> None:
    m, x, y, _ = chain
    events: list[ModelEvent] = []
    m.subscribe(events.append)
    with pytest.raises(GraphError):
        m.connect(y, x, "x")
    with pytest.raises(GraphError):
        m.set_param(x, "value", "oops")
    assert events == []


def test_structure_version_follows_what_the_plan_depends_on(chain: tuple) -> None:
    m, x, y, z = chain
    v = m.structure_version
    m.move(x, (5, 5))
    m.set_param(x, "value", 4)
    m.set_flag(x, "requires_grad", True)
    m.rename(y, "yy")
    assert m.structure_version == v
    for edit in (lambda: m.set_flag(y, "detach", True),
                 lambda: m.set_flag(z, "no_grad", True),
                 lambda: m.add_node("pow", label="p"),
                 lambda: m.set_param(m.find("p"), "exponent", 3),
                 lambda: m.connect(z, m.find("p"), "x"),
                 lambda: m.disconnect(Edge(z, m.find("p"), "x")),
                 lambda: m.remove_node(m.find("p")),
                 lambda: m.set_setting("dtype", "float64")):
        edit()
        assert m.structure_version > v
        v = m.structure_version


def test_load_dict_with_a_bad_document_leaves_the_model_intact(chain: tuple) -> None:
    m, x, y, _ = chain
    before = m.to_dict()
    bad = {"nodes": [{"id": "a", "kind": "input"}, {"id": "a", "kind": "input"}], "edges": []}
    with pytest.raises(GraphError, match="already exists"):
        m.load_dict(bad)
    with pytest.raises(GraphError):
        m.load_dict({"nodes": [{"label": "no kind"}]})
    assert m.to_dict() == before


# --- values -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, value", [
    ("3", 3.0),
    (" -2.5 ", -2.5),
    ("1, 2, 3", [1.0, 2.0, 3.0]),
    ("[1, 2, 3]", [1.0, 2.0, 3.0]),
    ("[[1,2],[3,4]]", [[1.0, 2.0], [3.0, 4.0]]),
    ("1e-3", 0.001),
    (".5", 0.5),
    (7, 7.0),
    ([1, 2], [1.0, 2.0]),
])
def test_parse_tensor_value(text: object, value: object) -> None:
    assert parse_tensor_value(text) == value


@pytest.mark.parametrize("text", [
    "", "   ", "[[1, 2], [3]]", "[1, [2]]", "1, x", "[1, 2", "1 2", "[]", "[[[1]]]",
    "[" * 5000, "__import__('os')", "1 + 1", "0x10", True, None, [[1], [2, 3]], "1_000",
])
def test_bad_values_are_refused(text: object) -> None:
    with pytest.raises(GraphError):
        parse_tensor_value(text)


def test_value_text_never_runs_code() -> None:
    """Text that Python would evaluate to a number is still refused: no eval, no literal_eval."""
    for text in ("2**3", "[2*4]", "(1, 2)", "float('1')", "__import__('os').getpid()"):
        with pytest.raises(GraphError):
            parse_tensor_value(text)


@pytest.mark.parametrize(("edge", "message"), [
    ({"src": "ghost", "dst": "b", "port": "x"}, "edges[1]: src 'ghost' is not a node"),
    ({"src": "a", "dst": "ghost", "port": "x"}, "edges[1]: dst 'ghost' is not a node"),
    ({"src": ["a"], "dst": "b", "port": "x"}, "edges[1]: src '['a']' is not a node"),
    ({"src": "a", "dst": {"b": 1}, "port": "x"}, "edges[1]: dst '{'b': 1}' is not a node"),
    ({"src": "ghost"}, "edges[1]: src 'ghost' is not a node"),
    ({"dst": "b", "port": "x"}, "not a graph document: KeyError: 'src'"),
    ({"src": "a", "port": "x"}, "not a graph document: KeyError: 'dst'"),
    ({"src": "a", "dst": "c"}, "not a graph document: KeyError: 'port'"),
])
def test_a_wire_to_no_node_is_refused_naming_the_wire_and_its_end(edge: dict,
                                                                  message: str) -> None:
    """Plain data (a file, a paste) whose wire names no node, or not as an id: the wire's
    place and which end, whatever the end is; a wire missing a key is no document."""
    data = {"nodes": [{"id": i, "kind": k} for i, k in (("a", "input"), ("b", "sin"),
                                                         ("c", "sin"))],
            "edges": [{"src": "a", "dst": "b", "port": "x"}, edge]}
    with pytest.raises(GraphError) as e:
        GraphModel.from_dict(data)
    assert str(e.value) == message
