"""Where the app's files (examples, schema, icons, styles) are, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

__all__ = ["resource_dir", "resource_path", "example_paths"]


def resource_dir() -> Path:
    """``gradstudio/resources`` inside an installed wheel, else ``resources/`` beside the
    package in a source checkout (or an editable install)."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "resources", package.parent / "resources"):
        if (candidate / "schema").is_dir():
            return candidate
    raise FileNotFoundError(f"GradStudio's resources are missing (looked in {package})")


def resource_path(*parts: str) -> Path:
    return resource_dir().joinpath(*parts)


def example_paths() -> dict[str, Path]:
    """Example name -> file, in the notebook's order when the files say so."""
    folder = resource_path("examples")
    return {p.stem: p for p in sorted(folder.glob("*.gsgraph"))}
