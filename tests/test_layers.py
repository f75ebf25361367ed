"""The layers point one way: ui -> graph -> engine. engine and graph never load Qt;
engine never loads networkx.

Two checks of the same rule: at run time (what importing a layer really loads) and statically
with import-linter's contracts in pyproject.toml (every import statement in the source, also one
inside a function that a run-time check never executes). The static check is `make lint`; the
tests here prove its contracts bite, by planting a forbidden import in a copy of the package."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _modules_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return set(out.split())


@pytest.mark.parametrize("module", ["gradstudio.engine", "gradstudio.graph"])
def test_core_layers_do_not_import_qt(module: str) -> None:
    loaded = _modules_after_import(module)
    assert not {m for m in loaded if m.startswith("PySide6")}, f"{module} imported Qt"


def test_engine_imports_numpy_only() -> None:
    loaded = _modules_after_import("gradstudio.engine")
    assert "networkx" not in loaded
    assert "torch" not in loaded
    assert "gradstudio.graph" not in loaded and "gradstudio.ui" not in loaded


def test_the_window_and_the_oracle_module_do_not_import_torch_when_loaded() -> None:
    """Only Compare with PyTorch imports it, when it runs: start-up looks it up, no more."""
    for module in ("gradstudio.ui.main_window", "gradstudio.oracle", "gradstudio.app"):
        assert "torch" not in _modules_after_import(module), module


def test_graph_does_not_import_ui() -> None:
    loaded = _modules_after_import("gradstudio.graph")
    assert "gradstudio.ui" not in loaded and "torch" not in loaded


# --- the static contracts ----------------------------------------------------------------------

def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """import-linter on the package under ``root`` with the contracts of ``root``'s
    pyproject.toml (the working directory comes first on the path, so the copy is analysed)."""
    code = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run([sys.executable, "-c", code, "--no-cache", "--no-logo"], cwd=root,
                          capture_output=True, text=True, timeout=120, env={"PATH": ""})


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """The package and its pyproject.toml, copied: a place to plant bad imports."""
    shutil.copytree(ROOT / "gradstudio", tmp_path / "gradstudio",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold_for_the_package_as_it_is(package_copy: Path) -> None:
    result = _lint_imports(package_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_oracle_module_may_import_torch_anywhere_in_it(package_copy: Path) -> None:
    path = package_copy / "gradstudio" / "oracle.py"
    path.write_text("import torch.autograd\n" + path.read_text())
    result = _lint_imports(package_copy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("module", "planted", "contract"), [
    ("engine/ops.py", "import networkx", "The engine needs numpy only"),
    ("engine/printing.py", "from gradstudio.graph import model", "Layers"),
    ("graph/evaluate.py", "from PySide6 import QtCore", "The graph layer runs headless"),
    ("graph/model.py", "import torch", "The graph layer runs headless"),
    ("graph/session.py", "from gradstudio.ui import document", "Layers"),
    # PyTorch only in gradstudio/oracle.py (Compare with PyTorch): nowhere else in the package
    ("run_command.py", "import torch", "Only gradstudio.oracle imports PyTorch"),
    ("ui/main_window.py", "import torch.nn.functional", "Only gradstudio.oracle imports PyTorch"),
    ("graph/code_export.py", "from gradstudio import oracle", "Layers"),
    ("oracle.py", "from gradstudio.ui import document", "Layers"),
])
def test_an_import_inside_a_function_breaks_a_contract(package_copy: Path, module: str,
                                                        planted: str, contract: str) -> None:
    path = package_copy / "gradstudio" / module
    path.write_text(path.read_text() + f"\n\ndef _planted() -> None:\n    {planted}\n")
    result = _lint_imports(package_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    # "NAME BROKEN", or "NAME BROKEN (1 ignored import)" for a contract with ignore_imports
    broken = [line for line in result.stdout.splitlines()
              if line.endswith("BROKEN") or " BROKEN (" in line]
    # an import of a higher layer also brings what that layer imports: one or more contracts
    assert any(line.startswith(contract) for line in broken), result.stdout
    assert f"gradstudio.{module[:-3].replace('/', '.')}" in result.stdout  # names the culprit
