"""The built-in files source, end to end through `cdp sync --only sources`."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cdp.config import load_project
from cdp.run import run_sync
from tests.conftest import query

SHOPIFY_HEADER = (
    "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Address1,"
    "Default Address City,Default Address Province Code,Default Address Country Code,Default Address Zip,"
    "Phone,Accepts SMS Marketing,Total Spent,Total Orders,Tags\n"
)
SHOPIFY_ROWS = (
    '101,Ann,Lee,ann@example.com,yes,1 Main St,Boston,MA,US,02110,+16175550101,no,120.50,3,"vip, repeat"\n'
    "102,Bob,Ray,BOB@example.com,no,2 Elm St,Austin,TX,US,73301,,no,0,0,\n"
)
SOURCES = """
name: acme
sources:
  shop:
    connector: files
    config: {path: data/customers*.csv, preset: shopify_customers}
"""


def sync(project, **kwargs):
    return run_sync(load_project(project, preflight=True), only=["sources"], **kwargs)


def test_shopify_customers_preset_maps_into_canonical_records(make_project):
    project = make_project(SOURCES, {"data/customers.csv": SHOPIFY_HEADER + SHOPIFY_ROWS})
    result = sync(project)
    assert result.status == "succeeded"
    assert result.stages[0].counts["sources"]["shop"] == {"loaded": 2, "rejected": 0}
    rows = query(
        project,
        "SELECT source, record_id, email, phone, first_name, city, region, country, postcode, "
        "external_ids['shopify_customer_id'], consent_email, consent_sms, attributes->>'tags' "
        "FROM staging.customer_records ORDER BY record_id",
    )
    assert rows == [
        (
            "shop",
            "101",
            "ann@example.com",
            "+16175550101",
            "Ann",
            "Boston",
            "MA",
            "US",
            "02110",
            "101",
            True,
            False,
            "vip, repeat",
        ),
        (
            "shop",
            "102",
            "BOB@example.com",
            None,
            "Bob",
            "Austin",
            "TX",
            "US",
            "73301",
            "102",
            False,
            False,
            None,
        ),
    ]


def test_bad_rows_are_kept_with_file_line_and_reason_and_the_rest_loads(make_project):
    content = (
        SHOPIFY_HEADER.encode()
        + SHOPIFY_ROWS.encode()
        + b"103,Cy,Li,cy@example.com,yes,,,,,,,no,lots,1,\n"  # line 4: unparsable number
        + b"104,Di,Wu,di@example.com\n"  # line 5: too few fields
        + b"105,\xff\xfeEve,Ng,eve@example.com,yes,,,,,,,no,1,1,\n"  # line 6: not UTF-8
        + b'106,"Fay\nMarie",Oh,fay@example.com,yes,,,,,,,no,5,1,\n'  # quoted newline: valid
    )
    project = make_project(SOURCES, {"data/customers.csv": content})
    result = sync(project)
    counts = result.stages[0].counts
    assert counts["sources"]["shop"] == {"loaded": 3, "rejected": 3}
    assert counts["rows_rejected"] == 3 and counts["rejected_rows"] == 3
    rejected = query(
        project, "SELECT source, file, line, reason, raw FROM staging.rejected_rows ORDER BY line"
    )
    assert [(r[0], r[1], r[2]) for r in rejected] == [
        ("shop", "data/customers.csv", 4),
        ("shop", "data/customers.csv", 5),
        ("shop", "data/customers.csv", 6),
    ]
    assert "Total Spent" in rejected[0][3] and "lots" in rejected[0][3]
    assert "Expected Number of Columns" in rejected[1][3]
    assert "unicode" in rejected[2][3].lower() or "encod" in rejected[2][3].lower()
    assert rejected[1][4] == "104,Di,Wu,di@example.com"
    names = query(project, "SELECT first_name FROM staging.customer_records ORDER BY record_id")
    assert names == [("Ann",), ("Bob",), ("Fay\nMarie",)]


def test_only_new_or_changed_files_load_and_changes_replace_rows(make_project):
    project = make_project(SOURCES, {"data/customers_1.csv": SHOPIFY_HEADER + SHOPIFY_ROWS})
    assert sync(project).stages[0].counts["sources"]["shop"]["loaded"] == 2
    assert sync(project).stages[0].counts["sources"]["shop"]["loaded"] == 0  # nothing new

    (project / "data/customers_2.csv").write_text(
        SHOPIFY_HEADER + "201,Gus,Po,gus@example.com,yes,,,,,,,no,1,1,\n"
    )
    assert sync(project).stages[0].counts["sources"]["shop"]["loaded"] == 1

    # A changed file replaces its earlier rows: no duplicates, the new values win.
    changed = (
        SHOPIFY_HEADER
        + SHOPIFY_ROWS.replace("Ann,Lee", "Anne,Lee")
        + "103,Cy,Li,cy@example.com,,,,,,,,,1,1,\n"
    )
    path = project / "data/customers_1.csv"
    path.write_text(changed)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert sync(project).stages[0].counts["sources"]["shop"]["loaded"] == 3
    assert query(project, "SELECT count(*) FROM raw_shop.shopify_customers") == [(4,)]
    assert query(
        project, "SELECT first_name FROM staging.customer_records WHERE record_id = '101'"
    ) == [("Anne",)]

    # Touching a file without changing it loads nothing.
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert sync(project).stages[0].counts["sources"]["shop"]["loaded"] == 0

    # --full-refresh reloads everything from scratch.
    assert sync(project, full_refresh=True).stages[0].counts["sources"]["shop"]["loaded"] == 4
    assert query(project, "SELECT count(*) FROM raw_shop.shopify_customers") == [(4,)]

    # Loaded packages keep no copy of their rows: the pipelines folder does not grow with
    # every load.
    loaded = list((project / ".cdp" / "pipelines").glob("*/load/loaded/*/completed_jobs/*.*"))
    assert [p for p in loaded if p.suffix in (".parquet", ".jsonl", ".insert_values")] == []
    assert list((project / ".cdp" / "pipelines").glob("*/load/loaded/*"))  # (the packages stay)


def test_a_file_that_is_not_what_its_preset_says_stops_only_its_source(make_project):
    yml = (
        SOURCES
        + """
  crm:
    connector: files
    config: {path: data/contacts.csv, preset: hubspot_contacts}
"""
    )
    project = make_project(
        yml,
        {
            "data/customers.csv": SHOPIFY_HEADER + SHOPIFY_ROWS,
            "data/contacts.csv": "Name,E-mail\nAnn,ann@example.com\n",
        },
    )
    result = sync(project)
    stage = result.stages[0]
    assert result.status == "partial" and stage.status == "partial"
    assert stage.counts["sources"] == {"shop": {"loaded": 2, "rejected": 0}}
    (error,) = stage.errors
    assert error.startswith("source 'crm': ") and "data/contacts.csv" in error
    assert (
        "not a HubSpot contacts export (CSV): missing column(s) 'Record ID', 'First Name'" in error
    )
    assert query(project, "SELECT count(*) FROM staging.customer_records") == [(2,)]


def test_jsonl_events_with_bad_lines_kept_aside(make_project):
    lines = [
        {
            "campaign_id": "c1",
            "email_address": "ann@example.com",
            "action": "sent",
            "timestamp": "2024-05-01T10:00:00Z",
        },
        {
            "campaign_id": "c1",
            "email_address": "ann@example.com",
            "action": "open",
            "timestamp": "2024-05-01T11:00:00+00:00",
        },
        {
            "campaign_id": "c1",
            "email_address": "ann@example.com",
            "action": "click",
            "timestamp": "2024-05-01T11:05:00Z",
            "url": "https://shop/x",
        },
    ]
    text = "\n".join(json.dumps(x) for x in lines[:2]) + "\n{not json\n"
    text += (
        json.dumps({"email_address": "bob@example.com", "action": "open", "timestamp": "yesterday"})
        + "\n"
    )
    text += json.dumps(lines[2]) + "\n"
    project = make_project(
        "name: a\nsources:\n  mail:\n    connector: files\n    config: {path: data/activity.jsonl, preset: mailchimp_activity}\n",
        {"data/activity.jsonl": text},
    )
    counts = sync(project).stages[0].counts
    assert counts["sources"]["mail"] == {"loaded": 3, "rejected": 2}
    assert query(
        project,
        "SELECT line, reason LIKE '%JSON%', reason LIKE '%timestamp%' FROM staging.rejected_rows ORDER BY line",
    ) == [
        (3, True, False),
        (4, False, True),
    ]
    events = query(
        project,
        "SELECT event, email, record_id = md5('ann@example.com'), properties->>'url' FROM staging.events ORDER BY timestamp",
    )
    assert events == [
        ("Email Delivered", "ann@example.com", True, None),
        ("Email Opened", "ann@example.com", True, None),
        ("Email Link Clicked", "ann@example.com", True, "https://shop/x"),
    ]


def test_orders_preset_gives_one_event_and_record_per_order(make_project):
    header = "Name,Email,Financial Status,Created at,Currency,Total,Lineitem name,Lineitem price,Lineitem quantity,Billing Name,Billing Phone\n"
    rows = (
        "#1001,ann@example.com,paid,2024-03-01 10:15:00 -0500,USD,25.00,Mug,10.00,1,Ann Lee,617-555-0101\n"
        "#1001,,,,,,Tea,15.00,1,,\n"
        "#1002,zed@example.com,paid,2024-03-02 11:00:00 +0000,EUR,9.99,Pen,9.99,1,Zed Quinn Jr,\n"
    )
    project = make_project(
        "name: a\nsources:\n  orders:\n    connector: files\n    config: {path: data/orders.csv, preset: shopify_orders}\n",
        {"data/orders.csv": header + rows},
    )
    sync(project)
    events = query(
        project,
        "SELECT event_id, record_id, event, CAST(timestamp AS VARCHAR), revenue, currency, "
        "json_array_length(properties->'products') FROM staging.events ORDER BY event_id",
    )
    assert [e[:3] for e in events] == [
        ("#1001", "#1001", "Order Completed"),
        ("#1002", "#1002", "Order Completed"),
    ]
    assert events[0][3].startswith("2024-03-01 15:15:00")  # -0500 converted to UTC
    assert [(float(e[4]), e[5], e[6]) for e in events] == [(25.0, "USD", 2), (9.99, "EUR", 1)]
    people = query(
        project,
        "SELECT record_id, email, first_name, last_name FROM staging.customer_records ORDER BY 1",
    )
    assert people == [
        ("#1001", "ann@example.com", "Ann", "Lee"),
        ("#1002", "zed@example.com", "Zed", "Quinn Jr"),
    ]


def test_generic_mapping_without_ids_derives_stable_ids(make_project):
    yml = """
    name: a
    sources:
      legacy:
        connector: files
        config:
          path: "data/*.csv"
          entity: customers
          columns: {email: "E-mail", first_name: "First Name", created_at: "Signed up"}
    """
    project = make_project(
        yml, {"data/a.csv": "E-mail,First Name,Signed up,Notes\nx@y.com,Xi,2024-01-02,hello\n"}
    )
    sync(project)
    first = query(
        project,
        "SELECT record_id, email, first_name, CAST(created_at AS DATE), attributes->>'notes' FROM staging.customer_records",
    )
    assert first[0][1:] == ("x@y.com", "Xi", __import__("datetime").date(2024, 1, 2), "hello")
    sync(project, full_refresh=True)
    assert query(project, "SELECT record_id FROM staging.customer_records") == [(first[0][0],)]


def test_parquet_files_load(make_project, tmp_path):
    project = make_project(
        "name: a\nsources:\n  pq:\n    connector: files\n    config: {path: data/people.parquet, entity: customers, columns: {email: mail}, record_id: id}\n"
    )
    (project / "data").mkdir()
    pq.write_table(
        pa.table({"id": ["a1", "a2"], "mail": ["a@x.com", "b@x.com"], "score": [1.5, 2.0]}),
        project / "data/people.parquet",
    )
    sync(project)
    assert query(
        project,
        "SELECT record_id, email, attributes->>'score' FROM staging.customer_records ORDER BY 1",
    ) == [
        ("a1", "a@x.com", "1.5"),
        ("a2", "b@x.com", "2.0"),
    ]


@pytest.mark.parametrize("bad", [b"", b"\n\n"])
def test_empty_file_is_one_clear_error(make_project, bad):
    project = make_project(SOURCES, {"data/customers.csv": bad})
    stage = sync(project).stages[0]
    assert stage.status == "failed"
    assert "data/customers.csv: the file is empty or has no header line" in stage.errors[0]


def test_staging_is_rebuilt_only_when_data_or_mappings_change(make_project):
    project = make_project(SOURCES, {"data/customers.csv": SHOPIFY_HEADER + SHOPIFY_ROWS})
    assert sync(project).stages[0].counts["staging_rebuilt"] == 1
    counts = sync(project).stages[0].counts
    assert counts["staging_rebuilt"] == 0 and counts["customer_records"] == 2  # nothing new
    # A mapping change (a column overridden in cdp.yml) rebuilds without loading anything.
    yml = (
        (project / "cdp.yml")
        .read_text()
        .replace(
            "preset: shopify_customers}",
            "preset: shopify_customers, columns: {city: Default Address Zip}}",
        )
    )
    (project / "cdp.yml").write_text(yml)
    counts = sync(project).stages[0].counts
    assert counts["rows_loaded"] == 0 and counts["staging_rebuilt"] == 1
    assert query(project, "SELECT city FROM staging.customer_records WHERE record_id = '101'") == [
        ("02110",)
    ]
    assert sync(project, full_refresh=True).stages[0].counts["staging_rebuilt"] == 1


def test_an_unknown_extension_names_the_source_and_the_setting(make_project):
    project = make_project(
        "name: a\nsources:\n  legacy:\n    connector: files\n    config: {path: data/export.dat, entity: customers, columns: {email: mail}}\n",
        {"data/export.dat": "mail\na@x.com\n"},
    )
    (error,) = sync(project).stages[0].errors
    assert error.startswith("source 'legacy': ") and "data/export.dat" in error
    assert "set format: csv, jsonl or parquet" in error


def test_rows_a_replayed_load_job_appended_twice_are_removed(make_project):
    """dlt replays a load job that a crash cut off before it was marked done: the rows it had
    already appended arrive twice. The next run leaves each row exactly once."""
    bad = SHOPIFY_ROWS + "103,Cy,Li,cy@example.com,maybe,,,,,,,,abc,1,\n"
    project = make_project(SOURCES, {"data/customers.csv": SHOPIFY_HEADER + bad})
    sync(project)
    import duckdb

    con = duckdb.connect(str(project / ".cdp" / "warehouse.duckdb"))
    for table in ("shopify_customers", "_cdp_rejected_rows", "_cdp_files"):
        con.execute(f"INSERT INTO raw_shop.{table} SELECT * FROM raw_shop.{table}")
    con.close()
    sync(project)
    assert query(
        project,
        "SELECT count(*), count(DISTINCT _cdp_row), min(_cdp_row), max(_cdp_row) "
        "FROM raw_shop.shopify_customers",
    ) == [(2, 2, 1, 2)]
    assert query(project, "SELECT count(*) FROM raw_shop._cdp_rejected_rows") == [(1,)]
    assert query(project, "SELECT count(*), sum(rows) FROM raw_shop._cdp_files") == [(1, 2)]


@pytest.mark.parametrize("interleaved", [False, True])
def test_replayed_copies_of_rows_not_yet_numbered_are_removed(make_project, interleaved):
    """A CSV's rows are numbered after the load. A job dlt replays before that appends a
    second copy without numbers: right after the first one, or after another file's copy
    (a package of two files replayed). Every row is left once, numbered in file order."""
    files = {
        "data/customers_1.csv": SHOPIFY_HEADER + SHOPIFY_ROWS,
        "data/customers_2.csv": SHOPIFY_HEADER
        + "".join(f"{n},Gus,Po,g{n}@example.com,yes,,,,,,,no,1,1,\n" for n in (203, 201, 202)),
    }
    project = make_project(SOURCES, files)
    sync(project)
    import duckdb

    con = duckdb.connect(str(project / ".cdp" / "warehouse.duckdb"))
    table = "raw_shop.shopify_customers"
    con.execute(f"UPDATE {table} SET _cdp_row = NULL")
    copies = ["data/customers_1.csv", "data/customers_2.csv"] if interleaved else [None]
    for name in copies:
        con.execute(
            f"INSERT INTO {table} SELECT * FROM {table} "
            "WHERE $name IS NULL OR _cdp_file = $name ORDER BY rowid",
            {"name": name},
        )
    con.close()
    sync(project)
    assert query(
        project,
        f"SELECT _cdp_file, customer_id, _cdp_row FROM {table} ORDER BY _cdp_file, _cdp_row",
    ) == [
        ("data/customers_1.csv", "101", 1),
        ("data/customers_1.csv", "102", 2),
        ("data/customers_2.csv", "203", 1),
        ("data/customers_2.csv", "201", 2),
        ("data/customers_2.csv", "202", 3),
    ]


@pytest.mark.slow
def test_rows_of_a_large_csv_are_numbered_in_file_order(make_project):
    """DuckDB parses a large CSV on several threads; ``_cdp_row`` is still each row's position
    among the file's loaded rows (a rejected row takes no number)."""
    yml = """
    name: a
    sources:
      crm:
        connector: files
        config: {path: data/people.csv, entity: customers, record_id: n, columns: {email: mail},
                 types: {k: integer}}
    """
    rows = "".join(f"{n},{n % 7},{'x' * 40}{n}@example.com\n" for n in range(1, 1_200_001))
    rows = rows.replace(",4,x", ",four,x", 1)  # row 4: rejected
    project = make_project(yml, {"data/people.csv": "n,k,mail\n" + rows})
    assert sync(project).stages[0].counts["sources"]["crm"]["rejected"] == 1
    assert query(
        project,
        "SELECT count(*), min(_cdp_row), max(_cdp_row), "
        "count(*) FILTER (WHERE _cdp_row <> CAST(n AS BIGINT) - CAST(CAST(n AS BIGINT) > 4 AS INT)) "
        "FROM raw_crm.customers",
    ) == [(1_199_999, 1, 1_199_999, 0)]


def test_staging_rewrites_only_the_sources_that_changed(make_project):
    yml = SOURCES + (
        "  crm:\n    connector: files\n"
        "    config: {path: data/contacts.csv, preset: hubspot_contacts}\n"
    )
    contacts = "Record ID,First Name,Last Name,Email\n7,Di,Vo,di@example.com\n"
    project = make_project(
        yml, {"data/customers.csv": SHOPIFY_HEADER + SHOPIFY_ROWS, "data/contacts.csv": contacts}
    )
    assert sync(project).stages[0].counts["staging_rebuilt"] == 2
    (project / "data/contacts.csv").write_text(contacts + "8,Ed,Wu,ed@example.com\n")
    counts = sync(project).stages[0].counts
    assert counts["staging_rebuilt"] == 1 and counts["customer_records"] == 4
    # A source taken out of cdp.yml leaves staging with its records.
    (project / "cdp.yml").write_text(yml.split("  crm:")[0])
    assert sync(project).stages[0].counts["customer_records"] == 2
    assert query(project, "SELECT DISTINCT source FROM staging.customer_records") == [("shop",)]


def test_rows_written_before_file_versions_existed_are_kept_or_replaced_like_any_other(
    make_project,
):
    """An earlier cdp merged rows on the file and gave them no version (_cdp_sha256 NULL):
    an unchanged file keeps its rows, a changed one has them replaced."""
    project = make_project(
        SOURCES,
        {
            "data/customers_1.csv": SHOPIFY_HEADER + SHOPIFY_ROWS,
            "data/customers_2.csv": SHOPIFY_HEADER
            + "201,Gus,Po,gus@example.com,yes,,,,,,,no,1,1,\n",
        },
    )
    sync(project)
    import duckdb

    con = duckdb.connect(str(project / ".cdp" / "warehouse.duckdb"))
    con.execute("UPDATE raw_shop.shopify_customers SET _cdp_sha256 = NULL, _cdp_row = NULL")
    con.close()
    path = project / "data/customers_2.csv"
    path.write_text(SHOPIFY_HEADER + "201,Gus,Poe,gus@example.com,yes,,,,,,,no,1,1,\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    sync(project)
    assert query(
        project,
        "SELECT customer_id, last_name, _cdp_sha256 IS NOT NULL FROM raw_shop.shopify_customers "
        "ORDER BY 1",
    ) == [("101", "Lee", True), ("102", "Ray", True), ("201", "Poe", True)]
    assert query(project, "SELECT count(*) FROM staging.customer_records") == [(3,)]


def test_a_table_from_before_row_positions_existed_is_left_as_it_is(make_project):
    """The first cdp with file versions wrote no ``_cdp_row``: with nothing new to load the
    table keeps its shape and rows."""
    project = make_project(SOURCES, {"data/customers.csv": SHOPIFY_HEADER + SHOPIFY_ROWS})
    sync(project)
    import duckdb

    con = duckdb.connect(str(project / ".cdp" / "warehouse.duckdb"))
    con.execute("ALTER TABLE raw_shop.shopify_customers DROP COLUMN _cdp_row")
    con.close()
    assert sync(project).status == "succeeded"
    assert query(project, "SELECT count(*) FROM raw_shop.shopify_customers") == [(2,)]


def test_dlt_loads_the_csv_readers_parquet_file_as_written(make_project, monkeypatch):
    """The Parquet file DuckDB writes from a CSV matches the column hints dlt gets (the
    version columns nullable), so dlt's normalize links it into the package as is instead of
    rewriting every row."""
    monkeypatch.setenv("LOAD__DELETE_COMPLETED_JOBS", "false")  # (keep the file to look at)
    project = make_project(SOURCES, {"data/customers.csv": SHOPIFY_HEADER + SHOPIFY_ROWS})
    assert sync(project).status == "succeeded"
    (loaded,) = (project / ".cdp" / "pipelines").glob(
        "*/load/loaded/*/completed_jobs/shopify_customers.*.parquet"
    )
    assert pq.ParquetFile(loaded).metadata.created_by.startswith("DuckDB")


@pytest.mark.parametrize(
    ("ids", "keys"),
    [
        ({"shop_id": "Shop", "crm_id": "CRM"}, ("shop_id", "crm_id")),
        ({"Ref": "Shop", "ref": "CRM"}, ("Ref", "ref")),
    ],
)
def test_external_ids_hold_the_ids_a_row_has(make_project, ids, keys):
    """Every id column with a value becomes a key; an empty one is left out (also when two
    names differ only in case, which a struct could not hold)."""
    yml = f"""
    name: a
    sources:
      crm:
        connector: files
        config:
          path: data/people.csv
          entity: customers
          record_id: Shop
          columns: {{email: Mail}}
          external_ids: {json.dumps(ids)}
    """
    rows = "Shop,CRM,Mail\ns1,c1,a@x.com\ns2,,b@x.com\n, c3 ,c@x.com\n"
    project = make_project(yml, {"data/people.csv": rows})
    assert sync(project).status == "succeeded"
    first, second = keys
    assert query(
        project,
        "SELECT email, map_keys(external_ids), map_values(external_ids) "
        "FROM staging.customer_records ORDER BY email",
    ) == [
        ("a@x.com", [first, second], ["s1", "c1"]),
        ("b@x.com", [first], ["s2"]),
        ("c@x.com", [second], ["c3"]),
    ]
