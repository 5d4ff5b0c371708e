"""Registers the built-in destination connectors through the ``cdp`` entry-point group."""

from __future__ import annotations

from cdp.connector import DestinationConnector
from cdp.hookspecs import hookimpl

__all__ = ["cdp_destination_connectors"]


@hookimpl
def cdp_destination_connectors() -> list[DestinationConnector]:
    from connectors.destinations import files, hubspot, klaviyo, mailchimp, meta, postgres, webhook

    return [
        files.CONNECTOR,
        webhook.CONNECTOR,
        hubspot.CONNECTOR,
        mailchimp.CONNECTOR,
        meta.CONNECTOR,
        postgres.CONNECTOR,
        klaviyo.CONNECTOR,
    ]
