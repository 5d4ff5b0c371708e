"""cdp.yml mistakes are one line naming the file, the line and the key, with a suggestion."""

from __future__ import annotations

import pytest

from cdp.config import load_project
from cdp.errors import ConfigError, SecretMissingError

GOOD_SOURCE = """
sources:
  shop:
    connector: files
    config: {path: data/c.csv, preset: shopify_customers}
"""

CASES = [
    # (cdp.yml body, line, key, text in the message, suggestion)
    ("name: a\nwarehose: {}\n", 2, "warehose", "unknown key", "warehouse"),
    (
        "name: a\nsources:\n  shop:\n    conector: files\n",
        4,
        "sources.shop.conector",
        "unknown key",
        "connector",
    ),
    (
        "name: a\nsources:\n  shop:\n    connector: filez\n",
        4,
        "sources.shop.connector",
        "unknown connector",
        "files",
    ),
    (
        "name: a\nsources:\n  shop:\n    connector: files\n    config: {path: x.csv, preset: shopify_customer}\n",
        5,
        "sources.shop.config.preset",
        "not allowed",
        "shopify_customers",
    ),
    (
        "name: a\nsources:\n  shop:\n    connector: files\n    config: {path: x.csv, entity: customers, delimter: ';'}\n",
        5,
        "sources.shop.config.delimter",
        "unknown key",
        "delimiter",
    ),
    (
        "name: a\nsources:\n  shop:\n    connector: files\n    config: {path: x.csv}\n",
        5,
        "sources.shop.config",
        "set either 'preset'",
        None,
    ),
    (
        "name: a\nsources:\n  shop:\n    connector: files\n    enabled: maybe\n    config: {path: x, entity: customers}\n",
        5,
        "sources.shop.enabled",
        "valid boolean",
        None,
    ),
    ("warehouse: {}\n", 1, "name", "required key is missing", None),
    ("name: a\nwarehouse:\n  engine: snowflake\n", 3, "warehouse.engine", "not allowed", None),
    (
        "name: a\nsources:\n  Shop-1:\n    connector: files\n",
        3,
        "sources.Shop-1",
        "lowercase letters",
        None,
    ),
    (
        "name: a\nsyncs:\n  - {segment: vip, destination: newsleter}\n",
        3,
        "syncs.0.destination",
        "no destination named",
        None,
    ),
    ("name: a\nsources: [1, 2\n", 3, None, "invalid YAML", None),
]


@pytest.mark.parametrize(("body", "line", "key", "text", "suggestion"), CASES)
def test_config_mistakes_name_file_line_and_key(make_project, body, line, key, text, suggestion):
    project = make_project(body)
    with pytest.raises(ConfigError) as info:
        load_project(project)
    message = str(info.value)
    assert message.startswith(f"{project / 'cdp.yml'}:{line}: "), message
    if key:
        assert f" {key}: " in message, message
    assert text in message
    if suggestion:
        assert f"did you mean '{suggestion}'" in message
    assert "\n" not in message


def test_missing_file_is_reported_at_its_source_when_preflighting(make_project):
    project = make_project("name: a\n" + GOOD_SOURCE)
    load_project(project)  # structure alone is fine
    with pytest.raises(ConfigError) as info:
        load_project(project, preflight=True)
    assert ":6: sources.shop.config.path: no file matches 'data/c.csv'" in str(info.value)


def test_valid_project_loads_with_connector_config(make_project):
    project = make_project(
        "name: acme\n" + GOOD_SOURCE,
        {"data/c.csv": "Customer ID,First Name,Last Name,Email,Phone\n"},
    )
    loaded = load_project(project, preflight=True)
    assert loaded.name == "acme"
    assert loaded.source_configs["shop"].preset == "shopify_customers"
    assert loaded.warehouse_path == project / ".cdp" / "warehouse.duckdb"


def test_missing_secret_names_env_var_and_secrets_file(make_project, monkeypatch):
    from cdp.connector import CanonicalMapping, SourceConnector
    from cdp.plugins import Registry

    connector = SourceConnector(
        name="needs_token",
        description="",
        build=lambda ctx: [],
        mapping=lambda ctx: CanonicalMapping(),
        secrets=("access_token",),
    )
    registry = Registry({"needs_token": connector}, {}, {("source", "needs_token"): "test"})
    monkeypatch.setattr("cdp.plugins.get_registry", lambda: registry)
    project = make_project("name: a\nsources:\n  shop:\n    connector: needs_token\n")
    with pytest.raises(SecretMissingError) as info:
        load_project(project, preflight=True)
    message = str(info.value)
    assert ":3: sources.shop:" in message
    assert "CDP__SOURCES__SHOP__ACCESS_TOKEN" in message and "[sources.shop]" in message

    monkeypatch.setenv("CDP__SOURCES__SHOP__ACCESS_TOKEN", "shpat_very_secret_value")
    loaded = load_project(project, preflight=True)
    token = loaded.source_secrets("shop")["access_token"]
    assert token.get_secret_value() == "shpat_very_secret_value"
    assert "shpat_very_secret_value" not in repr(loaded.secrets)


def test_secrets_file_is_read_and_values_are_masked_in_errors(make_project):
    from cdp.errors import CdpError
    from cdp.secrets import SecretResolver

    project = make_project(
        "name: a\n", {".dlt/secrets.toml": '[sources.crm]\naccess_token = "pat-na1-abcdef123456"\n'}
    )
    value = SecretResolver(project).get("sources", "crm", "access_token")
    assert value is not None and value.get_secret_value() == "pat-na1-abcdef123456"
    assert "pat-na1-abcdef123456" not in str(CdpError("request with pat-na1-abcdef123456 failed"))
