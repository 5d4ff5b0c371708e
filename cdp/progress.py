"""Progress for long work: a rich display on a terminal, silence in CI and pipes."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = ["NullProgress", "Progress", "RichProgress", "make_progress"]


class Task(Protocol):
    def advance(self, n: int = 1) -> None: ...


class Progress(Protocol):
    def task(self, description: str, total: int | None = None) -> Any:
        """A context manager yielding a :class:`Task`; ``advance`` it as rows go by."""
        ...


class _NullTask:
    def advance(self, n: int = 1) -> None:
        pass


class NullProgress:
    @contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[_NullTask]:
        yield _NullTask()


class _RichTask:
    def __init__(self, progress: Any, task_id: Any) -> None:
        self._progress, self._id = progress, task_id

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self._id, n)


class RichProgress:
    """Rows, rate and elapsed time for each task, drawn on stderr."""

    @contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[_RichTask]:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task: Any) -> Text:
                return Text(f"{task.speed:,.0f} rows/s" if task.speed else "")

        columns = [
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
        ]
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task_id = progress.add_task(description, total=total)
            yield _RichTask(progress, task_id)


def make_progress() -> Progress:
    """A rich display when stderr is an interactive terminal and not CI; otherwise silence."""
    if sys.stderr.isatty() and not os.environ.get("CI"):
        return RichProgress()
    return NullProgress()
