"""Undo commands: the only code in the UI that changes the model.

Each command applies its change once through ``apply()`` (which may refuse with a
GraphError before anything happens), then sits on the undo stack; ``undo``/``redo`` replay
it through the same GraphModel calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from PySide6.QtGui import QUndoCommand

from gradstudio.graph import (
    Edge,
    GraphError,
    GraphModel,
    Session,
    SessionState,
    apply_updates,
)

__all__ = ["ModelCommand", "AddNode", "RemoveItems", "Connect", "MoveNodes", "Rename",
           "SetParam", "SetFlag", "SetLoss", "SetSetting", "PasteNodes", "ApplyTrainStep",
           "Composite", "MoveWire", "AddWired", "InsertIntoWire", "first_free_input"]


class ModelCommand(QUndoCommand):
    """Base: ``apply()`` runs the change the first time; the stack's first redo is skipped."""

    def __init__(self, model: GraphModel, text: str) -> None:
        super().__init__(text)
        self.model = model
        self.nodes: tuple[str, ...] = ()  # the nodes a refusal of this edit is about
        self.check_after: object = None  # the GradCheck of the graph it left (Document)
        self._applied = False

    def apply(self) -> None:
        self.do()
        self._applied = True

    def redo(self) -> None:
        if self._applied:
            self._applied = False  # apply() already did the first redo
            return
        self.do()

    def do(self) -> None:  # pragma: no cover - every command overrides it
        raise NotImplementedError


def _snapshot(model: GraphModel, node_id: str) -> dict[str, Any]:
    n = model.node(node_id)
    return {"kind": n.kind, "label": n.label, "params": n.params, "flags": n.flags,
            "position": n.position, "node_id": n.id}


class AddNode(ModelCommand):
    def __init__(self, model: GraphModel, kind: str, position: tuple[float, float],
                 label: str | None = None) -> None:
        super().__init__(model, f"Add {kind}")
        self.kind, self.position, self.label = kind, position, label
        self.node_id: str | None = None

    def do(self) -> None:
        self.node_id = self.model.add_node(self.kind, label=self.label, position=self.position,
                                           node_id=self.node_id)
        self.label = self.model.label(self.node_id)

    def undo(self) -> None:
        self.model.remove_node(self.node_id)


class RemoveItems(ModelCommand):
    """Delete nodes (with all their wires) and wires."""

    def __init__(self, model: GraphModel, node_ids: list[str], edges: list[Edge]) -> None:
        n = len(node_ids) + len(edges)
        super().__init__(model, f"Delete {n} item{'s' * (n != 1)}")
        self.node_ids = list(node_ids)
        gone = set(node_ids)
        wires = {e for e in edges}
        for e in model.edges():
            if e.src in gone or e.dst in gone:
                wires.add(e)
        self.edges = sorted(wires)
        self.nodes = [_snapshot(model, n) for n in self.node_ids]
        self.loss = model.loss

    def do(self) -> None:
        for e in self.edges:
            self.model.disconnect(e)
        for n in self.node_ids:
            self.model.remove_node(n)

    def undo(self) -> None:
        for snap in self.nodes:
            self.model.add_node(snap["kind"], label=snap["label"], params=snap["params"],
                                flags=snap["flags"], position=snap["position"],
                                node_id=snap["node_id"])
        for e in self.edges:
            self.model.connect(*e)
        self.model.set_loss(self.loss)


class Connect(ModelCommand):
    """Wire src into dst.port; an occupied port's old wire is replaced (and restored on
    undo), as in node editors."""

    def __init__(self, model: GraphModel, src: str, dst: str, port: str) -> None:
        super().__init__(model, f"Connect {model.label(src)} → {model.label(dst)}.{port}")
        self.edge = Edge(src, dst, port)
        self.replaced: Edge | None = None
        self.nodes = (dst, src)

    def do(self) -> None:
        self.replaced = self.model.connect(*self.edge, replace=True)

    def undo(self) -> None:
        self.model.disconnect(self.edge)
        if self.replaced is not None:
            self.model.connect(*self.replaced)


class MoveNodes(ModelCommand):
    """One drag of one or more nodes: a single undo step however many pixels it took."""

    def __init__(self, model: GraphModel, moves: dict[str, tuple[tuple, tuple]]) -> None:
        super().__init__(model, f"Move {len(moves)} node{'s' * (len(moves) != 1)}")
        self.moves = moves  # id -> (old position, new position)

    def do(self) -> None:
        for n, (_, new) in self.moves.items():
            self.model.move(n, new)

    def undo(self) -> None:
        for n, (old, _) in self.moves.items():
            self.model.move(n, old)


class Rename(ModelCommand):
    def __init__(self, model: GraphModel, node_id: str, label: str) -> None:
        super().__init__(model, f"Rename {model.label(node_id)} to {label}")
        self.node_id, self.new, self.old = node_id, label, model.label(node_id)
        self.nodes = (node_id,)

    def do(self) -> None:
        self.model.rename(self.node_id, self.new)

    def undo(self) -> None:
        self.model.rename(self.node_id, self.old)


class SetParam(ModelCommand):
    def __init__(self, model: GraphModel, node_id: str, name: str, value: Any) -> None:
        super().__init__(model, f"Set {model.label(node_id)}.{name}")
        self.node_id, self.name, self.new = node_id, name, value
        self.old = model.node(node_id).params[name]
        self.nodes = (node_id,)

    def do(self) -> None:
        self.model.set_param(self.node_id, self.name, self.new)

    def undo(self) -> None:
        self.model.set_param(self.node_id, self.name, self.old)


class ApplyTrainStep(ModelCommand):
    """A train step's new weight values (from ``Session.train_block``). The steps of one run
    merge on the undo stack, so one Ctrl+Z takes back a whole Train N.

    A run also changes the session (gradients, ledger, loss and training histories): undo
    restores ``before`` (``Session.snapshot`` taken before the run's first block) once the
    weights are back, after keeping what the session held then, which redo restores."""

    MERGE_ID = 1

    def __init__(self, model: GraphModel, session: Session, run: object,
                 updates: dict[str, Any], steps: int = 1,
                 before: SessionState | None = None) -> None:
        super().__init__(model, "Train step" if steps == 1 else f"Train {steps} steps")
        self.session = session
        self.run = run  # steps merge only within the same run
        self.steps = steps  # a block of steps run at once (Session.train_block)
        self.old = {n: model.node(n).params["value"] for n in updates}
        self.new = dict(updates)
        self.before = before
        self.after: SessionState | None = None  # what undo found, for redo

    def do(self) -> None:
        apply_updates(self.model, self.new)
        if self.after is not None:
            self.session.restore(self.after)

    def undo(self) -> None:
        if self.before is not None:
            self.after = self.session.snapshot()
        apply_updates(self.model, self.old)
        if self.before is not None:
            self.session.restore(self.before)

    def id(self) -> int:
        return self.MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(other, ApplyTrainStep) or other.run is not self.run:
            return False
        for n, v in other.old.items():
            self.old.setdefault(n, v)  # a weight first changed by a later step
        self.new.update(other.new)
        self.steps += other.steps
        self.setText(f"Train {self.steps} steps")
        return True


class SetFlag(ModelCommand):
    def __init__(self, model: GraphModel, node_id: str, flag: str, on: bool) -> None:
        name = flag.replace("_", " ").replace("no grad", "no-grad")
        super().__init__(model, f"{'Set' if on else 'Clear'} {name} on {model.label(node_id)}")
        self.node_id, self.flag, self.on = node_id, flag, on
        self.old = model.node(node_id).flags[flag]
        self.nodes = (node_id,)

    def do(self) -> None:
        self.model.set_flag(self.node_id, self.flag, self.on)

    def undo(self) -> None:
        self.model.set_flag(self.node_id, self.flag, self.old)


class SetLoss(ModelCommand):
    def __init__(self, model: GraphModel, node_id: str | None) -> None:
        name = "none" if node_id is None else model.label(node_id)
        super().__init__(model, f"Set loss to {name}")
        self.new, self.old = node_id, model.loss
        self.nodes = () if node_id is None else (node_id,)

    def do(self) -> None:
        self.model.set_loss(self.new)

    def undo(self) -> None:
        self.model.set_loss(self.old)


class SetSetting(ModelCommand):
    def __init__(self, model: GraphModel, name: str, value: Any) -> None:
        super().__init__(model, f"Set {name}")
        self.name, self.new = name, value
        self.old = model.settings.as_dict()[name]

    def do(self) -> None:
        self.model.set_setting(self.name, self.new)

    def undo(self) -> None:
        self.model.set_setting(self.name, self.old)


class PasteNodes(ModelCommand):
    """Add copies of nodes (from the clipboard) with fresh ids and free names, keeping the
    wires between them, shifted by ``offset``; with them the copied notes and frames (a
    frame holds the copies of its copied members)."""

    def __init__(self, model: GraphModel, data: dict[str, Any], offset: tuple[float, float],
                 text: str = "Paste") -> None:
        super().__init__(model, text)
        self.data, self.offset = data, offset
        self.ids: dict[str, str] = {}  # clipboard id -> new id (kept for redo)
        self.box_ids: dict[str, str] = {}  # the same for notes and frames

    def do(self) -> None:
        dx, dy = self.offset
        added: list[str] = []
        try:
            for n in self.data.get("nodes", []):
                label = self.model.unique_label(n.get("label") or n["kind"])
                x, y = n.get("position", (0, 0))
                new = self.model.add_node(n["kind"], label=label, params=n.get("params"),
                                          flags=n.get("flags"), position=(x + dx, y + dy),
                                          node_id=self.ids.get(n["id"]))
                self.ids[n["id"]] = new
                added.append(new)
            for e in self.data.get("edges", []):
                if e["src"] in self.ids and e["dst"] in self.ids:
                    self.model.connect(self.ids[e["src"]], self.ids[e["dst"]], e["port"])
            self._paste_boxes(dx, dy)
        except Exception:
            self._remove_boxes()  # nothing half-pasted
            for n in reversed(added):
                self.model.remove_node(n)
            raise

    def _paste_boxes(self, dx: float, dy: float) -> None:
        notes = self.model.annotations
        for n in self.data.get("notes", []):
            (x, y), size = n["position"], n["size"]
            self.box_ids[n["id"]] = notes.add_note(n["text"], (x + dx, y + dy, *size),
                                                   self.box_ids.get(n["id"]))
        for f in self.data.get("frames", []):
            (x, y), size = f["position"], f["size"]
            members = [self.ids[m] for m in f.get("members", []) if m in self.ids]
            self.box_ids[f["id"]] = notes.add_frame(f["title"], (x + dx, y + dy, *size),
                                                    members, self.box_ids.get(f["id"]))

    def _remove_boxes(self) -> None:
        notes = self.model.annotations
        for item_id in reversed(self.new_boxes):
            if item_id in {n.id for n in notes.notes()}:
                notes.remove_note(item_id)
            elif item_id in notes:
                notes.remove_frame(item_id)

    @property
    def new_ids(self) -> list[str]:
        return list(self.ids.values())

    @property
    def new_boxes(self) -> list[str]:
        """The ids of the pasted notes and frames."""
        return list(self.box_ids.values())

    def undo(self) -> None:
        self._remove_boxes()
        for n in reversed(self.new_ids):
            self.model.remove_node(n)


# --- composite edits: one gesture, several model changes, one undo step ------------------------
class Composite(ModelCommand):
    """Several commands as one undo step. ``steps()`` yields them one at a time and each is
    done before the next is made, so a later step can use an earlier one's result (a new
    node's id). If a step is refused, the steps before it are undone and nothing is left."""

    def __init__(self, model: GraphModel, text: str) -> None:
        super().__init__(model, text)
        self.done: list[ModelCommand] = []

    def steps(self) -> Iterator[ModelCommand]:  # pragma: no cover - subclasses override
        raise NotImplementedError

    def do(self) -> None:
        if self.done:  # a redo replays the recorded steps
            for command in self.done:
                command.do()
            return
        try:
            for command in self.steps():
                self.nodes = command.nodes  # a refusal is about the step that was refused
                command.do()
                self.done.append(command)
        except Exception:
            for command in reversed(self.done):
                command.undo()
            self.done = []
            raise

    def undo(self) -> None:
        for command in reversed(self.done):
            command.undo()


class MoveWire(Composite):
    """A wire's end picked up from one input and dropped on another."""

    def __init__(self, model: GraphModel, edge: Edge, dst: str, port: str) -> None:
        super().__init__(model, f"Move wire {model.label(edge.src)} → {model.label(dst)}.{port}")
        self.edge, self.dst, self.port = edge, dst, port

    def steps(self) -> Iterator[ModelCommand]:
        yield RemoveItems(self.model, [], [self.edge])
        yield Connect(self.model, self.edge.src, self.dst, self.port)


def first_free_input(model: GraphModel, node_id: str) -> str | None:
    """The first input port of a node with no wire in it."""
    taken = model.inputs_of(node_id)
    return next((p for p in model.node(node_id).spec.inputs if p not in taken), None)


class AddWired(Composite):
    """Add a node and wire it in: from ``src`` into its first input, and/or from its output
    into ``into`` = (node, port). With both, it is inserted into the wire src -> into."""

    def __init__(self, model: GraphModel, kind_name: str, position: tuple[float, float],
                 src: str | None = None, into: tuple[str, str] | None = None) -> None:
        super().__init__(model, f"Add {kind_name} wired")
        self.kind, self.position, self.src, self.into = kind_name, position, src, into
        self.node_id: str | None = None

    def steps(self) -> Iterator[ModelCommand]:
        add = AddNode(self.model, self.kind, self.position)
        yield add
        self.node_id = add.node_id
        if self.src is not None:
            yield Connect(self.model, self.src, add.node_id, first_free_input(self.model,
                                                                              add.node_id))
        if self.into is not None:
            yield Connect(self.model, add.node_id, *self.into)


class InsertIntoWire(Composite):
    """A card dropped on a wire: (moved there and) spliced in, src -> node -> old dst."""

    def __init__(self, model: GraphModel, node_id: str, edge: Edge,
                 moves: dict[str, tuple[tuple, tuple]] | None = None) -> None:
        super().__init__(model, f"Insert {model.label(node_id)} into a wire")
        self.node_id, self.edge, self.moves = node_id, edge, moves

    def steps(self) -> Iterator[ModelCommand]:
        if self.moves:
            yield MoveNodes(self.model, self.moves)
        port = first_free_input(self.model, self.node_id)
        if port is None:
            raise GraphError(f"{self.model.label(self.node_id)} has no free input")
        yield Connect(self.model, self.edge.src, self.node_id, port)
        yield Connect(self.model, self.node_id, self.edge.dst, self.edge.port)
