"""The conformance tests every source connector passes (a pytest test class).

``conformance_suite("name")`` returns a class of tests that need one fixture from the
connector's own tests, ``cdp_source_case``, returning a :class:`~cdp.testing.SourceCase`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from cdp.connector import SourceConnector
from cdp.errors import CdpError, ConnectorError
from cdp.testing.harness import SourceCase, canonical_rows, run_source

__all__ = ["SourceConnectorSuite", "conformance_suite"]


class SourceConnectorSuite:
    """Subclass with ``connector_name`` set (or use :func:`conformance_suite`)."""

    connector_name: str = ""

    @pytest.fixture
    def connector(self) -> SourceConnector:
        from cdp.plugins import Registry, get_plugin_manager

        registry = Registry.from_plugin_manager(get_plugin_manager())
        assert self.connector_name in registry.sources, (
            f"no source connector '{self.connector_name}' is registered through the 'cdp' "
            f"entry-point group; installed: {sorted(registry.sources)}"
        )
        return registry.sources[self.connector_name]

    def test_registered_with_a_config_model(self, connector: SourceConnector) -> None:
        assert connector.name == self.connector_name
        assert connector.description.strip(), (
            "describe the connector (shown by cdp connectors list)"
        )
        assert issubclass(connector.config_model, BaseModel)
        assert callable(connector.build) and callable(connector.mapping)

    def test_config_validation(
        self, connector: SourceConnector, cdp_source_case: SourceCase
    ) -> None:
        connector.config_model.model_validate(cdp_source_case.config)
        with pytest.raises(ValidationError):
            connector.config_model.model_validate(
                {**cdp_source_case.config, "no_such_setting_x": 1}
            )
        for bad in cdp_source_case.invalid_configs:
            with pytest.raises(ValidationError):
                connector.config_model.model_validate(bad)

    def test_missing_secret_is_one_clear_error(
        self, connector: SourceConnector, cdp_source_case: SourceCase, tmp_path: Path
    ) -> None:
        if not connector.secrets:
            pytest.skip("the connector needs no secret")
        with pytest.raises(CdpError) as info:
            run_source(connector, cdp_source_case, tmp_path, secrets={})
        text = str(info.value)
        assert cdp_source_case.name in text and connector.secrets[0] in text, text
        assert "\n" not in text

    def test_authentication_failure_names_source_and_hides_token(
        self, connector: SourceConnector, cdp_source_case: SourceCase, tmp_path: Path
    ) -> None:
        if not connector.secrets:
            pytest.skip("the connector needs no secret")
        broken = cdp_source_case.broken_secrets or {
            **cdp_source_case.secrets,
            **{k: f"wrong-{k}-value-0000" for k in connector.secrets},
        }
        with pytest.raises(ConnectorError) as info:
            run_source(connector, cdp_source_case, tmp_path, secrets=broken)
        text = str(info.value)
        assert cdp_source_case.name in text, text
        assert "\n" not in text, "the error must be one line"
        for value in broken.values():
            assert value not in text, "a secret leaked into the error message"

    def test_mapping_columns_and_types(
        self, connector: SourceConnector, cdp_source_case: SourceCase, tmp_path: Path
    ) -> None:
        result = run_source(connector, cdp_source_case, tmp_path)
        assert sum(result.rows.values()) > 0, "the first run loaded nothing"
        rows = canonical_rows(connector, cdp_source_case, result.database)
        if cdp_source_case.expect_customer_records:
            records = rows["customer_records"]
            assert records, "no customer records came out of the mapping"
            ids = [r["record_id"] for r in records]
            assert all(ids), "every customer record needs a record_id"
            assert len(ids) == len(set(ids)), "record_id must be unique within a source"
            assert all(isinstance(r["deleted"], bool) or r["deleted"] is None for r in records)
        if cdp_source_case.expect_events:
            events = rows["events"]
            assert events, "no events came out of the mapping"
            assert all(e["event"] and e["timestamp"] for e in events)
            ids = [e["event_id"] for e in events]
            assert all(ids) and len(ids) == len(set(ids)), "event_id must be set and unique"

    def test_second_run_fetches_nothing_new(
        self, connector: SourceConnector, cdp_source_case: SourceCase, tmp_path: Path
    ) -> None:
        first = run_source(connector, cdp_source_case, tmp_path)
        second = run_source(connector, cdp_source_case, tmp_path)
        incremental = {t for t, d in first.dispositions.items() if d != "replace"}
        again = {t: n for t, n in second.rows.items() if t in incremental and n}
        assert not again, f"a run with nothing changed upstream loaded rows again: {again}"
        before = canonical_rows(connector, cdp_source_case, first.database)
        after = canonical_rows(connector, cdp_source_case, second.database)
        for target in before:
            assert len(after[target]) == len(before[target]), f"{target} changed on a re-run"


def conformance_suite(connector_name: str, **attrs: Any) -> type[SourceConnectorSuite]:
    """A test class for ``connector_name``: ``TestConformance = conformance_suite("shopify")``."""
    return type(
        f"Conformance_{connector_name}",
        (SourceConnectorSuite,),
        {"connector_name": connector_name, "__test__": True, **attrs},
    )
