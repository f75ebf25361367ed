"""Saving follows symbolic links (the target is written, the link stays a link), syncs the
folder after the rename, and a save that cannot happen says why and changes nothing: a
read-only folder or file (checked in a real process that may not override permissions), a
link loop."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gradstudio.graph import GraphModel, fileformat
from gradstudio.graph.fileformat import GraphFileError, load, save

ROOT = Path(__file__).resolve().parents[2]


def _model(label: str = "x") -> GraphModel:
    model = GraphModel()
    model.add_node("input", label=label)
    return model


def _listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def test_save_through_a_link_writes_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    real, links = tmp_path / "real", tmp_path / "links"
    real.mkdir()
    links.mkdir()
    target = real / "g.gsgraph"
    save(_model("old"), target)
    link = links / "g.gsgraph"
    link.symlink_to(Path("..") / "real" / "g.gsgraph")  # relative, into another folder
    save(_model("new"), link)
    assert link.is_symlink() and os.readlink(link) == str(Path("..") / "real" / "g.gsgraph")
    assert load(target).find("new") is not None
    assert _listing(real) == ["g.gsgraph"] and _listing(links) == ["g.gsgraph"]


def test_a_chain_of_links_and_a_dangling_link(tmp_path: Path) -> None:
    target = tmp_path / "real.gsgraph"
    save(_model("old"), target)
    (tmp_path / "b.gsgraph").symlink_to(target)
    (tmp_path / "a.gsgraph").symlink_to(tmp_path / "b.gsgraph")
    save(_model("new"), tmp_path / "a.gsgraph")
    assert (tmp_path / "a.gsgraph").is_symlink() and (tmp_path / "b.gsgraph").is_symlink()
    assert load(target).find("new") is not None
    dangling = tmp_path / "d.gsgraph"
    dangling.symlink_to("made-by-save.gsgraph")  # names a file that is not there yet
    save(_model("made"), dangling)
    assert dangling.is_symlink()
    assert load(tmp_path / "made-by-save.gsgraph").find("made") is not None


def test_a_link_loop_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "a.gsgraph").symlink_to(tmp_path / "b.gsgraph")
    (tmp_path / "b.gsgraph").symlink_to(tmp_path / "a.gsgraph")
    with pytest.raises(GraphFileError, match=r"cannot save .*a\.gsgraph: .*symbolic links"):
        save(_model(), tmp_path / "a.gsgraph")
    assert _listing(tmp_path) == ["a.gsgraph", "b.gsgraph"]
    assert (tmp_path / "a.gsgraph").is_symlink() and (tmp_path / "b.gsgraph").is_symlink()


def test_the_targets_permissions_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "private.gsgraph"
    save(_model(), target)
    target.chmod(0o600)
    (tmp_path / "link.gsgraph").symlink_to(target)
    save(_model("again"), tmp_path / "link.gsgraph")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    save(_model(), tmp_path / "new.gsgraph")  # a new file: readable by all, as editors do
    assert stat.S_IMODE((tmp_path / "new.gsgraph").stat().st_mode) == 0o644


def test_the_folder_is_synced_after_the_rename(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The order on disk: the file's data, the rename, then the folder that holds the name."""
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link.gsgraph").symlink_to(real / "g.gsgraph")
    events: list[tuple[str, str]] = []
    fsync, replace = os.fsync, os.replace

    def spy_fsync(fd: int) -> None:
        where = os.readlink(f"/proc/self/fd/{fd}")
        events.append(("fsync", "folder " + where if os.path.isdir(where) else "file"))
        fsync(fd)

    def spy_replace(src: str, dst: str) -> None:
        events.append(("replace", str(dst)))
        replace(src, dst)

    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "replace", spy_replace)
    save(_model(), tmp_path / "link.gsgraph")
    assert events == [("fsync", "file"), ("replace", str(real / "g.gsgraph")),
                      ("fsync", f"folder {real}")]


def test_a_folder_that_cannot_be_synced_still_saves(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Some file systems refuse fsync on a folder (EINVAL): the rename has happened, the file
    is saved, and the save says so rather than failing after the fact."""
    fsync = os.fsync

    def folder_refuses(fd: int) -> None:
        if os.path.isdir(os.readlink(f"/proc/self/fd/{fd}")):
            raise OSError(22, "Invalid argument")
        fsync(fd)

    monkeypatch.setattr(os, "fsync", folder_refuses)
    save(_model("kept"), tmp_path / "g.gsgraph")
    assert load(tmp_path / "g.gsgraph").find("kept") is not None


# --- what this user may not write. Root may write anywhere, so as root the save runs in a real
# process without the capability to override file permissions (setpriv's bounding set).
_SAVE = """
import sys
from gradstudio.graph import GraphModel, GraphError
from gradstudio.graph.fileformat import save
model = GraphModel()
model.add_node("input", label="new")
try:
    save(model, sys.argv[1])
except GraphError as e:
    print(e)
    sys.exit(1)
print("saved")
"""


def _save_without_privileges(path: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", _SAVE, str(path)]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: every file is writable")
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture
def folder(tmp_path: Path):
    """A folder the test may make read-only, made writable again for the clean-up."""
    yield tmp_path / "f"
    (tmp_path / "f").chmod(0o755)


def test_a_read_only_folder_gives_a_clear_message_and_loses_nothing(folder: Path) -> None:
    folder.mkdir()
    path = folder / "g.gsgraph"
    save(_model("old"), path)
    path.chmod(0o666)  # the file itself may be written; its folder may not
    old = path.read_bytes()
    folder.chmod(0o555)
    done = _save_without_privileges(path)
    assert done.returncode == 1, done.stderr
    assert done.stdout.strip() == (f"cannot save {path}: Permission denied "
                                   f"(the folder {folder} is not writable)")
    assert done.stderr == ""
    assert path.read_bytes() == old and _listing(folder) == ["g.gsgraph"]


def test_a_read_only_file_is_refused_not_replaced(folder: Path) -> None:
    folder.mkdir()
    path = folder / "g.gsgraph"
    save(_model("old"), path)
    path.chmod(0o444)  # the folder would let a rename replace it
    old = path.read_bytes()
    done = _save_without_privileges(path)
    assert done.returncode == 1, done.stderr
    assert done.stdout.strip() == f"cannot save {path}: the file is read-only"
    assert path.read_bytes() == old and _listing(folder) == ["g.gsgraph"]


def test_the_same_process_saves_where_it_may(folder: Path) -> None:
    """The control for the two above: the same process saves through a link where it may."""
    folder.mkdir()
    target = folder / "g.gsgraph"
    (folder / "link.gsgraph").symlink_to(target)
    done = _save_without_privileges(folder / "link.gsgraph")
    assert (done.returncode, done.stdout.strip()) == (0, "saved"), done.stderr
    assert load(target).find("new") is not None
    assert (folder / "link.gsgraph").is_symlink()


def test_write_atomic_is_the_one_writer(tmp_path: Path) -> None:
    """Exports and autosave's notes use the same function, so they follow links too."""
    target = tmp_path / "script.py"
    target.write_text("old\n")
    (tmp_path / "link.py").symlink_to(target)
    fileformat.write_atomic(tmp_path / "link.py", "new\n")
    assert target.read_text() == "new\n" and (tmp_path / "link.py").is_symlink()
