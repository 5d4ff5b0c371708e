"""Plugins: the hooks, entry-point discovery, third-party connectors in a real sync."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cdp import hookimpl, hookspecs
from cdp.connector import CanonicalMapping, DestinationConnector, SourceConnector
from cdp.plugins import Registry, get_plugin_manager

LOYALTY_PLUGIN = """
import dlt
from cdp import hookimpl
from cdp.connector import CanonicalMapping, DestinationConnector, SourceConnector


def build(ctx):
    @dlt.resource(name="members", primary_key="member_id", write_disposition="merge")
    def members():
        yield [{"member_id": "m1", "mail": "ann@example.com", "tier": "gold"},
               {"member_id": "m2", "mail": "bob@example.com", "tier": "silver"}]
    return members()


def mapping(ctx):
    if "members" not in ctx.tables:
        return CanonicalMapping()
    return CanonicalMapping(customer_records=[
        f"SELECT member_id AS record_id, mail AS email, json_object('tier', tier) AS attributes "
        f"FROM {ctx.schema}.members"
    ])


@hookimpl
def cdp_source_connectors():
    return [SourceConnector(name="loyalty", description="Loyalty members (test plugin)", build=build, mapping=mapping)]
"""


@pytest.fixture
def plugin_path(tmp_path: Path) -> Path:
    """An 'installed' distribution: a module plus dist-info with a `cdp` entry point."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "cdp_loyalty.py").write_text(textwrap.dedent(LOYALTY_PLUGIN))
    (site / "cdp_broken.py").write_text("raise ImportError('needs the loyalty SDK')\n")
    for name, module in (("cdp_loyalty", "cdp_loyalty"), ("cdp_broken", "cdp_broken")):
        info = site / f"{name}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[cdp]\n{name.removeprefix('cdp_')} = {module}\n")
    return site


def _cdp(args: list[str], site: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(Path.cwd())]), "CI": "1"}
    return subprocess.run(
        [sys.executable, "-m", "cdp", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_third_party_plugin_is_listed_and_syncs(plugin_path, make_project):
    project = make_project("name: acme\nsources:\n  loyalty:\n    connector: loyalty\n")
    listing = _cdp(["connectors", "list"], plugin_path, project)
    assert listing.returncode == 0, listing.stderr
    assert "loyalty" in listing.stdout and "Loyalty members (test plugin)" in listing.stdout
    assert "files" in listing.stdout  # built-ins come through the same entry points
    assert "cdp plugin 'broken' (cdp_broken) failed to load and is skipped" in listing.stderr
    assert "needs the loyalty SDK" in listing.stderr

    synced = _cdp(["sync", "--only", "sources"], plugin_path, project)
    assert synced.returncode == 0, synced.stderr + synced.stdout
    import duckdb

    con = duckdb.connect(str(project / ".cdp/warehouse.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT source, record_id, email, attributes->>'tier' FROM staging.customer_records ORDER BY 2"
    ).fetchall()
    con.close()
    assert rows == [
        ("loyalty", "m1", "ann@example.com", "gold"),
        ("loyalty", "m2", "bob@example.com", "silver"),
    ]


def test_inline_plugin_registers_through_the_hooks():
    class Inline:
        @hookimpl
        def cdp_source_connectors(self):
            return [
                SourceConnector(
                    name="inline",
                    description="d",
                    build=lambda c: [],
                    mapping=lambda c: CanonicalMapping(),
                )
            ]

        @hookimpl
        def cdp_destination_connectors(self):
            return [
                DestinationConnector(
                    name="inline_out", description="d", open=lambda c: None, kind="webhook"
                )
            ]

    pm = get_plugin_manager(load_entry_points=False)
    pm.register(Inline(), name="inline-plugin")
    registry = Registry.from_plugin_manager(pm)
    assert list(registry.sources) == ["inline"]
    assert list(registry.destinations) == ["inline_out"]
    assert registry.origins[("source", "inline")] == "inline-plugin"
    assert registry.origins[("destination", "inline_out")] == "inline-plugin"


def test_a_name_registered_twice_is_an_error_naming_both_plugins():
    from cdp.errors import CdpError

    def make(name: str):
        class P:
            @hookimpl
            def cdp_source_connectors(self):
                return [
                    SourceConnector(
                        name="dup",
                        description="",
                        build=lambda c: [],
                        mapping=lambda c: CanonicalMapping(),
                    )
                ]

        return P()

    pm = get_plugin_manager(load_entry_points=False)
    pm.register(make("a"), name="first")
    pm.register(make("b"), name="second")
    with pytest.raises(
        CdpError, match="registered twice: by plugin 'first' and by plugin 'second'"
    ):
        Registry.from_plugin_manager(pm)


def test_every_hook_is_documented_typed_and_exercised_by_a_test():
    """A meta-test: a hook without Args/Returns docs, types, or a test fails here."""
    tests_text = "\n".join(p.read_text() for p in Path(__file__).parent.parent.rglob("test_*.py"))
    specs = [
        (name, fn)
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, "cdp_spec")  # set by @hookspec
    ]
    assert specs
    for name, fn in specs:
        doc = inspect.getdoc(fn) or ""
        assert "Returns:" in doc, f"hook {name} has no Returns: section"
        assert inspect.signature(fn).return_annotation is not inspect.Signature.empty, name
        assert f"def {name}(" in tests_text.replace(f"def {name}(self", f"def {name}("), (
            f"no test implements hook {name}"
        )
