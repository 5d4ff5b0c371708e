"""The resolver's behaviour on small, readable cases (a real DuckDB file per test)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb

from identity.apply import apply_resolution
from identity.config import IdentityConfig
from identity.lookup import add_override, unmerge
from identity.resolve import resolve
from identity.store import ensure_tables
from tests.identity.conftest import insert, rec


def run(
    con: duckdb.DuckDBPyConnection, config: IdentityConfig | None = None, run_id: str = "r"
) -> dict:
    ensure_tables(con)
    config = config or IdentityConfig()
    return apply_resolution(con, config, resolve(con, config), run_id).counts


def profiles(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {
        f"{s}:{r}": p
        for s, r, p in con.execute(
            "SELECT source, record_id, profile_id FROM identity.record_profiles"
        ).fetchall()
    }


def same(con: duckdb.DuckDBPyConnection, *refs: str) -> bool:
    p = profiles(con)
    return len({p[r] for r in refs}) == 1


def test_email_variants_and_phone_formats_merge(warehouse: duckdb.DuckDBPyConnection) -> None:
    insert(
        warehouse,
        [
            rec(
                "shop", "1", email=" Ann.Lee+shop@GoogleMail.com", first_name="Ann", last_name="Lee"
            ),
            rec("crm", "9", email="annlee@gmail.com", phone="(415) 555-0123", first_name="ANN"),
            rec("social", "x", phone="+1 415 555 0123", first_name="Ann", last_name="Lee"),
            rec("shop", "2", email="bob@example.com", first_name="Bob", last_name="Stone"),
        ],
    )
    counts = run(warehouse)
    assert counts["profiles"] == 2 and counts["new_profiles"] == 2
    assert same(warehouse, "shop:1", "crm:9", "social:x")
    assert not same(warehouse, "shop:1", "shop:2")


def test_household_email_never_merges_two_people(warehouse: duckdb.DuckDBPyConnection) -> None:
    insert(
        warehouse,
        [
            rec(
                "shop",
                "1",
                email="thesmiths@example.com",
                first_name="Ann",
                last_name="Smith",
                street="1 Main St",
                postcode="94105",
            ),
            rec(
                "crm",
                "1",
                email="thesmiths@example.com",
                first_name="Robert",
                last_name="Smith",
                street="1 Main Street",
                postcode="94105",
            ),
            rec("email", "1", email="thesmiths@example.com", first_name="Bob", last_name="Smith"),
            rec("email", "2", email="thesmiths@example.com"),
        ],
    )
    run(warehouse)
    assert not same(warehouse, "shop:1", "crm:1")
    assert same(warehouse, "crm:1", "email:1")  # Bob is Robert: the shared inbox still links him


def test_a_partner_on_a_personal_inbox_stays_apart(warehouse: duckdb.DuckDBPyConnection) -> None:
    """Sarah orders with Kenneth's address: the address spells Kenneth, so it identifies her
    only with her own name, and Kenneth's nameless signup on it stays his."""
    home = {"last_name": "Perez", "street": "446 Spring St", "postcode": "92192"}
    insert(
        warehouse,
        [
            rec("crm", "1", email="kenneth.perez@outlook.com", first_name="Ken", **home),
            rec("shop", "1", email="kenneth.perez@outlook.com", first_name="Sarah", **home),
            rec("shop", "2", email="kenneth.perez@outlook.com", first_name="Sarah", **home),
            rec("email", "1", email="Kenneth.Perez@outlook.com", last_name="Perez"),
            rec("crm", "2", email="vanburen.mary@outlook.com", last_name="Van Buren"),
            rec(
                "shop",
                "3",
                email="vanburen.mary@outlook.com",
                first_name="Thomas",
                last_name="Van Buren",
            ),
        ],
    )
    run(warehouse)
    assert same(warehouse, "crm:1", "email:1")
    assert same(warehouse, "shop:1", "shop:2")
    assert not same(warehouse, "crm:1", "shop:1")
    assert not same(warehouse, "crm:2", "shop:3")  # a nameless record on Mary's inbox
    # What an address spells is cached: a later run reads it back and decides the same.
    spelt = "SELECT count(*) FROM identity.normalized_values WHERE kind LIKE 'spelt/%'"
    assert warehouse.execute(spelt).fetchall()[0][0] >= 3
    insert(
        warehouse, [rec("shop", "4", email="kenneth.perez@outlook.com", first_name="Sarah", **home)]
    )
    run(warehouse, run_id="r2")
    assert same(warehouse, "shop:1", "shop:4") and not same(warehouse, "crm:1", "shop:4")


def test_an_initial_does_not_bridge_two_first_names(warehouse: duckdb.DuckDBPyConnection) -> None:
    """A nameless signup on sneumann@ is known by the initial S, which fits Sebastian and Sophie
    alike: once it has joined one of them, the other must not get in through it."""
    inbox = "sneumann300903@gmx.de"
    insert(
        warehouse,
        [
            rec("crm", "1", first_name="Basti", last_name="Neumann", phone="+4917079952721"),
            rec("leads", "1", first_name="Sebastian", last_name="Neumann", email=inbox,
                phone="+4917079952721"),
            rec("email", "1", email=inbox, last_name="Neumann"),
            rec("shop", "1", first_name="Sophie", last_name="Neumann", email=inbox,
                street="Washingtonplatz 723", postcode="70155"),
            rec("shop", "2", first_name="Sophie", last_name="Neumann", email=inbox,
                street="Washingtonplatz 723", postcode="70155"),
        ],
    )  # fmt: skip
    run(warehouse)
    assert same(warehouse, "crm:1", "leads:1")
    assert same(warehouse, "shop:1", "shop:2")
    assert not same(warehouse, "leads:1", "shop:1")


def test_nameless_record_at_a_household_address_needs_more_than_the_street(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    insert(
        warehouse,
        [
            rec("shop", "1", first_name="John", last_name="Morgan", street="2050 Spring Ave",
                postcode="77046", email="johnmorgan62@yahoo.com"),
            rec("crm", "1", last_name="Morgan", street="2050 Spring Ave", postcode="77046",
                phone="+13038537290"),
        ],
    )  # fmt: skip
    run(warehouse)
    assert not same(warehouse, "shop:1", "crm:1")


def test_junk_values_never_link(warehouse: duckdb.DuckDBPyConnection) -> None:
    insert(
        warehouse,
        [
            rec(
                "shop",
                "1",
                email="test@test.com",
                phone="0000000000",
                first_name="Ann",
                external_ids={"shopify_customer_id": "0"},
            ),
            rec(
                "shop",
                "2",
                email="TEST@test.com",
                phone="000-000-0000",
                first_name="Ann",
                external_ids={"shopify_customer_id": "0"},
            ),
            rec("crm", "3", email="n/a", phone="n/a", first_name="Ann"),
            rec("crm", "4", email="noemail@noemail.com", phone="1234567890", first_name="Ann"),
        ],
    )
    counts = run(warehouse)
    assert counts["profiles"] == 4


def test_limits_refuse_a_chain_gluing_two_people(warehouse: duckdb.DuckDBPyConnection) -> None:
    insert(
        warehouse,
        [
            rec("shop", "1", email="a@example.com", external_ids={"shopify_customer_id": "100"}),
            rec("crm", "1", email="a@example.com", phone="415-555-0199"),
            rec("shop", "2", phone="4155550199", external_ids={"shopify_customer_id": "200"}),
        ],
    )
    run(warehouse)
    ids = profiles(warehouse)
    assert ids["shop:1"] != ids["shop:2"]
    assert len(set(ids.values())) == 2


def test_ids_are_stable_and_changes_are_journalled(warehouse: duckdb.DuckDBPyConnection) -> None:
    insert(warehouse, [rec("shop", "1", email="ann@example.com", first_name="Ann")])
    run(warehouse, run_id="r1")
    first = profiles(warehouse)["shop:1"]
    insert(warehouse, [rec("crm", "1", email="ANN@example.com", first_name="Ann")])
    counts = run(warehouse, run_id="r2")
    assert counts["joined_records"] == 1 and counts["new_profiles"] == 0
    assert profiles(warehouse)["crm:1"] == first
    # A second profile appears, then a record bridges the two: the older id survives.
    insert(
        warehouse,
        [rec("email", "1", email="annie@other.com", phone="415 555 0100", first_name="Ann")],
    )
    run(warehouse, run_id="r3")
    later = profiles(warehouse)["email:1"]
    assert later != first
    insert(
        warehouse,
        [rec("crm", "1", email="ann@example.com", phone="(415) 555-0100", first_name="Ann")],
    )
    counts = run(warehouse, run_id="r4")
    assert counts["merges"] == 1
    assert set(profiles(warehouse).values()) == {first}
    retired = warehouse.execute(
        "SELECT retired_into FROM identity.profile_ids WHERE profile_id = ?", [later]
    ).fetchall()
    assert retired == [(first,)]
    actions = [
        a
        for (a,) in warehouse.execute(
            "SELECT action FROM identity.merge_journal ORDER BY logged_at"
        ).fetchall()
    ]
    assert actions.count("merge") == 1 and "join" in actions and actions.count("new") == 2


def test_split_keeps_the_id_with_the_larger_part(warehouse: duckdb.DuckDBPyConnection) -> None:
    insert(
        warehouse,
        [
            rec("shop", "1", email="kim@example.com", phone="4155550111", first_name="Kim"),
            rec("crm", "1", email="kim@example.com", first_name="Kim"),
            rec("crm", "2", phone="415-555-0111", email="other@example.com", first_name="Kim"),
            rec("email", "1", email="other@example.com"),
        ],
    )
    run(warehouse)
    (pid,) = set(profiles(warehouse).values())
    # shop:1 loses its phone: {shop:1, crm:1} and {crm:2, email:1} — a tie goes to the first record.
    insert(
        warehouse,
        [
            rec("shop", "1", email="kim@example.com", first_name="Kim"),
            rec("email", "2", email="other@example.com"),
        ],
    )
    counts = run(warehouse)
    assert counts["splits"] == 1
    ids = profiles(warehouse)
    assert ids["crm:2"] == ids["email:1"] == ids["email:2"] == pid  # larger part (3 records)
    assert ids["shop:1"] == ids["crm:1"] != pid


def test_rerun_without_new_data_changes_nothing(warehouse: duckdb.DuckDBPyConnection) -> None:
    insert(
        warehouse,
        [
            rec(
                "shop",
                "1",
                email="ann@example.com",
                first_name="Ann",
                last_name="Lee",
                postcode="94105",
                street="1 Main St",
            ),
            rec(
                "crm",
                "1",
                first_name="Annie",
                last_name="Lee",
                postcode="94105",
                street="1 main street",
                date_of_birth=date(1990, 1, 2),
            ),
        ],
    )
    run(warehouse, run_id="r1")
    before = warehouse.execute(
        "SELECT * FROM identity.golden_records ORDER BY profile_id"
    ).fetchall()
    journal = warehouse.execute("SELECT count(*) FROM identity.merge_journal").fetchall()
    counts = run(warehouse, run_id="r2")
    assert (
        counts["new_profiles"]
        == counts["merges"]
        == counts["splits"]
        == counts["joined_records"]
        == 0
    )
    assert counts["golden_records_written"] == 0
    assert (
        warehouse.execute("SELECT * FROM identity.golden_records ORDER BY profile_id").fetchall()
        == before
    )
    assert warehouse.execute("SELECT count(*) FROM identity.merge_journal").fetchall() == journal


def test_overrides_survive_later_runs(warehouse: duckdb.DuckDBPyConnection) -> None:
    insert(
        warehouse,
        [
            rec("shop", "1", email="pat@example.com", first_name="Pat"),
            rec("crm", "1", email="pat@example.com", first_name="Pat"),
            rec("crm", "2", email="someone@example.com", first_name="Zed"),
        ],
    )
    run(warehouse)
    assert same(warehouse, "shop:1", "crm:1")
    ensure_tables(warehouse)
    add_override(warehouse, "never_merge", "shop:1", "crm:1")
    add_override(warehouse, "always_merge", "crm:1", "crm:2")
    run(warehouse)
    run(warehouse)
    assert not same(warehouse, "shop:1", "crm:1")
    assert same(warehouse, "crm:1", "crm:2")
    pid = profiles(warehouse)["crm:2"]
    assert unmerge(warehouse, pid) == 2
    run(warehouse)
    assert len(set(profiles(warehouse).values())) == 3


def test_golden_record_survivorship(warehouse: duckdb.DuckDBPyConnection) -> None:
    old, new = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    insert(
        warehouse,
        [
            rec("shop", "1", email="ann@example.com", first_name="Ann", city="Boston", consent_email=True,
                updated_at=old, external_ids={"shopify_customer_id": "7"}),
            rec("crm", "1", email="ANN@example.com", first_name="Annie", city=None, consent_email=False,
                updated_at=new, external_ids={"hubspot_contact_id": "9"}),
        ],
    )  # fmt: skip
    config = IdentityConfig.model_validate(
        {
            "survivorship": {
                "fields": {"first_name": {"strategy": "source_priority", "sources": ["shop"]}}
            }
        }
    )
    run(warehouse, config)
    row = warehouse.execute(
        "SELECT email, first_name, city, consent_email, external_ids, sources, record_count, field_sources::VARCHAR "
        "FROM identity.golden_records"
    ).fetchall()[0]
    email, first, city, consent, ext, sources, count, field_sources = row
    assert (email, first, city, consent) == ("ann@example.com", "Ann", "Boston", False)
    assert ext == {"hubspot_contact_id": "9", "shopify_customer_id": "7"}
    assert sources == ["crm", "shop"] and count == 2
    assert '"first_name":"shop:1"' in field_sources.replace(" ", "")


def test_fuzzy_match_on_name_and_address(warehouse: duckdb.DuckDBPyConnection) -> None:
    people = [
        ("Ann", "Lee"), ("Bob", "Marsh"), ("Cara", "Nunez"), ("Dev", "Patel"), ("Eve", "Quinn"), ("Finn", "Ross"),
        ("Gil", "Soto"), ("Hana", "Tran"), ("Ivo", "Ueda"), ("Jo", "Vance"), ("Kai", "Wolfe"), ("Lu", "Xu"),
    ]  # fmt: skip
    rows = []
    for i, (first, last) in enumerate(people):
        street, zip_ = f"{10 + i} Oak Street", f"9{i:04d}"
        rows.append(rec("shop", str(i), email=f"{first}{i}@mail.com", first_name=first, last_name=last,
                        street=street, postcode=zip_, city="Springfield", date_of_birth=date(1980, 1, 1 + i)))  # fmt: skip
        rows.append(rec("crm", str(i), email=f"{first}.{last}@work{i}.com", first_name=first.upper(), last_name=last,
                        street=street.replace("Street", "St"), postcode=zip_, city="Springfield"))  # fmt: skip
    # A neighbour: same surname and address, different person.
    rows.append(
        rec(
            "crm",
            "n",
            first_name="Zoe",
            last_name="Lee",
            street="10 Oak St",
            postcode="90000",
            city="Springfield",
        )
    )
    insert(warehouse, rows)
    run(warehouse)
    for i in range(len(people)):
        assert same(warehouse, f"shop:{i}", f"crm:{i}")
    assert not same(warehouse, "shop:0", "crm:n")


def test_namesakes_in_one_postcode_need_more_than_their_names(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    people = [
        ("Ann", "Lee"), ("Bob", "Marsh"), ("Cara", "Nunez"), ("Dev", "Patel"), ("Eve", "Quinn"), ("Finn", "Ross"),
        ("Gil", "Soto"), ("Hana", "Tran"), ("Ivo", "Ueda"), ("Jo", "Vance"), ("Kai", "Wolfe"), ("Lu", "Xu"),
    ]  # fmt: skip
    rows = []
    for i, (first, last) in enumerate(people):
        street, zip_ = f"{10 + i} Oak Street", f"9{i:04d}"
        rows.append(rec("shop", str(i), email=f"{first}{i}@mail.com", first_name=first, last_name=last,
                        street=street, postcode=zip_, city="Springfield", date_of_birth=date(1980, 1, 1 + i)))  # fmt: skip
        rows.append(rec("crm", str(i), first_name=first, last_name=last, street=street.replace("Street", "St"),
                        postcode=zip_, city="Springfield"))  # fmt: skip
        # Somebody else with the same name in the same postcode, known by nothing more.
        rows.append(
            rec(
                "social",
                str(i),
                first_name=first,
                last_name=last,
                postcode=zip_,
                city="Springfield",
            )
        )
    insert(warehouse, rows)
    run(warehouse)
    for i in range(len(people)):
        assert same(warehouse, f"shop:{i}", f"crm:{i}")
        assert not same(warehouse, f"shop:{i}", f"social:{i}")
    evidence = warehouse.execute(
        "SELECT count(*) FROM identity.links WHERE rule = 'fuzzy_person' AND source_b = 'social'"
    ).fetchall()
    assert evidence == [(0,)]


def test_namesakes_born_the_same_day_in_two_towns_stay_apart(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    born = date(1975, 7, 29)
    insert(
        warehouse,
        [
            rec("crm", "1", first_name="Emily", last_name="Young", date_of_birth=born,
                street="818 Queen Ln", postcode="97249", email="emily.young@comcast.net"),
            rec("crm", "2", first_name="Emily", last_name="Young", date_of_birth=born,
                street="738 Station Ave", postcode="98187", email="emily667@comcast.net"),
        ],
    )  # fmt: skip
    run(warehouse)
    assert not same(warehouse, "crm:1", "crm:2")
