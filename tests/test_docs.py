"""The documents point only at what is in the repository: every relative link in README.md,
CONTRIBUTING.md and docs/*.md, and every file path and code name that docs/architecture.md
writes in backticks, exists in the checkout. A renamed module, class or method then fails
here until the architecture document follows it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
# `graph/model.py`, `tests/ui/conftest.py`, `resources/examples/`: a path with a folder in it.
PATH = re.compile(r"`((?:\.?[\w-]+/)+(?:[\w.-]+\.(?:py|md|json|toml|spec|txt))?)`")
PLACEHOLDER = re.compile(r"[A-Z]{3,}")  # `ui/panels/NAME.py` is a pattern, not a file


@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.name for d in DOCUMENTS])
def test_relative_links_stay_inside_the_repository(document: Path) -> None:
    broken = []
    for target in LINK.findall(document.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor
        path = (document.parent / target.split("#")[0]).resolve()
        if not path.is_relative_to(ROOT) or not path.exists():
            broken.append(target)
    assert not broken, f"{document.name} links to what is not in the repository: {broken}"


def test_the_architecture_names_only_files_that_exist() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = {p for p in PATH.findall(text) if not PLACEHOLDER.search(p)}
    assert len(named) > 30  # the module map and the recipes name files
    missing = sorted(p for p in named
                     if not (ROOT / p).exists() and not (ROOT / "gradstudio" / p).exists())
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"


# `Document.run`, `GraphModel.connect(...)`, `_KIND_LIST`, `SetValues`: names of the code.
NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?:\(.*\))?")
FILE = re.compile(r"\.(py|md|json|toml|spec|txt)$")
FOLDERS = ("gradstudio", "docs", "tests", "benchmarks", "packaging", "resources")
OUTSIDE = re.compile(r"^(Q[A-Z]\w*|ge|torch|np|networkx)$")  # Qt, the engine as used, libraries


def _defined(name: str, source: str) -> bool:
    """``name`` is a def, a class, an attribute or field, or a constant somewhere."""
    return bool(re.search(rf"\b(def|class)\s+{name}\b|^\s*(\w+\s*,\s*)*{name}\s*[:=,]"
                          rf"|self\.{name}\s*[:=]", source, re.M))


def test_the_architecture_names_only_code_that_exists() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "gradstudio").rglob("*.py"))
    checked, missing = 0, []
    for token in set(re.findall(r"`([^`\s]+)`", text)):
        if not NAME.fullmatch(token) or PATH.fullmatch(f"`{token}`"):
            continue
        if FILE.search(token):  # a file named alone (`view.py`): somewhere in the repository
            if not (ROOT / token).exists() and not any(
                    next((ROOT / d).rglob(token), None) for d in FOLDERS):
                missing.append(token)
            continue
        parts = re.sub(r"\(.*\)$", "", token).split(".")
        if OUTSIDE.match(parts[0]):
            continue
        if parts[0] == "gradstudio":  # a module: its file or package
            if not (ROOT / Path(*parts)).with_suffix(".py").exists() and \
                    not (ROOT / Path(*parts)).is_dir():
                missing.append(token)
            continue
        # the first part of ``session.forward()`` is a variable; a lone word must look like code
        names = parts[1:] if len(parts) > 1 else [p for p in parts if re.search(r"[_A-Z]", p)]
        checked += len(names)
        missing += [f"{token} ({n})" for n in names if not _defined(n, source)]
    assert checked > 60  # the flows and recipes name the code they go through
    assert not missing, f"docs/architecture.md names code that does not exist: {missing}"
