"""The built-in files source passes the same conformance kit as the API sources."""

from __future__ import annotations

import pytest

from cdp.testing import SourceCase, conformance_suite

CSV = (
    "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Phone,Total Spent\n"
    "101,Ann,Lee,ann@example.com,yes,+16175550101,120.50\n"
    "102,Bob,Ray,bob@example.com,no,,0\n"
)


@pytest.fixture
def cdp_source_case(tmp_path) -> SourceCase:
    data = tmp_path / "exports"
    data.mkdir()
    (data / "customers.csv").write_text(CSV, encoding="utf-8")
    return SourceCase(
        name="legacy",
        config={"path": str(data / "customers*.csv"), "preset": "shopify_customers"},
        invalid_configs=[{"path": str(data / "x.csv"), "preset": "no_such_preset"}],
    )


TestConformance = conformance_suite("files")
