"""The connector conformance kit: run any source connector through cdp's contract in one line.

In a connector package's tests::

    from cdp.testing import SourceCase, conformance_suite

    @pytest.fixture
    def cdp_source_case(my_fake_api):          # how to reach a working (test) instance
        return SourceCase(name="loyalty", config={"base_url": my_fake_api.url},
                          secrets={"api_key": "test-key"})

    TestConformance = conformance_suite("loyalty_api")

The kit is also a pytest plugin (entry point ``pytest11``), so its fixtures (``cdp_workdir``)
are available everywhere once cdp is installed.
"""

from cdp.testing.harness import LoadResult, SourceCase, canonical_rows, run_source, unwrap_error
from cdp.testing.suite import SourceConnectorSuite, conformance_suite

__all__ = [
    "LoadResult",
    "SourceCase",
    "SourceConnectorSuite",
    "canonical_rows",
    "conformance_suite",
    "run_source",
    "unwrap_error",
]
