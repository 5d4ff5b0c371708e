"""Canonical mapping SQL of the API sources, one ``.sql`` file per target and family."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

__all__ = ["quote", "render"]


def quote(identifier: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + identifier.replace('"', '""') + '"'


@cache
def _template(family: str, name: str) -> str:
    return (files(__package__) / family / f"{name}.sql").read_text(encoding="utf-8")


def render(family: str, name: str, schema: str, **values: str) -> str:
    """``sql/<family>/<name>.sql`` with ``{{schema}}`` (quoted) and ``{{key}}`` filled in."""
    text = _template(family, name).replace("{{schema}}", quote(schema))
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text
