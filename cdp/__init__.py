"""cdp: a warehouse-native customer data platform framework.

The public facade for plugin authors and library users; the CLI is :mod:`cdp.cli`.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]

import pluggy

hookimpl = pluggy.HookimplMarker("cdp")
