"""Plugin discovery: the ``cdp`` entry-point group, loaded on demand."""

from __future__ import annotations

import importlib.metadata
import logging
import warnings
from dataclasses import dataclass
from functools import cache

import pluggy

from cdp import hookspecs
from cdp.connector import DestinationConnector, SourceConnector
from cdp.errors import CdpError

__all__ = ["Registry", "get_plugin_manager", "get_registry"]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "cdp"


class PluginLoadWarning(UserWarning):
    """A third-party plugin could not be loaded; cdp goes on without it."""


def get_plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    """A plugin manager with every plugin of the ``cdp`` entry-point group registered.

    A plugin that fails to import gives a :class:`PluginLoadWarning` naming it and is skipped.
    """
    pm = pluggy.PluginManager("cdp")
    pm.add_hookspecs(hookspecs)
    if load_entry_points:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if pm.has_plugin(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not break cdp
                warnings.warn(
                    f"cdp plugin '{ep.name}' ({ep.value}) failed to load and is skipped: "
                    f"{type(exc).__name__}: {exc}",
                    PluginLoadWarning,
                    stacklevel=2,
                )
                continue
            pm.register(plugin, name=ep.name)
    pm.check_pending()
    return pm


@dataclass(frozen=True)
class Registry:
    """Every connector the installed plugins provide, by name, with the plugin each came from."""

    sources: dict[str, SourceConnector]
    destinations: dict[str, DestinationConnector]
    origins: dict[tuple[str, str], str]
    """(``source``/``destination``, connector name) to the plugin (entry-point) name."""

    @classmethod
    def from_plugin_manager(cls, pm: pluggy.PluginManager) -> Registry:
        sources: dict[str, SourceConnector] = {}
        destinations: dict[str, DestinationConnector] = {}
        origins: dict[tuple[str, str], str] = {}
        for kind, hook, into in (
            ("source", pm.hook.cdp_source_connectors, sources),
            ("destination", pm.hook.cdp_destination_connectors, destinations),
        ):
            for impl in hook.get_hookimpls():
                plugin_name = pm.get_name(impl.plugin) or repr(impl.plugin)
                for connector in impl.function() or ():  # type: ignore[attr-defined]
                    key = (kind, connector.name)
                    if key in origins:
                        raise CdpError(
                            f"{kind} connector '{connector.name}' is registered twice: by plugin "
                            f"'{origins[key]}' and by plugin '{plugin_name}'; uninstall one"
                        )
                    into[connector.name] = connector  # type: ignore[index]
                    origins[key] = plugin_name
        return cls(sources, destinations, origins)


@cache
def get_registry() -> Registry:
    """The registry of the installed plugins (built once per process)."""
    return Registry.from_plugin_manager(get_plugin_manager())
