"""The layers point one way: ui -> graph -> engine. engine and graph never load Qt;
engine never loads networkx."""

import subprocess
import sys

import pytest


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


def test_graph_does_not_import_ui() -> None:
    loaded = _modules_after_import("gradstudio.graph")
    assert "gradstudio.ui" not in loaded and "torch" not in loaded
