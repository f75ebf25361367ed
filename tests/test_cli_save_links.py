"""The headless writers, ``gradstudio import -o`` and ``gradstudio export -o``, write through a
symbolic link as File ▸ Save does (the same atomic writer): the target gets the new content,
the link stays a link, no temporary file is left; a place that cannot be written is one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_runner import run_cli
from test_cli import _one_line_error

from gradstudio.graph import load
from gradstudio.resources import example_paths

SCRIPT = "import torch\nw = torch.tensor(2.0, requires_grad=True)\nloss = w * w\n"


def _linked(tmp_path: Path, name: str) -> tuple[Path, Path]:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / name
    target.write_text("old\n")
    link = tmp_path / name
    link.symlink_to(Path("real") / name)
    return link, target


def test_import_writes_through_a_link(capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    link, target = _linked(tmp_path, "net.gsgraph")
    (tmp_path / "net.py").write_text(SCRIPT)
    code, _, err = run_cli(capsys, "import", tmp_path / "net.py", "-o", link)
    assert (code, err) == (0, "")
    assert link.is_symlink() and os.readlink(link) == str(Path("real") / "net.gsgraph")
    assert load(target).find("w") is not None
    assert sorted(os.listdir(target.parent)) == ["net.gsgraph"]


def test_export_writes_through_a_link(capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    link, target = _linked(tmp_path, "net.py")
    code, _, err = run_cli(capsys, "export", example_paths()["small_network"], "-o", link)
    assert (code, err) == (0, "")
    assert link.is_symlink() and "loss.backward()" in target.read_text(encoding="utf-8")
    assert sorted(os.listdir(target.parent)) == ["net.py"]


def test_a_link_into_a_missing_folder_is_one_line(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    link = tmp_path / "out.py"
    link.symlink_to(tmp_path / "gone" / "out.py")
    code, _, err = run_cli(capsys, "export", example_paths()["small_network"], "-o", link)
    _one_line_error(code, err, f"cannot save {link}",
                    f"the folder {tmp_path / 'gone'} does not exist")
    assert link.is_symlink() and sorted(os.listdir(tmp_path)) == ["out.py"]
