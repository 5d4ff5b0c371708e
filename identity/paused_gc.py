"""Python's cyclic garbage collector, paused while a resolution runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic collector for a block that makes many small objects.

    A resolution builds hundreds of thousands of rows, tuples and dict entries that hold no
    cycles (reference counting frees them). Each generation-2 collection they trigger walks
    every live object again: 0.15-0.2 s of a 1% incremental run at 1M records.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
