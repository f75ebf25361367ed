"""GraphModel: the document, a networkx MultiDiGraph of nodes and wires.

Nodes carry kind, label, parameters, flags and a canvas position; an edge runs from a node's
output to one input port of another node and is keyed by that port, so ``mul(x, x)`` is two
edges. Every edit is checked before it happens and either happens completely or raises a
GraphError that names the nodes and ports. Observers hear about every change.
"""

from __future__ import annotations

import copy
import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import networkx as nx

from . import limits
from .annotations import Annotations, Exercise, check_exercise
from .catalog import KINDS, GraphError, NodeKind, kind, value_shape
from .limits import MAX_COORDINATE, count
from .shapes import Budget, downstream
from .shapes import Change as SizeChange

__all__ = ["GraphModel", "Edge", "NodeData", "ModelEvent", "Change", "FLAGS", "GraphError",
           "LR_MIN", "LR_MAX", "check_lr"]

FLAGS = ("requires_grad", "detach", "no_grad")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_LABEL = 40
# The learning rates a document may hold: what the toolbar's box offers and files are checked
# against (a step of lr * grad outside this is a typo, not an experiment).
LR_MIN, LR_MAX = 0.0001, 100.0


def check_lr(value: Any) -> float:
    """``value`` as a learning rate, or a GraphError saying the allowed range."""
    try:
        lr = None if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        lr = None
    if lr is None or not LR_MIN <= lr <= LR_MAX:
        raise GraphError(f"learning rate must be a number from {LR_MIN:g} to {LR_MAX:g}, "
                         f"got {value!r}")
    return lr


class Edge(NamedTuple):
    """A wire from ``src``'s output into input ``port`` of ``dst``."""

    src: str
    dst: str
    port: str


class NodeData(NamedTuple):
    """A read-only snapshot of one node (a named tuple: a trace or an export takes one of
    every node, and a frozen dataclass costs four times as much to make)."""

    id: str
    kind: str
    label: str
    params: dict[str, Any]
    flags: dict[str, bool]
    position: tuple[float, float]

    @property
    def spec(self) -> NodeKind:
        return kind(self.kind)


class Change(enum.Enum):
    """The kinds of change a model announces (an enum, so a misspelt kind fails loudly)."""

    NODE_ADDED = "node_added"
    NODE_REMOVED = "node_removed"
    NODE_CHANGED = "node_changed"  # detail: "label", "params" or "flags"
    NODE_MOVED = "node_moved"
    EDGE_ADDED = "edge_added"
    EDGE_REMOVED = "edge_removed"
    LOSS_CHANGED = "loss_changed"
    SETTINGS_CHANGED = "settings_changed"  # detail: the setting's name
    RESET = "reset"  # the whole document was replaced
    # notes, frames and the exercise (graph/annotations.py): item is the note's or frame's id
    NOTE_ADDED = "note_added"
    NOTE_REMOVED = "note_removed"
    NOTE_CHANGED = "note_changed"
    FRAME_ADDED = "frame_added"
    FRAME_REMOVED = "frame_removed"
    FRAME_CHANGED = "frame_changed"
    EXERCISE_CHANGED = "exercise_changed"

    @property
    def is_annotation(self) -> bool:
        """A change to notes, frames or the exercise: nothing computed changes."""
        return self in _ANNOTATION_CHANGES


_ANNOTATION_CHANGES = frozenset(c for c in Change if c.name.startswith(("NOTE_", "FRAME_",
                                                                        "EXERCISE_")))


@dataclass(frozen=True)
class ModelEvent:
    """What changed (``kind``), and which node, wire or detail it concerns."""

    kind: Change
    node: str | None = None
    edge: Edge | None = None
    detail: str | None = None  # for node_changed: "label", "params" or "flags"
    item: str | None = None  # for a note's or frame's change: its id


@dataclass
class Settings:
    lr: float = 0.1
    dtype: str = "float32"

    def as_dict(self) -> dict[str, Any]:
        return {"lr": self.lr, "dtype": self.dtype}


@dataclass
class _Counters:
    structure: int = 0  # anything the compiled plan depends on
    values: int = 0  # leaf values and requires_grad


class GraphModel:
    """The graph document. Views read it and subscribe; only its methods change it."""

    def __init__(self) -> None:
        self._g = nx.MultiDiGraph()
        self._labels: dict[str, str] = {}  # label -> node id; labels are unique
        self._free_from: dict[str, int] = {}  # base -> every base{2..i-1} is taken (naming)
        self._budget = Budget()  # each node's result shape, checked against the limits
        self._sizing = True  # add_node sizes each node (from_dict sizes them all at the end)
        self._loss: str | None = None
        self.settings = Settings()
        self.description = ""  # what the graph shows, e.g. which notebook section
        self.annotations = Annotations(
            lambda what, item: self._announce(ModelEvent(Change[what], item=item)),
            self.__contains__)
        self.exercise = Exercise()  # what the quiz asks (set_exercise)
        self.derived: dict[str, Any] = {}  # analyses cached by callers, keyed by version
        self._observers: list[Callable[[ModelEvent], None]] = []
        self._counters = _Counters()
        self._next_id = 1

    # --- observing ------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[ModelEvent], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after every change; returns a function that unsubscribes."""
        self._observers.append(callback)
        return lambda: self._observers.remove(callback) if callback in self._observers else None

    def _emit(self, event: ModelEvent, structural: bool = True) -> None:
        if structural:
            self._counters.structure += 1
        else:
            self._counters.values += 1
        for callback in list(self._observers):
            callback(event)

    def _announce(self, event: ModelEvent) -> None:
        """Tell observers of a change that alters nothing computed (moves, notes)."""
        for callback in list(self._observers):
            callback(event)

    @property
    def structure_version(self) -> int:
        """Changes whenever the compiled evaluation plan must be rebuilt."""
        return self._counters.structure

    @property
    def values_version(self) -> int:
        return self._counters.values

    # --- reading --------------------------------------------------------------------------
    @property
    def graph(self) -> nx.MultiDiGraph:
        """A read-only view of the networkx graph."""
        return self._g.copy(as_view=True)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._g

    def __len__(self) -> int:
        return self._g.number_of_nodes()

    def node_ids(self) -> list[str]:
        return list(self._g.nodes)

    def node(self, node_id: str) -> NodeData:
        a = self._attrs(node_id)
        return NodeData(node_id, a["kind"], a["label"], dict(a["params"]), dict(a["flags"]),
                        a["position"])

    def nodes(self) -> list[NodeData]:
        return [self.node(n) for n in self._g.nodes]

    def edges(self) -> list[Edge]:
        return [Edge(u, v, k) for u, v, k in self._g.edges(keys=True)]

    def inputs_of(self, node_id: str) -> dict[str, str]:
        """Port name -> the node wired into it."""
        self._attrs(node_id)
        return {k: u for u, ports in self._g.pred[node_id].items() for k in ports}

    def consumers_of(self, node_id: str) -> list[Edge]:
        self._attrs(node_id)
        return [Edge(u, v, k) for u, v, k in self._g.out_edges(node_id, keys=True)]

    def find(self, label_or_id: str) -> str:
        """The id of the node with this label (or id); a GraphError if there is none.
        Labels are what people see, so a label wins over another node's id."""
        if label_or_id in self._labels:
            return self._labels[label_or_id]
        if label_or_id in self._g:
            return label_or_id
        known = ", ".join(sorted(self._labels)) or "none"
        raise GraphError(f"no node called '{label_or_id}' (nodes: {known})")

    def label(self, node_id: str) -> str:
        return self._attrs(node_id)["label"]

    @property
    def loss(self) -> str | None:
        """The node backward starts from, when the user has chosen one."""
        return self._loss

    def _attrs(self, node_id: str) -> dict[str, Any]:
        try:
            return self._g.nodes[node_id]
        except KeyError:
            raise GraphError(f"no node with id '{node_id}'") from None

    # --- editing nodes --------------------------------------------------------------------
    def add_node(self, kind_name: str, *, label: str | None = None,
                 params: dict[str, Any] | None = None, flags: dict[str, bool] | None = None,
                 position: tuple[float, float] = (0.0, 0.0), node_id: str | None = None) -> str:
        """Add a node; unspecified parameters and flags take the kind's defaults."""
        spec = kind(kind_name)
        if node_id is not None:
            if not isinstance(node_id, str) or not _ID.match(node_id):
                raise GraphError(f"node id {node_id!r} must be 1-40 letters, digits, - or _")
            if node_id in self._g:
                raise GraphError(f"a node with id '{node_id}' already exists")
        values = spec.defaults()
        for name, value in (params or {}).items():
            values[name] = spec.param(name).parse(value)
        node_flags = {"requires_grad": spec.requires_grad and spec.is_leaf, "detach": False,
                      "no_grad": False}
        for name, on in (flags or {}).items():
            if on is not False or name not in node_flags:  # a flag off is always allowed
                self._check_flag(spec, label or spec.title, name, on)
            node_flags[name] = bool(on)
        label = self._unique_label(spec.default_label or spec.name) if label is None else label
        self._check_label(label, None)
        pos = _position(position)
        if len(self._g) >= limits.MAX_NODES:
            raise GraphError(f"the graph already holds {count(limits.MAX_NODES, 'nodes')}, "
                             "the most a graph can hold")
        if node_id is None:
            node_id = self._new_id()
        else:
            self._bump_id(node_id)
        if self._sizing:  # (a file's nodes are sized all at once, after its wires)
            new = {"kind": kind_name, "label": label, "params": values}  # a refusal skips an id
            self._budget.commit(self._budget.propose([node_id], lambda n: new, lambda n: {}))
        self._g.add_node(node_id, kind=kind_name, label=label, params=values, flags=node_flags,
                         position=pos)
        self._labels[label] = node_id
        if self._observers:
            self._emit(ModelEvent(Change.NODE_ADDED, node=node_id))
        else:  # a model being built from a file: no event to make for nobody
            self._counters.structure += 1
        return node_id

    def remove_node(self, node_id: str) -> None:
        """Remove a node and its wires (each announced as removed first)."""
        self._attrs(node_id)
        for edge in [Edge(u, v, k) for u, v, k in self._g.in_edges(node_id, keys=True)] + \
                self.consumers_of(node_id):
            self.disconnect(edge)
        if self._loss == node_id:
            self.set_loss(None)
        self._free_label(self._g.nodes[node_id]["label"])
        self._g.remove_node(node_id)
        self._budget.forget(node_id)
        self._emit(ModelEvent(Change.NODE_REMOVED, node=node_id))

    def rename(self, node_id: str, label: str) -> None:
        self._attrs(node_id)
        self._check_label(label, node_id)
        self._free_label(self._g.nodes[node_id]["label"])
        self._g.nodes[node_id]["label"] = label
        self._labels[label] = node_id
        self._emit(ModelEvent(Change.NODE_CHANGED, node=node_id, detail="label"), structural=False)

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set a parameter from Python data or text; refused with the reason if it does not
        parse, and the old value is kept."""
        a = self._attrs(node_id)
        spec = kind(a["kind"])
        try:
            parsed = spec.param(name).parse(value)
        except GraphError as e:
            raise GraphError(f"{a['label']}: {e}") from None
        sizes = self._sizes([node_id], value_of={node_id: parsed}) if spec.is_leaf else None
        a["params"] = {**a["params"], name: parsed}
        if sizes is not None:
            self._budget.commit(sizes)
        self._emit(ModelEvent(Change.NODE_CHANGED, node=node_id, detail="params"),
                   structural=not spec.is_leaf)

    def set_flag(self, node_id: str, flag: str, on: bool) -> None:
        a = self._attrs(node_id)
        self._check_flag(kind(a["kind"]), a["label"], flag, on)
        a["flags"] = {**a["flags"], flag: bool(on)}
        self._emit(ModelEvent(Change.NODE_CHANGED, node=node_id, detail="flags"),
                   structural=flag != "requires_grad")

    def move(self, node_id: str, position: tuple[float, float]) -> None:
        a = self._attrs(node_id)
        try:
            a["position"] = _position(position)
        except GraphError as e:
            raise GraphError(f"{a['label']}: {e}") from None
        self._announce(ModelEvent(Change.NODE_MOVED, node=node_id))  # nothing computed moves

    def set_loss(self, node_id: str | None) -> None:
        """Choose the node backward starts from (None: the graph's single end node)."""
        if node_id is not None:
            self._attrs(node_id)
        if node_id != self._loss:
            self._loss = node_id
            self._emit(ModelEvent(Change.LOSS_CHANGED, node=node_id))

    def set_setting(self, name: str, value: Any) -> None:
        if name == "lr":
            self.settings.lr = check_lr(value)
        elif name == "dtype":
            if value not in ("float32", "float64"):
                raise GraphError(f"dtype must be float32 or float64, got {value!r}")
            self.settings.dtype = value
        else:
            raise GraphError(f"unknown setting '{name}'")
        self._emit(ModelEvent(Change.SETTINGS_CHANGED, detail=name), structural=name == "dtype")

    def set_exercise(self, exercise: Exercise) -> None:
        """Replace the quiz's questions (their nodes must exist)."""
        for q in exercise.questions:
            self._attrs(q.node)
        self.exercise = exercise
        self._announce(ModelEvent(Change.EXERCISE_CHANGED))

    # --- wiring ---------------------------------------------------------------------------
    def check_connection(self, src: str, dst: str, port: str, replace: bool = False, *,
                         cycles: bool = True) -> None:
        """Raise a GraphError saying why ``src -> dst.port`` cannot be made: also when a
        result would pass the element limits (``cycles=False`` skips the cycle and size
        checks, for a caller that checks the whole graph once)."""
        sa, da = self._attrs(src), self._attrs(dst)
        dspec = kind(da["kind"])
        if port not in dspec.inputs:
            ports = ", ".join(dspec.inputs) or "none: it is a leaf"
            raise GraphError(f"{da['label']} has no input '{port}' (inputs: {ports})")
        if src == dst:
            raise GraphError(f"cannot wire {sa['label']} into its own input '{port}'")
        if cycles and nx.has_path(self._g, dst, src):
            raise GraphError(f"wiring {sa['label']} into {da['label']}.{port} would close a "
                             f"cycle: {da['label']} already feeds {sa['label']}")
        current = self.inputs_of(dst).get(port)
        if current is not None and not replace:
            raise GraphError(f"{da['label']}.{port} is already wired to "
                             f"{self.label(current)}; remove that wire first")
        if cycles:
            wired = {**self.inputs_of(dst), port: src}
            self._sizes([dst], inputs=lambda n: wired if n == dst else self.inputs_of(n))

    def connect(self, src: str, dst: str, port: str, replace: bool = False) -> Edge | None:
        """Wire src's output into dst's input port. An occupied port is refused, or with
        ``replace=True`` its old wire is removed first; that old wire is returned."""
        self.check_connection(src, dst, port, replace)
        old_src = self.inputs_of(dst).get(port)
        old = Edge(old_src, dst, port) if old_src is not None else None
        if old is not None:
            self.disconnect(old)
        self._g.add_edge(src, dst, key=port)
        self._budget.commit(self._sizes([dst]))
        self._emit(ModelEvent(Change.EDGE_ADDED, edge=Edge(src, dst, port)))
        return old

    def disconnect(self, edge: Edge) -> None:
        if not self._g.has_edge(edge.src, edge.dst, key=edge.port):
            raise GraphError(f"there is no wire from {edge.src} into {edge.dst}.{edge.port}")
        self._g.remove_edge(edge.src, edge.dst, key=edge.port)
        self._budget.commit(self._sizes([edge.dst]))  # fewer inputs: never more elements
        self._emit(ModelEvent(Change.EDGE_REMOVED, edge=Edge(*edge)))

    # --- whole documents ------------------------------------------------------------------
    def to_dict(self, node_ids: Iterable[str] | None = None) -> dict[str, Any]:
        """Plain data for files and the clipboard; with ``node_ids``, only those nodes and
        the wires between them."""
        keep = set(self._g.nodes if node_ids is None else node_ids)
        nodes = [{"id": n.id, "kind": n.kind, "label": n.label, "params": n.params,
                  "flags": n.flags, "position": list(n.position)}
                 for n in self.nodes() if n.id in keep]
        edges = [{"src": e.src, "dst": e.dst, "port": e.port}
                 for e in self.edges() if e.src in keep and e.dst in keep]
        loss = self._loss if self._loss in keep else None
        data = {"nodes": copy.deepcopy(nodes), "edges": edges, "loss": loss,
                "settings": self.settings.as_dict()}
        if self.description:
            data["description"] = self.description
        if node_ids is None:  # a whole document: its notes, frames and questions too
            if self.exercise.questions or self.exercise.intro:
                data["exercise"] = self.exercise.to_dict(self.__contains__)
            data.update(self.annotations.to_dict())
        return data

    def load_dict(self, data: dict[str, Any]) -> None:
        """Replace the whole document. Everything is checked on a scratch model first, so a
        bad document leaves this one untouched."""
        self.take_over(GraphModel.from_dict(data))

    def take_over(self, other: GraphModel) -> None:
        """Replace the whole document by ``other``'s, which must not be used afterwards: how
        a file read and checked into a model becomes the document without a second pass."""
        self._g, self._loss, self.settings = other._g, other._loss, other.settings
        self._labels, self._free_from = other._labels, other._free_from
        self._budget = other._budget
        self.description = other.description
        self.annotations.take_over(other.annotations)
        self.exercise = other.exercise
        self._next_id = other._next_id
        self._emit(ModelEvent(Change.RESET))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GraphModel:
        """A new model from plain data (as ``to_dict`` gives); GraphError if it is not one."""
        try:
            return cls._from_dict(data)
        except (KeyError, TypeError, AttributeError) as e:  # not shaped like a document
            raise GraphError(f"not a graph document: {type(e).__name__}: {e}") from None

    @classmethod
    def _from_dict(cls, data: dict[str, Any]) -> GraphModel:
        model = cls()
        model._sizing = False
        sized = _sizes_first(data)
        model.description = str(data.get("description", ""))
        for i, n in enumerate(data.get("nodes", [])):
            try:
                model.add_node(n["kind"], label=n.get("label"), params=n.get("params"),
                               flags=n.get("flags"), position=tuple(n.get("position", (0, 0))),
                               node_id=n.get("id"))
            except GraphError as e:
                raise GraphError(f"nodes[{i}] ({n.get('label', n.get('id'))}): {e}") from None
        nodes = model._g.nodes
        ports = {n: kind(k).inputs for n, k in nodes(data="kind")}  # each node's inputs
        wiring = _Wiring(ports)
        add_edge = model._g.add_edge
        for i, e in enumerate(data.get("edges", [])):
            try:
                known = e["src"] in ports and e["dst"] in ports
            except (KeyError, TypeError):  # a missing end or one that is no id: said below
                known = False
            if not known:
                for end in ("src", "dst"):
                    if e[end] not in model:
                        raise GraphError(f"edges[{i}]: {end} '{e[end]}' is not a node")
            src, dst, port = e["src"], e["dst"], e["port"]
            # the common case checked here; anything else gets check_connection's message
            if src == dst or port not in ports[dst] or port in wiring.inputs[dst]:
                try:
                    model.check_connection(src, dst, port, cycles=False)
                except GraphError as err:
                    raise GraphError(f"edges[{i}]: {err}") from None
            wiring.add(src, dst, port)
            add_edge(src, dst, key=port)
        model._check_acyclic(data.get("edges", []), wiring)
        if sized is None or not _same_leaf_shapes(nodes(data=True), sized):
            order = downstream(wiring.succ, wiring.pred, nodes)  # once, before anything runs
            sized = model._budget.propose(order, nodes.__getitem__, wiring.inputs.__getitem__)
        model._budget.commit(sized)
        model._sizing = True
        if data.get("loss") is not None:
            if data["loss"] not in model:
                raise GraphError(f"loss: '{data['loss']}' is not a node")
            model.set_loss(data["loss"])
        for name, value in data.get("settings", {}).items():
            try:
                model.set_setting(name, value)
            except GraphError as e:
                raise GraphError(f"settings.{name}: {e}") from None
        if "exercise" in data:
            model.exercise = check_exercise(data["exercise"], model.__contains__)
        model.annotations.load(data)
        return model

    def clear(self) -> None:
        self.load_dict({"nodes": [], "edges": []})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GraphModel) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    # --- checks ---------------------------------------------------------------------------
    def _check_acyclic(self, edges: list[dict[str, str]], wiring: _Wiring) -> None:
        """One pass over the whole graph (a check per wire is quadratic on big files)."""
        waiting = {n: len(ports) for n, ports in wiring.inputs.items()}
        ready = [n for n, d in waiting.items() if d == 0]
        succ, done = wiring.succ, 0
        while ready:  # Kahn's algorithm: every node comes out unless wires close a cycle
            n = ready.pop()
            done += 1
            for child, wires in succ[n].items():
                waiting[child] -= wires
                if waiting[child] == 0:
                    ready.append(child)
        if done == len(waiting):
            return
        cycle = nx.find_cycle(self._g)
        where = {(e["src"], e["dst"], e["port"]): i for i, e in enumerate(edges)}
        src, dst, port = cycle[-1][:3]
        names = " -> ".join([self.label(u) for u, *_ in cycle] + [self.label(cycle[0][0])])
        raise GraphError(f"edges[{where[(src, dst, port)]}]: wiring {self.label(src)} into "
                         f"{self.label(dst)}.{port} closes a cycle: {names}")

    def _check_flag(self, spec: NodeKind, label: str, flag: str, on: bool) -> None:
        if flag not in FLAGS:
            raise GraphError(f"unknown flag '{flag}' (flags: {', '.join(FLAGS)})")
        if not isinstance(on, bool):
            raise GraphError(f"{flag} must be true or false, got {on!r}")
        if flag == "requires_grad" and not spec.is_leaf and on:
            raise GraphError(f"{label} is computed: whether it requires grad follows from its "
                             "inputs. Turn requires_grad on at a leaf (Input or Weight).")
        if flag == "no_grad" and spec.is_leaf and on:
            raise GraphError(f"{label} is a leaf: no-grad applies to operations. Use "
                             "requires_grad or detach on a leaf.")

    def _check_label(self, label: str, node_id: str | None) -> None:
        if not isinstance(label, str) or not label.strip():
            raise GraphError("a node's name cannot be empty")
        if len(label) > MAX_LABEL or "\n" in label:
            raise GraphError(f"a node's name must be one line of at most {MAX_LABEL} characters")
        if self._labels.get(label, node_id) != node_id:
            raise GraphError(f"a node called '{label}' already exists")

    def _sizes(self, roots: Iterable[str], inputs: Callable[[str], dict[str, str]] | None = None,
               value_of: dict[str, Any] | None = None) -> SizeChange:
        """The result sizes of ``roots`` and all they feed after an edit (``inputs`` and
        ``value_of`` as they will be); GraphError naming a node that would pass a limit."""
        order = downstream(self._g.succ, self._g.pred, roots)
        return self._budget.propose(order, self._attrs, inputs or self.inputs_of, value_of)

    def result_shape(self, node_id: str) -> tuple[int, ...] | None:
        """The shape the node's result will have (None when it has none: an unwired input
        or shapes that do not broadcast), known without computing anything."""
        self._attrs(node_id)
        return self._budget.shape(node_id)

    def _unique_label(self, base: str) -> str:
        """``base``, else the first free ``base2``, ``base3``, …: where the last search for
        ``base`` stopped is remembered, so naming n nodes alike is linear, not quadratic."""
        if base not in self._labels:
            return base
        i = self._free_from.get(base, 2)
        while f"{base}{i}" in self._labels:
            i += 1
        self._free_from[base] = i
        return f"{base}{i}"

    def _free_label(self, label: str) -> None:
        """``label`` is no longer taken: a search for a base it extends starts at it again."""
        del self._labels[label]
        digits = len(label) - len(label.rstrip("0123456789"))
        for cut in range(len(label) - digits, len(label)):  # "x12": base "x" or "x1"
            base, suffix = label[:cut], label[cut:]
            start = self._free_from.get(base)
            if start is not None and suffix[0] != "0" and 2 <= int(suffix) < start:
                self._free_from[base] = int(suffix)

    def unique_label(self, base: str) -> str:
        """A free name starting with ``base`` (for pasting copies)."""
        return self._unique_label(base)

    def _new_id(self) -> str:
        while f"n{self._next_id}" in self._g:
            self._next_id += 1
        node_id = f"n{self._next_id}"
        self._next_id += 1
        return node_id

    def _bump_id(self, node_id: str) -> None:
        if node_id.startswith("n") and node_id[1:].isdigit():
            self._next_id = max(self._next_id, int(node_id[1:]) + 1)


class _Wiring:
    """A file's wires as plain dicts while its model is built, in the order networkx keeps
    them (children and parents in first-wired order): the whole-graph checks read these,
    not networkx's views made anew at each step."""

    def __init__(self, nodes: Iterable[str]) -> None:
        self.inputs: dict[str, dict[str, str]] = {n: {} for n in nodes}  # port -> source
        self.succ: dict[str, dict[str, int]] = {n: {} for n in self.inputs}  # -> wire count
        self.pred: dict[str, dict[str, None]] = {n: {} for n in self.inputs}

    def add(self, src: str, dst: str, port: str) -> None:
        self.inputs[dst][port] = src
        self.succ[src][dst] = self.succ[src].get(dst, 0) + 1
        self.pred[dst][src] = None


def _sizes_first(data: dict[str, Any]) -> SizeChange | None:
    """The element budget on the document's plain data, before any node is built: a file of
    100,000 nodes whose last product passes the limit is refused in a fraction of a second,
    not after the whole model is made. Best effort: anything malformed is left to the checks
    that build the model (which size everything again, exactly: None). The sizes found are
    the model's once its leaves' values have the shapes sized here (``_same_leaf_shapes``)."""
    try:
        nodes = {n["id"]: n for n in data.get("nodes", [])}
        wiring = _Wiring(nodes)
        for e in data.get("edges", []):
            if e["src"] in nodes and e["dst"] in nodes:
                wiring.add(e["src"], e["dst"], e["port"])

        def attrs(n: str) -> dict[str, Any]:
            node = nodes[n]
            params = node.get("params") or {}
            if kind(node["kind"]).is_leaf and "value" not in params:
                params = {"value": kind(node["kind"]).defaults()["value"]}
            return {"kind": node["kind"], "label": node.get("label", n), "params": params}

        order = downstream(wiring.succ, wiring.pred, nodes)
        if any(n["kind"] not in KINDS for n in nodes.values()):
            return None  # said with the node's place by the model's checks
    except Exception:  # noqa: BLE001 - malformed data: the model's own checks say what
        return None
    try:
        return Budget().propose(order, attrs, wiring.inputs.__getitem__)
    except GraphError:
        raise
    except Exception:  # noqa: BLE001 - a malformed value, say: the same
        return None


def _same_leaf_shapes(nodes: Iterable[tuple[str, dict[str, Any]]], sized: SizeChange) -> bool:
    """Whether every leaf's parsed value has the shape its plain data was sized with (text
    such as "1, 2, 3" is sized as one number before it is parsed). The wires are the data's
    once the model is built, and an op's size follows from its inputs' alone."""
    return all(sized.shape.get(n) == value_shape(a["params"].get("value", 0.0))
               for n, a in nodes if kind(a["kind"]).is_leaf)


def _position(position: Any) -> tuple[float, float]:
    try:
        if isinstance(position, (str, bytes)):
            raise TypeError  # "12" is not the point (1, 2)
        x, y = position
        if isinstance(x, bool) or isinstance(y, bool):
            raise TypeError
        x, y = float(x), float(y)
    except (TypeError, ValueError):
        raise GraphError(f"a position is two numbers, got {position!r}") from None
    if x != x or y != y or abs(x) > MAX_COORDINATE or abs(y) > MAX_COORDINATE:
        raise GraphError(f"position {position!r} is out of range")
    return (x, y)
