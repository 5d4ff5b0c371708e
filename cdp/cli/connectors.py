"""`cdp connectors`: the installed source and destination plugins."""

from __future__ import annotations

import click


@click.group()
def connectors() -> None:
    """Installed source and destination connectors (built-in and third-party plugins)."""


@connectors.command("list")
def list_() -> None:
    """List every installed connector with the plugin it comes from.

    Built-in connectors and third-party ones register through the same `cdp` entry-point
    group; a plugin that fails to import is reported as a warning and skipped.
    """
    from cdp.plugins import get_registry

    registry = get_registry()
    rows = [
        ("source", c.name, registry.origins[("source", c.name)], c.description)
        for c in registry.sources.values()
    ]
    rows += [
        ("destination", c.name, registry.origins[("destination", c.name)], c.description)
        for c in registry.destinations.values()
    ]
    width = max((len(r[1]) for r in rows), default=10) + 2
    click.echo(f"{'kind':<13}{'name':<{width}}{'plugin':<18}description")
    for kind, name, plugin, description in sorted(rows):
        click.echo(f"{kind:<13}{name:<{width}}{plugin:<18}{description}")
