"""Segment errors: every problem of every file, collected and reported at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cdp.errors import CdpError

__all__ = ["Problem", "SegmentError", "SegmentValidationError"]


@dataclass(frozen=True)
class Problem:
    """One mistake in one segment file, with where it is and the closest valid name."""

    file: Path
    message: str
    line: int | None = None
    column: int | None = None
    suggestion: str | None = None

    def __str__(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.message}"
        if self.suggestion:
            text += f" (did you mean '{self.suggestion}'?)"
        return text


class SegmentError(CdpError):
    """A segment could not be run (a time limit, an engine error); other segments go on."""


class SegmentValidationError(CdpError):
    """One or more segment files do not validate; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in segment files:\n{lines}")
