"""Recovery files: what autosave leaves in the data folder, for the launch after a crash.

A running app writes its unsaved document to ``recovery-<pid>.gsgraph`` — an ordinary graph
file, written by ``fileformat.save`` like any other — and, beside it, ``recovery-<pid>.json``
saying what it is: the document's own path (none for an untitled graph), when, how many
nodes, and the writer's pid with its start time. One pair per process, so two windows never
overwrite each other's; a pair whose writer still runs is never offered to another. No Qt
here: the folder comes from the caller (the UI asks QStandardPaths).
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from . import fileformat
from .model import GraphModel

__all__ = ["Recovery", "pending", "write", "files_of", "process_alive"]

_NAME = re.compile(r"^recovery-(\d+)\.gsgraph$")


@dataclass(frozen=True)
class Recovery:
    """One autosaved document left by a process."""

    graph: Path  # the autosaved graph file
    pid: int
    original: Path | None  # the file the document belonged to; None: untitled
    saved_at: float  # seconds since the epoch
    nodes: int
    started: int | None = None  # the writer's start time (clock ticks after boot), if known

    @property
    def info(self) -> Path:
        return self.graph.with_suffix(".json")

    @property
    def name(self) -> str:
        """What the person would call the document."""
        return self.original.name if self.original is not None else "an untitled graph"

    def load(self) -> GraphModel:
        """The autosaved model, checked as any file is (GraphFileError if it is not whole)."""
        return fileformat.load(self.graph)

    def remove(self) -> None:
        for path in (self.graph, self.info):
            path.unlink(missing_ok=True)


def files_of(folder: Path, pid: int) -> tuple[Path, Path]:
    """The graph file and the note of process ``pid``."""
    graph = Path(folder) / f"recovery-{pid}{fileformat.EXTENSION}"
    return graph, graph.with_suffix(".json")


def write(folder: str | os.PathLike, model: GraphModel, original: Path | None,
          pid: int | None = None) -> Recovery:
    """Autosave ``model`` for process ``pid`` (this one by default): the graph first, then its
    note, each atomically. GraphFileError if the folder cannot be written."""
    folder = Path(folder)
    pid = os.getpid() if pid is None else pid
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise fileformat.GraphFileError(f"cannot make {folder}: {e.strerror or e}") from None
    graph, info = files_of(folder, pid)
    record = Recovery(graph, pid, None if original is None else Path(original).absolute(),
                      time.time(), len(model), _start_ticks(pid))
    fileformat.save(model, graph)
    note = {"pid": pid, "started": record.started, "saved_at": record.saved_at,
            "original": None if record.original is None else str(record.original),
            "nodes": record.nodes}
    fileformat.write_atomic(info, json.dumps(note, indent=1) + "\n")
    return record


def pending(folder: str | os.PathLike) -> list[Recovery]:
    """The documents left by processes that no longer run, newest first."""
    folder = Path(folder)
    try:
        graphs = [p for p in folder.iterdir() if _NAME.match(p.name)]
    except OSError:
        return []
    found = [_read(p) for p in graphs]
    left = [r for r in found if not process_alive(r.pid, r.started)]
    return sorted(left, key=lambda r: r.saved_at, reverse=True)


def _read(graph: Path) -> Recovery:
    """The record of one graph file; a missing or broken note (the writer was killed between
    the two files) leaves what the file itself says: its pid and time."""
    pid = int(_NAME.match(graph.name).group(1))
    try:
        saved_at = graph.stat().st_mtime
    except OSError:
        saved_at = 0.0
    note: dict = {}
    try:
        note = json.loads(graph.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    if not isinstance(note, dict) or note.get("pid") != pid:
        note = {}
    original, when = note.get("original"), note.get("saved_at")
    nodes, started = note.get("nodes"), note.get("started")
    return Recovery(graph, pid, Path(original) if isinstance(original, str) else None,
                    float(when) if isinstance(when, (int, float)) else saved_at,
                    nodes if isinstance(nodes, int) else -1,
                    started if isinstance(started, int) else None)


def process_alive(pid: int, started: int | None = None) -> bool:
    """Whether process ``pid`` runs — and, when its start time is known, is still the same
    process (a pid is reused after the writer died)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it runs
    except OSError:
        return False
    state, ticks = _stat(pid)
    if state in ("Z", "X"):  # killed, not yet reaped by its parent
        return False
    return started is None or ticks in (None, started)


def _start_ticks(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks after boot (Linux), else None."""
    return _stat(pid)[1]


def _stat(pid: int) -> tuple[str | None, int | None]:
    """Process ``pid``'s state letter and start time from /proc (Linux), else Nones."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[0], int(fields[19])
    except (OSError, ValueError, IndexError):
        return None, None
