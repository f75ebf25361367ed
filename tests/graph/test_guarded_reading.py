"""Reading a .gsgraph file can neither block nor flood: a FIFO, a device behind a symlink, a
file that reports a size it does not have, numbers Python cannot read — each is one
GraphFileError that says what, with the limit in MiB."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from gradstudio.graph import GraphFileError, load, loads
from gradstudio.graph.fileformat import read_bytes
from gradstudio.graph.limits import MAX_BYTES, count, mebibytes, short_number

pytestmark = pytest.mark.timeout(60)  # a blocking read would hang the test: fail it instead


def _doc(**top: object) -> dict:
    doc = {"format": "gradstudio-graph", "version": 1, "edges": [],
           "nodes": [{"id": "a", "kind": "input", "params": {"value": 2.0}}]}
    doc.update(top)
    return doc


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "x.gsgraph"
    os.mkfifo(fifo)  # no writer: a blocking open or read would wait for ever
    with pytest.raises(GraphFileError, match=r"x.gsgraph: it is a pipe \(FIFO\), not a graph"):
        load(fifo)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_dev_zero_behind_a_symlink_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.gsgraph"
    link.symlink_to("/dev/zero")
    with pytest.raises(GraphFileError, match="zero.gsgraph: it is a device, not a graph"):
        load(link)


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="no /proc here")
def test_a_file_reporting_size_0_is_read_only_up_to_the_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc files say they are empty and are not: the cap holds whatever the size says."""
    assert os.stat("/proc/self/maps").st_size == 0
    monkeypatch.setattr("gradstudio.graph.limits.MAX_BYTES", 100)
    with pytest.raises(GraphFileError, match=r"maps: too large \(more than 0.0 MiB; the limit"):
        read_bytes("/proc/self/maps")


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GraphFileError, match="it is a folder, not a graph file"):
        load(tmp_path)


def test_the_size_limit_is_said_in_mib(tmp_path: Path) -> None:
    path = tmp_path / "huge.gsgraph"
    with open(path, "wb") as f:
        f.truncate(209 * 1024 * 1024)  # sparse: nothing is written or read
    with pytest.raises(GraphFileError) as e:
        load(path)
    assert str(e.value) == "huge.gsgraph: too large (209 MiB; the limit is 64 MiB)"
    assert mebibytes(MAX_BYTES) == "64 MiB"


def test_a_5000_digit_integer_is_one_clear_error() -> None:
    text = json.dumps(_doc()).replace("2.0", "9" * 5000)
    with pytest.raises(GraphFileError) as e:
        loads(text, "digits.gsgraph")
    limit = count(sys.get_int_max_str_digits())
    assert str(e.value) == ("digits.gsgraph: holds a whole number too long to read (more than "
                            f"{limit} digits)")


def test_a_huge_version_is_abbreviated() -> None:
    text = json.dumps(_doc()).replace('"version": 1', '"version": 1' + "0" * 400)
    with pytest.raises(GraphFileError) as e:
        loads(text, "v.gsgraph")
    assert "format version a whole number of 401 digits" in str(e.value)
    assert len(str(e.value)) < 200
    assert short_number(10 ** 400) == "a whole number of 401 digits"
    assert short_number(-3) == "-3"


@pytest.mark.parametrize("error", [MemoryError, RecursionError, ValueError("odd")])
def test_any_failure_inside_the_reader_is_one_graph_file_error(
        monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr("gradstudio.graph.fileformat.place_missing", fail)
    with pytest.raises(GraphFileError, match=r"^g.gsgraph: "):
        loads(json.dumps(_doc()), "g.gsgraph")
