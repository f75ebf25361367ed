"""docs/architecture.md says how to add a node kind; this test does exactly that and checks
the promise that nothing else is needed.

It reads the section "How to add a node kind", takes its example catalog entry (the first
``python`` block there), appends it to ``_KIND_LIST`` in a copy of the package as step 2 says,
and then, in a fresh interpreter running that copy: the kind is in the node palette under its
category, a graph using it is saved and loaded as a ``.gsgraph``, ``gradstudio run`` evaluates
it and runs backward, and the catalog's own tests (step 4) check its derivative. If the
document and the code drift apart, this fails and says which step no longer holds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
SECTION = "## How to add a node kind"
LIST_START = "_KIND_LIST: list[NodeKind] = ["


def _section(text: str, title: str) -> str:
    start = text.index(title)
    end = text.find("\n## ", start + len(title))
    return text[start:] if end < 0 else text[start:end]


def _example_entry() -> str:
    """The catalog entry the document shows, as code (dedented)."""
    section = _section(DOC.read_text(encoding="utf-8"), SECTION)
    block = re.search(r"```python\n(.*?)\n\s*```", section, re.S)
    assert block, f"{DOC.name}: no python example in '{SECTION}'"
    return textwrap.dedent(block.group(1))


def _append_to_kind_list(catalog: Path, entry: str) -> None:
    """Step 2: append the entry to ``_KIND_LIST``, before its closing bracket."""
    source = catalog.read_text(encoding="utf-8")
    start = source.index(LIST_START)
    close = source.index("\n]\n", start)
    entry = textwrap.indent(entry.rstrip() + "\n", "    ")
    catalog.write_text(source[:close + 1] + entry + source[close + 1:], encoding="utf-8")


# Runs inside the copy: what a person would see, printed as JSON for the test to check.
PROBE = r'''
import contextlib, io, json, os, sys
from pathlib import Path

import gradstudio
from gradstudio.app import main
from gradstudio.graph import KINDS, GraphModel, fileformat

spec = KINDS[NAME]
seen = {"package": gradstudio.__file__, "category": spec.category}

from PySide6.QtWidgets import QApplication
from gradstudio.ui.panels.palette import Palette

app = QApplication([])
palette = Palette()
entry = palette.items().get(NAME)
seen["palette"] = None if entry is None else {
    "text": entry.text(0), "group": entry.parent().text(0), "tooltip": entry.toolTip(0)}

model = GraphModel()
x = model.add_node("input", label="x", params={"value": 2.0}, flags={"requires_grad": True})
node = model.add_node(NAME)
model.connect(x, node, spec.inputs[0])
path = Path("toy.gsgraph")
fileformat.save(model, path)
seen["saved_kinds"] = [n["kind"] for n in json.loads(path.read_text())["nodes"]]
seen["loaded_kinds"] = [n.kind for n in fileformat.load(path).nodes()]

out = io.StringIO()
with contextlib.redirect_stdout(out):
    seen["run_exit"] = main(["run", str(path), "--backward", "--json"])
seen["run"] = json.loads(out.getvalue())
print("PROBE " + json.dumps(seen))
'''


def _kind_name(entry: str) -> str:
    name = re.match(r'\s*\w+\(\s*"([a-z_0-9]+)"', entry)
    assert name, f"cannot tell the kind's name from the example: {entry!r}"
    return name.group(1)


@pytest.fixture(scope="module")
def copy_with_the_new_kind(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The repository's package, resources and catalog tests, with the documented kind
    added exactly as the document says."""
    root = tmp_path_factory.mktemp("newcomer")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "gradstudio", root / "gradstudio", ignore=ignore)
    shutil.copytree(ROOT / "resources", root / "resources", ignore=ignore)
    shutil.copytree(ROOT / "tests" / "graph", root / "tests" / "graph", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    entry = _example_entry()
    _append_to_kind_list(root / "gradstudio" / "graph" / "catalog.py", entry)
    return root, _kind_name(entry)


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def seen(copy_with_the_new_kind: tuple[Path, str]) -> dict:
    root, name = copy_with_the_new_kind
    result = _run(root, "-c", f"NAME = {name!r}\n" + PROBE)
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("PROBE ")]
    assert result.returncode == 0 and lines, result.stdout + result.stderr
    return json.loads(lines[-1][len("PROBE "):])


def test_the_documented_example_is_a_new_kind(copy_with_the_new_kind) -> None:
    from gradstudio.graph import KINDS

    _, name = copy_with_the_new_kind
    assert name == "cube" and name not in KINDS  # new to the app as it ships


def test_the_copy_is_what_runs(copy_with_the_new_kind, seen) -> None:
    root, _ = copy_with_the_new_kind
    assert Path(seen["package"]).resolve().is_relative_to(root.resolve())


def test_the_new_kind_is_in_the_palette(seen) -> None:
    assert seen["palette"] is not None, "the palette has no entry for the new kind"
    assert seen["palette"]["text"] == "cube"
    assert seen["palette"]["group"] == seen["category"] == "Ops"
    assert seen["palette"]["tooltip"] == "cube: x cubed (x ** 3), PowBackward0"


def test_the_new_kind_is_saved_and_loaded(seen) -> None:
    assert seen["saved_kinds"] == ["input", "cube"]
    assert seen["loaded_kinds"] == ["input", "cube"]


def test_gradstudio_run_evaluates_the_new_kind(seen) -> None:
    assert seen["run_exit"] == 0
    run = seen["run"]
    assert run["error"] is None
    assert run["values"]["cube"]["repr"] == "tensor(8., grad_fn=<PowBackward0>)"
    assert run["grads"]["x"]["repr"] == "tensor(12.)"  # d(x³)/dx = 3·2² at x = 2
    assert run["ledger"] == ["backward #1: x.grad += 12 -> 12"]


def test_the_catalog_tests_check_the_new_kind(copy_with_the_new_kind) -> None:
    """Step 4: the kind's derivative formula is checked against the engine's gradient."""
    root, name = copy_with_the_new_kind
    result = _run(root, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                  "tests/graph/test_trace.py", "-k", name)
    assert result.returncode == 0, result.stdout + result.stderr
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed and int(passed.group(1)) >= 2, result.stdout
