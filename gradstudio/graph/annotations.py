"""What a teacher adds to a graph beside its nodes: text notes, frames (titled backdrops
that group nodes) and the exercise (which nodes the quiz asks about, with hints).

They change nothing that is computed. ``Annotations`` holds the notes and frames of one
``GraphModel`` (``model.annotations``); every edit is checked first, then announced to the
model's observers as a ``ModelEvent`` whose ``item`` is the note's or frame's id, without
touching the model's versions (no evaluation follows).

A frame's members are explicit: the ids of the nodes it groups, stored in the file. Moving
the frame moves them; a card dragged out of the frame stays a member until it is taken out.
A member whose node is deleted is skipped (and not saved), so undoing the delete brings the
node back into its frame.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from .catalog import GraphError

__all__ = ["Note", "Frame", "Question", "Exercise", "Annotations", "Rect", "note_html",
           "note_markdown", "markdown_text",
           "MAX_NOTE_TEXT", "MAX_TITLE", "MIN_NOTE_SIZE", "MIN_FRAME_SIZE", "ASK"]

Rect = tuple[float, float, float, float]  # x, y (top-left), width, height in scene units
MAX_NOTE_TEXT = 10000
MAX_TITLE = 200
MAX_HINT = 2000
MIN_NOTE_SIZE = (60.0, 30.0)
MIN_FRAME_SIZE = (80.0, 50.0)
MAX_EXTENT = 1e7  # positions and sizes, as for nodes
ASK = ("grad", "value")  # what a question asks of its node
_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class Note:
    """A text note on the canvas; ``text`` uses the small markup of ``note_html``."""

    id: str
    text: str
    rect: Rect


@dataclass(frozen=True)
class Frame:
    """A titled backdrop; ``members`` are the ids of the nodes it groups and moves."""

    id: str
    title: str
    rect: Rect
    members: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """Predict ``node``'s ``.grad`` (``ask="grad"``) or its value (``ask="value"``)."""

    node: str
    ask: str = "grad"
    hint: str = ""


@dataclass(frozen=True)
class Exercise:
    """The questions a graph's quiz asks, in order, and an optional introduction."""

    questions: tuple[Question, ...] = ()
    intro: str = ""

    def to_dict(self, keep: Callable[[str], bool]) -> dict[str, Any]:
        questions = []
        for q in self.questions:
            if keep(q.node):
                questions.append({"node": q.node, "ask": q.ask, **({"hint": q.hint}
                                                                    if q.hint else {})})
        return {**({"intro": self.intro} if self.intro else {}), "questions": questions}


def check_exercise(data: Any, is_node: Callable[[str], bool]) -> Exercise:
    """An Exercise from a file's ``exercise`` section; GraphError naming the question."""
    questions, seen = [], set()
    for i, q in enumerate(data.get("questions", [])):
        where = f"exercise.questions[{i}]"
        node, ask, hint = q.get("node"), q.get("ask", "grad"), q.get("hint", "")
        if not isinstance(node, str) or not is_node(node):
            raise GraphError(f"{where}: '{node}' is not a node")
        if ask not in ASK:
            raise GraphError(f"{where}: ask must be one of {', '.join(ASK)}, got {ask!r}")
        if not isinstance(hint, str) or len(hint) > MAX_HINT:
            raise GraphError(f"{where}: a hint is text of at most {MAX_HINT} characters")
        if (node, ask) in seen:
            raise GraphError(f"{where}: node '{node}' is already asked for its {ask}")
        seen.add((node, ask))
        questions.append(Question(node, ask, hint))
    intro = data.get("intro", "")
    if not isinstance(intro, str) or len(intro) > MAX_HINT:
        raise GraphError(f"exercise.intro: text of at most {MAX_HINT} characters")
    return Exercise(tuple(questions), intro)


# --- note text: a tiny, safe markup ---------------------------------------------------------
_INLINE = re.compile(r"`([^`\n]+)`|\*\*([^*\n]+)\*\*|\*([^*\n]+)\*")
_MARKDOWN = "`*_[]<>#|~&"  # markdown's own characters, besides the backslash


def markdown_text(text: str) -> str:
    """Plain text in markdown as it is: a label or a formula must not turn into emphasis,
    links or HTML. Each of markdown's characters gets a backslash before it (the backslash
    first, so the added ones stay single): ``str.replace`` per character is several times
    faster than one regular expression, and the notebook escapes every step's words."""
    text = text.replace("\\", "\\\\")
    for c in _MARKDOWN:
        if c in text:
            text = text.replace(c, "\\" + c)
    return text


def _render(text: str, escape: Callable[[str], str], code_escape: Callable[[str], str],
            forms: tuple[str, str, str], line_break: str) -> str:
    """The note's markup with each form wrapped in its template (``forms``: code, bold,
    italics, each with ``{}``), code escaped by ``code_escape``, everything else by
    ``escape``."""
    code, bold, italic = forms
    out = []
    for line in text.split("\n"):
        pos, parts = 0, []
        for m in _INLINE.finditer(line):
            parts.append(escape(line[pos:m.start()]))
            c, b, i = m.groups()
            parts.append(code.format(code_escape(c)) if c is not None else
                         bold.format(escape(b)) if b is not None else italic.format(escape(i)))
            pos = m.end()
        parts.append(escape(line[pos:]))
        out.append("".join(parts))
    return line_break.join(out)


def note_html(text: str) -> str:
    """A note's text as HTML with only <b>, <i>, <code> and <br>: ``**bold**``,
    ``*italics*``, ```code```, and line breaks. Everything else is escaped, so a file can
    never put its own HTML (links, images, styles) on the canvas."""
    def escape(t: str) -> str:
        return html.escape(t, quote=False)

    return _render(text, escape, escape, ("<code>{}</code>", "<b>{}</b>", "<i>{}</i>"), "<br>")


def note_markdown(text: str) -> str:
    """A note's text as markdown (the exported notebook): the same three forms, line
    breaks kept (two trailing spaces), everything else escaped as ``markdown_text`` does."""
    # a code span shows its text as it is (no escapes inside); it holds no backtick
    return _render(text, markdown_text, str, ("`{}`", "**{}**", "*{}*"), "  \n")


# --- checks ---------------------------------------------------------------------------------
def _rect(rect: Any, minimum: tuple[float, float], what: str) -> Rect:
    try:
        if isinstance(rect, (str, bytes)) or any(isinstance(v, bool) for v in rect):
            raise TypeError
        x, y, w, h = (float(v) for v in rect)
    except (TypeError, ValueError):
        raise GraphError(f"{what}: a rectangle is four numbers (x, y, width, height), got "
                         f"{rect!r}") from None
    if any(v != v or abs(v) > MAX_EXTENT for v in (x, y, w, h)):
        raise GraphError(f"{what}: rectangle {rect!r} is out of range")
    return (x, y, max(w, minimum[0]), max(h, minimum[1]))


def _text(text: Any, limit: int, what: str, one_line: bool = False) -> str:
    if not isinstance(text, str) or len(text) > limit or (one_line and "\n" in text):
        lines = "one line of " if one_line else ""
        raise GraphError(f"{what} must be {lines}text of at most {limit} characters")
    return text


class Annotations:
    """The notes and frames of one model. Read with ``notes()``/``frames()``; every method
    that changes them announces a ModelEvent through ``emit``."""

    def __init__(self, emit: Callable[[Any, str], None], is_node: Callable[[str], bool]
                 ) -> None:
        self._emit, self._is_node = emit, is_node  # emit(Change member name, item id)
        self._notes: dict[str, Note] = {}
        self._frames: dict[str, Frame] = {}
        self._next = 1

    # --- reading ----------------------------------------------------------------------------
    def notes(self) -> list[Note]:
        return list(self._notes.values())

    def frames(self) -> list[Frame]:
        """Frames with their members that are nodes now."""
        return [self.frame(f) for f in self._frames]

    def note(self, note_id: str) -> Note:
        try:
            return self._notes[note_id]
        except KeyError:
            raise GraphError(f"no note with id '{note_id}'") from None

    def frame(self, frame_id: str) -> Frame:
        try:
            f = self._frames[frame_id]
        except KeyError:
            raise GraphError(f"no frame with id '{frame_id}'") from None
        return replace(f, members=tuple(m for m in f.members if self._is_node(m)))

    def frames_of(self, node_id: str) -> list[str]:
        """The ids of the frames a node belongs to."""
        return [f.id for f in self._frames.values() if node_id in f.members]

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._notes or item_id in self._frames

    # --- notes ------------------------------------------------------------------------------
    def add_note(self, text: str, rect: Rect, note_id: str | None = None) -> str:
        note = Note(self._check_new_id(note_id, "note"), _text(text, MAX_NOTE_TEXT, "a note"),
                    _rect(rect, MIN_NOTE_SIZE, "note"))
        self._notes[note.id] = note
        self._emit("NOTE_ADDED", note.id)
        return note.id

    def set_note_text(self, note_id: str, text: str) -> None:
        self._notes[note_id] = replace(self.note(note_id),
                                       text=_text(text, MAX_NOTE_TEXT, "a note"))
        self._emit("NOTE_CHANGED", note_id)

    def set_note_rect(self, note_id: str, rect: Rect) -> None:
        self._notes[note_id] = replace(self.note(note_id), rect=_rect(rect, MIN_NOTE_SIZE,
                                                                      "note"))
        self._emit("NOTE_CHANGED", note_id)

    def remove_note(self, note_id: str) -> None:
        self.note(note_id)
        del self._notes[note_id]
        self._emit("NOTE_REMOVED", note_id)

    # --- frames -----------------------------------------------------------------------------
    def add_frame(self, title: str, rect: Rect, members: Iterable[str] = (),
                  frame_id: str | None = None) -> str:
        frame = Frame(self._check_new_id(frame_id, "frame"),
                      _text(title, MAX_TITLE, "a frame's title", one_line=True),
                      _rect(rect, MIN_FRAME_SIZE, "frame"), self._members(members))
        self._frames[frame.id] = frame
        self._emit("FRAME_ADDED", frame.id)
        return frame.id

    def set_frame_title(self, frame_id: str, title: str) -> None:
        self._frames[frame_id] = replace(
            self._raw_frame(frame_id),
            title=_text(title, MAX_TITLE, "a frame's title", one_line=True))
        self._emit("FRAME_CHANGED", frame_id)

    def set_frame_rect(self, frame_id: str, rect: Rect) -> None:
        self._frames[frame_id] = replace(self._raw_frame(frame_id),
                                         rect=_rect(rect, MIN_FRAME_SIZE, "frame"))
        self._emit("FRAME_CHANGED", frame_id)

    def set_frame_members(self, frame_id: str, members: Iterable[str]) -> None:
        self._frames[frame_id] = replace(self._raw_frame(frame_id),
                                         members=self._members(members))
        self._emit("FRAME_CHANGED", frame_id)

    def remove_frame(self, frame_id: str) -> None:
        self._raw_frame(frame_id)
        del self._frames[frame_id]
        self._emit("FRAME_REMOVED", frame_id)

    # --- files ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The ``notes`` and ``frames`` sections (absent when empty)."""
        out: dict[str, Any] = {}
        if self._notes:
            out["notes"] = [{"id": n.id, "text": n.text, "position": list(n.rect[:2]),
                             "size": list(n.rect[2:])} for n in self._notes.values()]
        if self._frames:
            out["frames"] = [{"id": f.id, "title": f.title, "position": list(f.rect[:2]),
                              "size": list(f.rect[2:]), "members": list(f.members)}
                             for f in self.frames()]
        return out

    def load(self, data: dict[str, Any]) -> None:
        """Add the notes and frames of a document (``to_dict``'s shape), naming the first
        bad one; used on a fresh model only."""
        for i, n in enumerate(data.get("notes", [])):
            try:
                self.add_note(n["text"], (*n["position"], *n["size"]), n["id"])
            except GraphError as e:
                raise GraphError(f"notes[{i}]: {e}") from None
        for i, f in enumerate(data.get("frames", [])):
            try:
                missing = [m for m in f["members"] if not self._is_node(m)]
                if missing:
                    raise GraphError(f"member '{missing[0]}' is not a node")
                self.add_frame(f["title"], (*f["position"], *f["size"]), f["members"],
                               f["id"])
            except GraphError as e:
                raise GraphError(f"frames[{i}]: {e}") from None

    def take_over(self, other: Annotations) -> None:
        self._notes, self._frames, self._next = other._notes, other._frames, other._next

    # --- helpers ----------------------------------------------------------------------------
    def _raw_frame(self, frame_id: str) -> Frame:
        self.frame(frame_id)
        return self._frames[frame_id]

    def _members(self, members: Iterable[str]) -> tuple[str, ...]:
        out: list[str] = []
        for m in members:
            if not isinstance(m, str) or not self._is_node(m):
                raise GraphError(f"a frame's member '{m}' is not a node")
            if m not in out:
                out.append(m)
        return tuple(out)

    def _check_new_id(self, item_id: str | None, prefix: str) -> str:
        if item_id is None:
            while f"{prefix}{self._next}" in self:
                self._next += 1
            return f"{prefix}{self._next}"
        if not isinstance(item_id, str) or not _ID.match(item_id):
            raise GraphError(f"id {item_id!r} must be 1-40 letters, digits, - or _")
        if item_id in self:
            raise GraphError(f"a note or frame with id '{item_id}' already exists")
        return item_id
