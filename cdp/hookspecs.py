"""The hooks a cdp plugin implements.

A plugin is a module (or object) exposed under the ``cdp`` entry-point group::

    [project.entry-points.cdp]
    loyalty = "cdp_loyalty.plugin"

whose functions are decorated with :data:`cdp.hookimpl`. Built-in connectors register through
exactly the same entry points. Every hook is called on all plugins and the results are
concatenated; a name registered twice is an error naming both plugins.
"""

from __future__ import annotations

import pluggy

from cdp.connector import DestinationConnector, SourceConnector

hookspec = pluggy.HookspecMarker("cdp")
hookimpl = pluggy.HookimplMarker("cdp")

__all__ = ["cdp_destination_connectors", "cdp_source_connectors", "hookimpl", "hookspec"]


@hookspec
def cdp_source_connectors() -> list[SourceConnector]:
    """Register source connectors.

    Returns:
        The source connectors this plugin provides. Each ``SourceConnector.name`` is what users
        write as ``connector:`` under ``sources:`` in cdp.yml.
    """
    raise NotImplementedError


@hookspec
def cdp_destination_connectors() -> list[DestinationConnector]:
    """Register destination connectors.

    Returns:
        The destination connectors this plugin provides. Each ``DestinationConnector.name`` is
        what users write as ``connector:`` under ``destinations:`` in cdp.yml.
    """
    raise NotImplementedError
