"""Registers the built-in ``files`` source (through the ``cdp`` entry-point group)."""

from __future__ import annotations

from cdp import hookimpl
from cdp.connector import SourceConnector
from connectors.sources.files.config import FilesConfig
from connectors.sources.files.mapping import files_mapping
from connectors.sources.files.source import build_source, check_paths, reconcile


@hookimpl
def cdp_source_connectors() -> list[SourceConnector]:
    return [
        SourceConnector(
            name="files",
            description="CSV, JSON Lines and Parquet exports on local disk (Shopify, HubSpot, Mailchimp, Meta presets)",
            build=build_source,
            mapping=files_mapping,
            config_model=FilesConfig,
            check=check_paths,
            reconcile=reconcile,
        )
    ]
