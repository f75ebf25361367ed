"""The documents point only at what is in the repository: every relative link in README.md,
CONTRIBUTING.md and docs/*.md, and every file path that docs/architecture.md names in
backticks, exists in the checkout. A renamed module then fails here until the architecture
document follows it."""

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
