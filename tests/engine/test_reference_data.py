"""The tests' reference data live in the repository (``tests/engine/data``), so a clone runs
alone. Where the project's shared originals are beside the clone (``../shared``, as on the
team's machines and in CI), the copies must still be those originals; elsewhere these checks
are skipped with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2].parent / "shared"

COPIES = [  # (repository copy, shared original)
    pytest.param(DATA / "autograd_notebook.txt", SHARED / "seed" / "autograd_notebook.txt",
                 id="notebook"),
    pytest.param(DATA / "pytorch_reference.md", SHARED / "reference" / "pytorch_autograd.md",
                 id="pytorch_reference"),
]


def _body(text: str) -> str:
    """From the first section on: the copy's opening paragraph names where it lives."""
    return text[text.index("\n## "):] if "\n## " in text else text


@pytest.mark.parametrize(("copy", "original"), COPIES)
def test_the_repository_copy_is_the_shared_original(copy: Path, original: Path) -> None:
    assert copy.exists(), f"the repository copy is missing: {copy}"
    if not original.exists():
        pytest.skip(f"no shared original beside the repository ({original}); "
                    f"the tests use the repository copy {copy.name}")
    assert _body(copy.read_text(encoding="utf-8")) == _body(original.read_text(encoding="utf-8"))
