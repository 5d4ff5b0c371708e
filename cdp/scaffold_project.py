"""Writing a new project folder (``cdp init``) from the templates in ``cdp/templates``."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

from cdp.errors import CdpError

__all__ = ["init_project"]

TEMPLATES = {
    "cdp.yml": "cdp.yml.tmpl",
    ".env.example": "env.example.tmpl",
    "README.md": "README.md.tmpl",
    ".gitignore": "gitignore.tmpl",
}


def _render(template: str, **values: str) -> str:
    return files("cdp.templates").joinpath(template).read_text(encoding="utf-8").format(**values)


def project_name(directory: Path) -> str:
    """A valid project name from a folder name (``Shop Analytics`` -> ``shop_analytics``)."""
    name = re.sub(r"[^a-z0-9_]+", "_", directory.resolve().name.lower()).strip("_")
    return name or "cdp_project"


def write_starter_segments(segments_dir: Path) -> list[Path]:
    """The starter segment library, when the segments package provides one."""
    try:
        from warehouse.segments.library import write_starter_segments as write
    except ImportError:
        segments_dir.mkdir(parents=True, exist_ok=True)
        return []
    return list(write(segments_dir))


def init_project(directory: Path, name: str | None = None, *, force: bool = False) -> list[Path]:
    """Create a project in ``directory``: cdp.yml, segments/, data/, .env.example, README.

    Refuses to overwrite an existing cdp.yml unless ``force``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / "cdp.yml").exists() and not force:
        raise CdpError(f"{directory / 'cdp.yml'} already exists; pass --force to overwrite it")
    name = name or project_name(directory)
    written = []
    for target, template in TEMPLATES.items():
        path = directory / target
        path.write_text(_render(template, name=name), encoding="utf-8")
        written.append(path)
    (directory / "data").mkdir(exist_ok=True)
    written += write_starter_segments(directory / "segments")
    return written
