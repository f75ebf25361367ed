""".gsgraph files: round trips (property-tested), every bad file refused with where and what,
the open document never touched, atomic saves, and a 10,000-node file."""

from __future__ import annotations

import copy
import json
import os
import random
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradstudio.graph import (
    KINDS,
    LR_MAX,
    LR_MIN,
    GraphError,
    GraphFileError,
    GraphModel,
    Session,
    kind,
)
from gradstudio.graph.catalog import Param
from gradstudio.graph.fileformat import document, dumps, load, loads, save
from gradstudio.graph.limits import MAX_BYTES
from gradstudio.resources import example_paths

# --- generated graphs ---------------------------------------------------------------------------
_finite = st.floats(allow_nan=False, allow_infinity=False)
_coord = st.floats(min_value=-1e7, max_value=1e7, allow_nan=False)
_values = st.one_of(
    _finite,
    st.lists(_finite, min_size=1, max_size=4),
    st.integers(1, 3).flatmap(lambda cols: st.lists(
        st.lists(_finite, min_size=cols, max_size=cols), min_size=1, max_size=3)))
_labels = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"),
                  min_size=1, max_size=40).filter(str.strip)
_ids = st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True)


def _param_values(p: Param) -> st.SearchStrategy:
    if p.type == "tensor":
        return _values
    return st.floats(min_value=p.minimum, max_value=p.maximum, allow_nan=False,
                     allow_infinity=False)


@st.composite
def graphs(draw: st.DrawFn) -> GraphModel:
    """A random valid graph: any kinds, DAG wiring into real ports, values, flags, labels."""
    n = draw(st.integers(0, 8))
    kinds = draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=n, max_size=n))
    labels = draw(st.lists(_labels, min_size=n, max_size=n, unique=True))
    ids = draw(st.lists(_ids, min_size=n, max_size=n, unique=True) | st.just([None] * n))
    m = GraphModel()
    nodes = []
    for name, label, node_id in zip(kinds, labels, ids, strict=True):
        spec = kind(name)
        flags = {"detach": draw(st.booleans()),
                 "requires_grad" if spec.is_leaf else "no_grad": draw(st.booleans())}
        nodes.append(m.add_node(
            name, label=label, node_id=node_id, flags=flags,
            params={p.name: draw(_param_values(p)) for p in spec.params},
            position=(draw(_coord), draw(_coord))))
    order = draw(st.permutations(nodes))  # a topological order, unrelated to the file's
    for rank, dst in enumerate(order):
        for port in kind(m.node(dst).kind).inputs:
            if rank and draw(st.booleans()):
                m.connect(order[draw(st.integers(0, rank - 1))], dst, port)
    m.set_loss(draw(st.sampled_from([None, *nodes])))
    m.set_setting("lr", draw(st.floats(min_value=LR_MIN, max_value=LR_MAX)))
    m.set_setting("dtype", draw(st.sampled_from(["float32", "float64"])))
    m.description = draw(st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))
    return m


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_round_trip_gives_an_equal_model(model: GraphModel) -> None:
    text = dumps(model)
    loaded = loads(text)
    assert loaded == model
    assert loaded.to_dict() == model.to_dict()
    assert dumps(loaded) == text


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graphs())
def test_save_then_load_gives_an_equal_model(tmp_path: Path, model: GraphModel) -> None:
    path = tmp_path / "graph.gsgraph"
    save(model, path)
    assert load(path) == model


@pytest.mark.parametrize("name", sorted(example_paths()))
def test_examples_round_trip(name: str, tmp_path: Path) -> None:
    model = load(example_paths()[name])
    save(model, tmp_path / f"{name}.gsgraph")
    assert load(tmp_path / f"{name}.gsgraph") == model


# --- bad files ----------------------------------------------------------------------------------
def _doc() -> dict[str, Any]:
    """add a = x + y, with a spare add node b."""
    m = GraphModel()
    x = m.add_node("input", label="x", node_id="x")
    y = m.add_node("input", label="y", node_id="y")
    a = m.add_node("add", label="a", node_id="a")
    m.add_node("add", label="b", node_id="b")
    m.connect(x, a, "a")
    m.connect(y, a, "b")
    return document(m)


def _refused(content: str | bytes | dict, *words: str) -> str:
    if not isinstance(content, (str, bytes)):
        content = json.dumps(content)
    with pytest.raises(GraphFileError) as info:
        loads(content, "g.gsgraph")
    message = str(info.value)
    assert message.startswith("g.gsgraph: ")
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert len(message) < 400 and "\n" not in message
    return message


def _with(change: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_doc())
    change(doc)
    return doc


def test_the_base_document_is_good() -> None:
    assert len(loads(json.dumps(_doc()))) == 4


def test_not_json() -> None:
    _refused("hello", "not valid JSON", "line 1, column 1")
    _refused("", "not valid JSON")


def test_truncated_json() -> None:
    text = json.dumps(_doc(), indent=1)
    _refused(text[: len(text) // 2], "not valid JSON", "truncated")


@pytest.mark.parametrize("doc", [[], 3, "text", None, {"nodes": []}])
def test_not_a_graph(doc: Any) -> None:
    _refused(json.dumps(doc), "not a GradStudio graph")


def test_wrong_format_name() -> None:
    _refused(_with(lambda d: d.update(format="other-app")), "not a GradStudio graph")


def test_newer_version() -> None:
    _refused(_with(lambda d: d.update(version=3)), "newer GradStudio", "version 3",
             "versions 1 to 2")


@pytest.mark.parametrize("version", [0, -1, "1", True, None, 1.5])
def test_bad_version(version: Any) -> None:
    _refused(_with(lambda d: d.update(version=version)), "version", repr(version))


def test_unknown_kind() -> None:
    _refused(_with(lambda d: d["nodes"][2].update(kind="softmax")), "nodes[2]", "softmax")


def test_dangling_edge() -> None:
    _refused(_with(lambda d: d["edges"][1].update(src="ghost")), "edges[1]", "ghost")
    _refused(_with(lambda d: d["edges"][0].update(dst="ghost")), "edges[0]", "ghost")


def test_unknown_port() -> None:
    _refused(_with(lambda d: d["edges"][0].update(port="c")), "edges[0]", "a", "'c'")


def test_two_wires_into_one_port() -> None:
    _refused(_with(lambda d: d["edges"].append({"src": "y", "dst": "a", "port": "a"})),
             "edges[2]", "a.a", "already wired")


def test_cycle() -> None:
    def close_a_cycle(d: dict) -> None:
        d["edges"][1] = {"src": "b", "dst": "a", "port": "b"}
        d["edges"].append({"src": "a", "dst": "b", "port": "a"})

    message = _refused(_with(close_a_cycle), "edges[", "cycle")
    assert "a -> b -> a" in message or "b -> a -> b" in message


def test_self_loop() -> None:
    _refused(_with(lambda d: d["edges"].append({"src": "b", "dst": "b", "port": "a"})),
             "edges[2]", "b", "own input 'a'")


def test_duplicate_ids() -> None:
    _refused(_with(lambda d: d["nodes"][1].update(id="x")), "nodes[1]", "'x'", "already exists")


def test_duplicate_labels() -> None:
    _refused(_with(lambda d: d["nodes"][1].update(label="x")), "nodes[1]", "'x'")


def test_unknown_loss() -> None:
    _refused(_with(lambda d: d.update(loss="ghost")), "loss", "ghost")


@pytest.mark.parametrize("change, where", [
    (lambda d: d["nodes"][0].update(position="here"), "nodes[0].position"),
    (lambda d: d["nodes"][0].update(position=[1]), "nodes[0].position"),
    (lambda d: d["nodes"][1].update(label=7), "nodes[1].label"),
    (lambda d: d["nodes"][1]["flags"].update(detach="yes"), "nodes[1].flags.detach"),
    (lambda d: d["nodes"][0]["params"].update(value="1; import os"), "nodes[0].params.value"),
    (lambda d: d.update(edges={}), "edges"),
    (lambda d: d["settings"].update(lr=-1), "settings.lr"),
    (lambda d: d.update(extra=1), "the top level"),
])
def test_wrong_types_say_where(change: Any, where: str) -> None:
    _refused(_with(change), where)


def test_huge_value_in_an_error_is_shortened() -> None:
    _refused(_with(lambda d: d["nodes"][0]["params"].update(value=[[[0.5] * 100_000]])),
             "nodes[0].params.value[0][0]", "...")


def test_huge_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.gsgraph"
    with open(path, "wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: nothing is written or read
    with pytest.raises(GraphFileError, match="huge.gsgraph: too large"):
        load(path)
    monkeypatch.setattr("gradstudio.graph.limits.MAX_BYTES", 100)
    _refused(json.dumps(_doc()), "too large")


def test_not_utf8() -> None:
    _refused(b'{"format": "\xff"}', "not a text file", "byte 12")


def test_byte_order_mark_is_accepted() -> None:
    assert len(loads(b"\xef\xbb\xbf" + json.dumps(_doc()).encode())) == 4


def _nested_description(depth: int) -> str:
    nested = "[" * depth + "]" * depth
    return ('{"format": "gradstudio-graph", "version": 1, "nodes": [], "edges": [], '
            f'"description": {nested}}}')


def _nested_value(depth: int) -> str:
    nested = "[" * depth + "]" * depth
    return ('{"format": "gradstudio-graph", "version": 1, "edges": [], "nodes": '
            f'[{{"id": "a", "kind": "input", "params": {{"value": {nested}}}}}]}}')


def _deepest_parsable(make: Any) -> int:
    """The deepest nesting json.loads still parses here (it depends on the stack)."""
    lo, hi = 1, 20_000
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            json.loads(make(mid))
            lo = mid
        except RecursionError:
            hi = mid - 1
    return lo


@pytest.mark.parametrize("make", [_nested_description, _nested_value])
def test_deeply_nested_json(make: Any) -> None:
    """Too deep for the parser, or parsable but too deep for checking: a clear error."""
    for depth in (100_000, _deepest_parsable(make) - 3, 500):
        _refused(make(depth), "g.gsgraph")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(GraphFileError, match="cannot read .*nothing.gsgraph"):
        load(tmp_path / "nothing.gsgraph")
    with pytest.raises(GraphFileError, match="cannot read"):
        load(tmp_path)  # a folder


def test_a_bad_document_never_touches_the_open_model() -> None:
    m = loads(json.dumps(_doc()))
    before = m.to_dict()
    events = []
    m.subscribe(events.append)
    bad = _with(lambda d: d["edges"].append({"src": "a", "dst": "b", "port": "q"}))
    with pytest.raises(GraphError):
        m.load_dict(bad)
    with pytest.raises(GraphError):
        m.load_dict({"nodes": "not a list"})
    assert m.to_dict() == before and events == []


def test_a_file_never_runs_code() -> None:
    doc = _with(lambda d: d["nodes"][0]["params"].update(value="__import__('os')"))
    _refused(doc, "nodes[0].params.value")


# --- atomic saves ---------------------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, bytes, GraphModel]:
    model = loads(json.dumps(_doc()))
    path = tmp_path / "g.gsgraph"
    save(model, path)
    model.rename("x", "changed")
    return path, path.read_bytes(), model


def _fail(*args: Any, **kwargs: Any) -> None:
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("call", ["replace", "fsync"])
def test_a_failed_save_leaves_the_old_file_intact(
        saved: tuple, monkeypatch: pytest.MonkeyPatch, call: str) -> None:
    path, old, model = saved
    monkeypatch.setattr(os, call, _fail)
    with pytest.raises(GraphFileError, match="cannot save .*No space left"):
        save(model, path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert os.listdir(path.parent) == ["g.gsgraph"]  # no temporary file left behind


def test_save_replaces_the_file_and_leaves_nothing_else(saved: tuple) -> None:
    path, _, model = saved
    save(model, path)
    assert path.read_text(encoding="utf-8") == dumps(model)
    assert os.listdir(path.parent) == ["g.gsgraph"]
    assert load(path).find("changed") == "x"


def test_save_into_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(GraphFileError, match="cannot save"):
        save(GraphModel(), tmp_path / "no" / "g.gsgraph")


# --- a big file ----------------------------------------------------------------------------------
def _big_document(n: int, seed: int = 0) -> dict[str, Any]:
    """n nodes: 100 inputs, then ops wired to earlier nodes; nodes and edges shuffled."""
    rng = random.Random(seed)
    nodes, edges = [], []
    for i in range(n):
        k = "input" if i < 100 else rng.choice(["add", "mul", "sin", "tanh"])
        nodes.append({"id": f"n{i}", "kind": k, "label": f"v{i}",
                      "position": [i % 100 * 50.0, i // 100 * 50.0]})
        for port in kind(k).inputs:
            edges.append({"src": f"n{rng.randrange(max(0, i - 200), i)}", "dst": f"n{i}",
                          "port": port})
    rng.shuffle(nodes)
    rng.shuffle(edges)
    return {"format": "gradstudio-graph", "version": 1, "nodes": nodes, "edges": edges}


def test_a_10000_node_file_loads_and_validates(tmp_path: Path) -> None:
    path = tmp_path / "big.gsgraph"
    doc = _big_document(10_000)
    path.write_text(json.dumps(doc))
    model = load(path)
    assert len(model) == 10_000 and len(model.edges()) == len(doc["edges"])
    assert Session(model).forward().errors == {}


def test_a_cycle_deep_in_a_big_shuffled_file_is_found() -> None:
    doc = _big_document(1_000, seed=1)
    model = loads(json.dumps(doc))
    later = max(nx.descendants(model.graph, "n500"), key=lambda n: int(n[1:]))
    edge = next(e for e in doc["edges"] if e["dst"] == "n500")
    edge["src"] = later  # now n500 depends on itself
    with pytest.raises(GraphFileError, match=r"edges\[\d+\]: .* closes a cycle: .*v500"):
        loads(json.dumps(doc))
