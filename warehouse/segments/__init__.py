"""SQL segments: files, validation, the locked-down sandbox, materialization with history.

The ``segments`` stage step is :func:`warehouse.segments.stage.run`; ``cdp segments`` uses the
functions here. Heavy modules are imported on use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "Problem",
    "SegmentError",
    "SegmentFile",
    "SegmentValidationError",
    "ValidSegment",
    "check_segments",
    "discover",
    "validate_segments",
    "write_starter_segments",
]

_WHERE = {
    "Problem": "errors",
    "SegmentError": "errors",
    "SegmentValidationError": "errors",
    "SegmentFile": "files",
    "discover": "files",
    "ValidSegment": "validate",
    "check_segments": "validate",
    "validate_segments": "validate",
    "write_starter_segments": "library",
}

if TYPE_CHECKING:
    from warehouse.segments.errors import Problem, SegmentError, SegmentValidationError
    from warehouse.segments.files import SegmentFile, discover
    from warehouse.segments.library import write_starter_segments
    from warehouse.segments.validate import ValidSegment, check_segments, validate_segments


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"warehouse.segments.{_WHERE[name]}"), name)
    raise AttributeError(name)
