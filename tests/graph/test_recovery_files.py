"""Recovery files headless: one pair per process, valid graph files, never offered while their
writer runs (nor when its pid now belongs to another process), a broken note survived."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from gradstudio.graph import GraphModel, fileformat, recovery


def _model(n: int) -> GraphModel:
    model = GraphModel()
    for _ in range(n):
        model.add_node("input")
    return model


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_two_processes_keep_their_own_files_and_the_graph_is_a_plain_file(tmp_path):
    a, b = _dead_pid(), _dead_pid()
    ra = recovery.write(tmp_path, _model(1), tmp_path / "mine.gsgraph", pid=a)
    rb = recovery.write(tmp_path, _model(3), None, pid=b)
    assert ra.graph != rb.graph
    assert len(fileformat.load(ra.graph)) == 1 and len(fileformat.load(rb.graph)) == 3
    found = {r.pid: r for r in recovery.pending(tmp_path)}
    assert set(found) == {a, b}
    assert found[a].original == tmp_path / "mine.gsgraph" and found[a].nodes == 1
    assert found[b].original is None and found[b].name == "an untitled graph"
    assert recovery.pending(tmp_path)[0].pid == b  # newest first
    found[a].remove()
    assert [r.pid for r in recovery.pending(tmp_path)] == [b]


def test_a_running_writer_hides_its_files_and_a_reused_pid_does_not(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        recovery.write(tmp_path, _model(2), None, pid=proc.pid)
        assert recovery.pending(tmp_path) == []
        # the note says another process had that pid (it started at another time)
        _, info = recovery.files_of(tmp_path, proc.pid)
        note = json.loads(info.read_text())
        if note["started"] is not None:
            note["started"] += 1
            info.write_text(json.dumps(note))
            assert [r.pid for r in recovery.pending(tmp_path)] == [proc.pid]
    finally:
        proc.kill()
        proc.wait()
    assert [r.pid for r in recovery.pending(tmp_path)] == [proc.pid]


def test_this_process_never_offers_its_own_file(tmp_path):
    recovery.write(tmp_path, _model(1), None)
    assert recovery.pending(tmp_path) == []


def test_a_broken_note_leaves_the_graph_with_its_time(tmp_path):
    pid = _dead_pid()
    record = recovery.write(tmp_path, _model(2), Path("/somewhere/g.gsgraph"), pid=pid)
    record.info.write_text("{ half a no")
    (found,) = recovery.pending(tmp_path)
    assert found.pid == pid and found.original is None and found.nodes == -1
    assert abs(found.saved_at - record.graph.stat().st_mtime) < 1
    assert len(found.load()) == 2


def test_a_missing_folder_has_nothing_pending(tmp_path):
    assert recovery.pending(tmp_path / "none") == []
