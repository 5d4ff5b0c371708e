"""Read a YAML file and remember the line of every key, so errors can point at it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cdp.errors import ConfigError

__all__ = ["Located", "load_yaml"]

Key = tuple[str | int, ...]


class Located:
    """A parsed YAML document plus the line (1-based) of each key path in it."""

    def __init__(self, file: Path, data: Any, lines: dict[Key, int]) -> None:
        self.file, self.data, self.lines = file, data, lines

    def line_of(self, path: Key) -> int | None:
        """The line of ``path``, or of its closest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def _walk(node: yaml.Node, path: Key, lines: dict[Key, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*path, str(key_node.value))
            lines[key] = key_node.start_mark.line + 1
            _walk(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = (*path, index)
            lines[key] = item.start_mark.line + 1
            _walk(item, key, lines)


def load_yaml(file: Path) -> Located:
    """Parse ``file``; a syntax error is a :class:`ConfigError` naming its line."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", file=file) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason})", file=file) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(f"invalid YAML: {exc.problem}", file=file, line=line) from None
    lines: dict[Key, int] = {(): 1}
    if node is not None:
        _walk(node, (), lines)
    return Located(file, data, lines)
