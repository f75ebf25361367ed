"""The limits, once: the schemas carry the code's numbers, each over-limit file is refused
with the limit stated (before it becomes Python objects), a graph whose broadcasting would
pass the element budget is refused before anything is computed (from a file and edit by
edit), and naming unlabelled nodes is linear."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gradstudio.graph import (
    GraphError,
    GraphFileError,
    GraphModel,
    Session,
    fileformat,
    limits,
    loads,
    precheck,
)
from gradstudio.resources import resource_path


def _schema(version: int) -> dict:
    return json.loads(resource_path("schema", f"gsgraph-{version}.schema.json").read_text())


@pytest.mark.parametrize("version", range(1, fileformat.VERSION + 1))
def test_every_schema_carries_the_codes_limits(version: int) -> None:
    schema = _schema(version)
    assert schema["properties"]["nodes"]["maxItems"] == limits.MAX_NODES
    assert schema["properties"]["edges"]["maxItems"] == limits.MAX_EDGES
    one_d, two_d = schema["$defs"]["paramValue"]["anyOf"][1:]
    assert one_d["maxItems"] == limits.MAX_VALUE_ELEMENTS
    assert two_d["maxItems"] * two_d["items"]["maxItems"] >= limits.MAX_VALUE_ELEMENTS


def _doc(nodes: list[dict], edges: list[dict] | None = None) -> dict[str, Any]:
    return {"format": "gradstudio-graph", "version": fileformat.VERSION, "nodes": nodes,
            "edges": edges or []}


def _leaf(i: int, value: Any = 1.0, **more: Any) -> dict:
    return {"id": f"n{i}", "kind": "input", "params": {"value": value}, **more}


def _refused(text: str | bytes, *words: str) -> str:
    with pytest.raises(GraphFileError) as e:
        loads(text, "big.gsgraph")
    for word in words:
        assert word in str(e.value), str(e.value)
    return str(e.value)


def test_too_many_nodes_states_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_NODES", 50)
    _refused(json.dumps(_doc([{"id": f"n{i}", "kind": "input"} for i in range(51)])),
             "big.gsgraph: more than 50 nodes; the limit is 50 nodes")
    assert len(loads(json.dumps(_doc([{"id": f"n{i}", "kind": "input"}
                                      for i in range(50)])))) == 50


def test_too_many_edges_states_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_EDGES", 3)
    edges = [{"src": "n0", "dst": "n1", "port": "x"}] * 4
    _refused(json.dumps(_doc([_leaf(0), {"id": "n1", "kind": "sin"}], edges)),
             "more than 3 edges; the limit is 3 edges")


def test_a_long_list_is_found_in_the_bytes_before_parsing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The check on the bytes alone (check_bytes): it names line and column and makes no
    Python object per number; the census behind it would say the same after parsing."""
    monkeypatch.setattr(limits, "MAX_VALUE_ELEMENTS", 1000)
    text = json.dumps(_doc([_leaf(0, [0.5] * 1001)]), indent=1)
    with pytest.raises(GraphError, match=r"line 9, column 14: a list of 1,001 items; the limit "
                                         r"is 1,000 elements per value"):
        precheck.check_bytes(text.encode(), "big.gsgraph")
    _refused(text, "1,001 items", "1,000 elements per value")
    rows = json.dumps(_doc([_leaf(0, [[0.5] * 40] * 26)]))  # 1,040 numbers in rows
    _refused(rows, "1,040 items")
    with pytest.raises(GraphError, match="params.value holds 1,040 elements"):
        precheck.census(rows, "big.gsgraph")
    loads(json.dumps(_doc([_leaf(0, [0.5] * 1000), _leaf(1, [0.5] * 1000)])))  # at the limit


def test_the_total_of_all_values_states_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_TOTAL_ELEMENTS", 2500)
    _refused(json.dumps(_doc([_leaf(i, [0.5] * 1000) for i in range(3)])),
             "nodes[2] (n2): the values hold more than 2,500 elements in all")


def test_too_many_objects_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_NODES", 10)
    monkeypatch.setattr(limits, "MAX_EDGES", 10)
    monkeypatch.setattr(precheck, "_OTHER_OBJECTS", 10)
    doc = _doc([])
    doc["junk"] = [{}] * 100
    _refused(json.dumps(doc), "more than 50 JSON objects")


def _outer(n: int) -> dict:
    """A column [n, 1] times a row [1, n]: a small file asking for n * n numbers."""
    return _doc([_leaf(0, [[0.5]] * n, label="col"), _leaf(1, [[0.5] * n], label="row"),
                 {"id": "m", "kind": "mul", "label": "outer"},
                 {"id": "s", "kind": "sum", "label": "total"}],
                [{"src": "n0", "dst": "m", "port": "a"}, {"src": "n1", "dst": "m", "port": "b"},
                 {"src": "m", "dst": "s", "port": "x"}])


def test_broadcasting_past_the_budget_is_refused_naming_the_node() -> None:
    message = _refused(json.dumps(_outer(10_000)))
    assert message == ("big.gsgraph: outer: its result would hold 100,000,000 elements "
                       "([10000, 1] and [1, 10000] broadcast to [10000, 10000]); the limit is "
                       "1,000,000 elements per result")
    model = loads(json.dumps(_outer(1000)))  # 1e6: at the limit, and computed
    assert model.result_shape("m") == (1000, 1000) and model.result_shape("s") == ()
    assert Session(model).forward().values["s"].item() == pytest.approx(250_000, rel=1e-4)


def test_a_value_written_as_text_is_sized_as_parsed() -> None:
    """The plain data is sized before the model is built, a text value as the one number it
    looks like there; the model's sizes are the parsed value's: "0.5, 0.5, ..." is a
    vector, and its outer product with a row is refused as the list's would be."""
    column = "[" + ", ".join(["[0.5]"] * 2000) + "]"
    doc = _outer(2000)
    doc["nodes"][0]["params"]["value"] = column
    with pytest.raises(GraphError, match="outer: its result would hold 4,000,000 elements"):
        GraphModel.from_dict(doc)
    doc = _outer(3)  # a [1, 3] row
    doc["nodes"][0]["params"]["value"] = "0.5, 0.5, 0.5"
    model = GraphModel.from_dict(doc)
    assert model.result_shape("n0") == (3,) and model.result_shape("m") == (1, 3)
    assert model.result_shape("s") == ()


def test_the_total_budget_counts_results_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_TOTAL_ELEMENTS", 10_000)
    _refused(json.dumps(_outer(100)), "outer: the graph would hold 10,200 elements",
             "the limit is 10,000 elements")  # 100 + 100 + 10,000 by the mul
    assert len(loads(json.dumps(_outer(99)))) == 4  # 99 + 99 + 9,801 + 1: exactly 10,000


def test_wiring_that_would_pass_the_budget_is_refused_and_nothing_changes() -> None:
    """As in the app: a wire (or a new value) that would make a result too big is refused
    before it is made, naming the node; the graph stays as it was."""
    m = GraphModel()
    col = m.add_node("input", label="col", params={"value": [[0.5]] * 2000})
    row = m.add_node("input", label="row", params={"value": [[0.5] * 2000]})
    mul = m.add_node("mul", label="outer")
    m.connect(col, mul, "a")
    version = m.structure_version
    with pytest.raises(GraphError, match=r"outer: its result would hold 4,000,000 elements"):
        m.check_connection(row, mul, "b")  # the wire drag asks this before it drops
    with pytest.raises(GraphError, match="4,000,000 elements"):
        m.connect(row, mul, "b")
    assert m.inputs_of(mul) == {"a": col} and m.structure_version == version
    small = m.add_node("input", label="small", params={"value": [[0.5] * 10]})
    m.connect(small, mul, "b")
    assert m.result_shape(mul) == (2000, 10)
    with pytest.raises(GraphError, match="outer: its result would hold 4,000,000"):
        m.set_param(small, "value", [[0.5] * 2000])  # a new value downstream of the wire
    assert m.node(small).params["value"] == [[0.5] * 10]
    m.disconnect(next(e for e in m.consumers_of(col)))
    assert m.result_shape(mul) is None
    m.connect(row, mul, "a", replace=False)  # [1, 2000] * [1, 10] does not broadcast:
    assert m.result_shape(mul) is None  # the evaluation reports numpy's error there


def test_a_value_over_the_limit_is_refused_when_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_VALUE_ELEMENTS", 4)
    m = GraphModel()
    x = m.add_node("input", label="x")
    with pytest.raises(GraphError, match="x: value holds 6 elements; the limit is 4"):
        m.set_param(x, "value", "[[1, 2, 3], [4, 5, 6]]")


def test_the_node_limit_holds_for_graphs_built_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_NODES", 3)
    m = GraphModel()
    for _ in range(3):
        m.add_node("input")
    with pytest.raises(GraphError, match="already holds 3 nodes, the most a graph can hold"):
        m.add_node("input")


def test_naming_unlabelled_nodes_is_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each name is found where the last search stopped: 20,000 unlabelled nodes take about
    20,000 label look-ups, not 200 million; freed names are used again."""
    looked_up = 0
    original = dict.__contains__

    class Counting(dict):
        def __contains__(self, key: object) -> bool:
            nonlocal looked_up
            looked_up += 1
            return original(self, key)

    m = GraphModel()
    m._labels = Counting()
    data = [m.add_node("input") for _ in range(20_000)]
    assert m.label(data[0]) == "x" and m.label(data[-1]) == "x20000"
    assert looked_up < 5 * 20_000
    m.remove_node(data[41])  # x42
    m.rename(data[6], "seven")  # x7
    assert m.label(m.add_node("input")) == "x7"
    assert m.label(m.add_node("input")) == "x42"
    assert m.label(m.add_node("input")) == "x20001"


def test_a_file_of_100k_unlabelled_nodes_loads(tmp_path: Path) -> None:
    nodes = [{"id": f"n{i}", "kind": "input", "position": [float(i % 300) * 200,
                                                           float(i // 300) * 100]}
             for i in range(limits.MAX_NODES)]
    path = tmp_path / "many.gsgraph"
    path.write_text(json.dumps(_doc(nodes)))
    model = fileformat.load(path)
    assert len(model) == limits.MAX_NODES and model.label(f"n{limits.MAX_NODES - 1}") == "x100000"


@pytest.mark.parametrize(("node", "says"), [
    ({"label": "x" * 10_000}, "nodes[0].label: 'xxx"),
    ({"position": [1, 2, 3]}, "nodes[0].position: [1, 2, 3] is too long (3 items; the limit "
                              "is 2 items)"),
    ({"position": [1]}, "nodes[0].position: [1] is too short (1 item; at least 2 items)"),
])
def test_a_schema_size_limit_is_stated_with_the_size_found(node: dict, says: str) -> None:
    doc = {"format": "gradstudio-graph", "version": 2, "edges": [],
           "nodes": [{"id": "a", "kind": "input", **node}]}
    with pytest.raises(GraphFileError) as refused:
        loads(json.dumps(doc), "g.gsgraph")
    assert says in str(refused.value)
    if "label" in node:
        assert str(refused.value).endswith(
            "is too long (10,000 characters; the limit is 40 characters)")


def test_a_file_passing_the_budget_is_refused_before_its_nodes_are_built(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The budget is checked on the file's plain data first: no node is made (a file of
    100,000 nodes would otherwise be built whole before its last product is refused)."""
    made: list[str] = []
    real = GraphModel.add_node
    monkeypatch.setattr(GraphModel, "add_node",
                        lambda self, *a, **k: made.append(a[0]) or real(self, *a, **k))
    doc = {"format": "gradstudio-graph", "version": 2,
           "nodes": [{"id": "c", "kind": "input", "params": {"value": [[1.0]] * 1001}},
                     {"id": "r", "kind": "input", "params": {"value": [1.0] * 1000}},
                     {"id": "m", "kind": "mul", "label": "outer"}],
           "edges": [{"src": "c", "dst": "m", "port": "a"}, {"src": "r", "dst": "m", "port": "b"}]}
    with pytest.raises(GraphFileError, match=r"^g.gsgraph: outer: its result would hold "
                                             r"1,001,000 elements"):
        loads(json.dumps(doc), "g.gsgraph")
    assert made == []
