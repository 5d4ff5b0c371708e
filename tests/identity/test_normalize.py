"""Normalizers: tables of valid and invalid inputs, plus properties (idempotence)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity.normalize import (
    canonical_first_name,
    clean_name,
    email_match_key,
    normalize_city,
    normalize_country,
    normalize_date_of_birth,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_postcode,
    normalize_region,
    normalize_street,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ann@Example.COM ", "ann@example.com"),
        ("mailto:ann@example.com", "ann@example.com"),
        ("<ann@example.com>", "ann@example.com"),
        ("ann.lee+news@gmail.com", "ann.lee+news@gmail.com"),
        ("ann@", None),
        ("ann@example", None),
        ("not an email", None),
        ("n/a", None),
        ("", None),
        (None, None),
        ("a..b@example.com", None),
    ],
)
def test_normalize_email(raw: str | None, expected: str | None) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("J.Doe+shop@GoogleMail.com", "jdoe@gmail.com"),
        ("j.doe@gmail.com", "jdoe@gmail.com"),
        ("ann+tag@outlook.com", "ann@outlook.com"),
        ("ann-tag@yahoo.com", "ann@yahoo.com"),
        ("ann.lee+tag@example.com", "ann.lee+tag@example.com"),  # unknown provider: untouched
        ("+tag@gmail.com", None),
        ("bad", None),
    ],
)
def test_email_match_key(raw: str, expected: str | None) -> None:
    assert email_match_key(raw) == expected


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(415) 555-0123", None, "+14155550123"),
        ("415.555.0123", "US", "+14155550123"),
        ("+1 415 555 0123", "gb", "+14155550123"),
        ("001 415 555 0123", None, "+14155550123"),
        ("020 7946 0958", "United Kingdom", "+442079460958"),
        ("07911 123456", "gb", "+447911123456"),
        ("030 1234567", "DE", "+49301234567"),
        ("415-555-0123 ext. 12", None, "+14155550123"),
        ("0000000000", None, None),
        ("123", None, None),
        ("n/a", None, None),
        (None, None, None),
    ],
)
def test_normalize_phone(raw: str | None, region: str | None, expected: str | None) -> None:
    assert normalize_phone(raw, region) == expected


def test_names() -> None:
    assert clean_name("José O'Brien-Smith", keep_accents=True) == "josé obrien smith"
    assert clean_name("  JOSÉ  ", keep_accents=False) == "jose"
    assert normalize_name("Zoë") == "zoe"
    assert normalize_name("!!!") is None
    assert canonical_first_name("Bob") == "robert"
    assert canonical_first_name("Dr. Liz") == "elizabeth"
    assert canonical_first_name("Robert James") == "robert"
    assert canonical_first_name("Xavier") == "xavier"
    assert canonical_first_name(None) is None


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("94105-1234", "US", "94105"),
        ("94105", None, "94105"),
        ("2134", "us", "02134"),
        ("SW1A 1AA", "gb", "sw1a1aa"),
        ("75008", "fr", "75008"),
        ("  ", None, None),
    ],
)
def test_normalize_postcode(raw: str, country: str | None, expected: str | None) -> None:
    assert normalize_postcode(raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("US", "us"), ("usa", "us"), ("United States", "us"), ("U.K.", "gb"), ("GBR", "gb"),
     ("Deutschland", "de"), ("fr", "fr"), ("Atlantis", None), (None, None)],
)  # fmt: skip
def test_normalize_country(raw: str | None, expected: str | None) -> None:
    assert normalize_country(raw) == expected


def test_places_and_streets() -> None:
    assert normalize_region("California") == "ca"
    assert normalize_region("CA") == "ca"
    assert normalize_region("Île-de-France") == "iledefrance"
    assert normalize_city("St. Louis") == "saint louis"
    assert normalize_city("SAN  FRANCISCO ") == "san francisco"
    assert normalize_street("123 Main Street, Apt. 4") == "123 main st apt 4"
    assert normalize_street("123 main st #4") == "123 main st apt 4"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1985-04-03", date(1985, 4, 3)),
        ("1985-04-03T00:00:00Z", date(1985, 4, 3)),
        ("04/03/1985", date(1985, 4, 3)),
        ("25/12/1985", date(1985, 12, 25)),
        ("03.04.1985", date(1985, 4, 3)),
        ("April 3, 1985", date(1985, 4, 3)),
        (date(1985, 4, 3), date(1985, 4, 3)),
        ("1850-01-01", None),
        ("2999-01-01", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_normalize_date_of_birth(raw: object, expected: date | None) -> None:
    assert normalize_date_of_birth(raw) == expected


@given(st.text(max_size=40))
def test_normalizers_never_raise_and_are_idempotent(text: str) -> None:
    for fn in (normalize_email, email_match_key, normalize_name, normalize_city, normalize_street):
        once = fn(text)
        assert once is None or fn(once) == once
    assert normalize_phone(text) in (None, normalize_phone(normalize_phone(text)))
    normalize_postcode(text)
    normalize_country(text)
    normalize_region(text)
    normalize_date_of_birth(text)


@given(st.emails())
def test_valid_emails_normalize(email: str) -> None:
    normalized = normalize_email(email)
    if normalized is not None:
        assert normalized == normalized.strip().lower()
        key = email_match_key(email)
        assert key is None or "@" in key


@given(
    st.integers(min_value=2_000_000_000, max_value=9_999_999_999), st.sampled_from(["", "1", "+1 "])
)
def test_north_american_fast_path_agrees_with_phonenumbers(number: int, prefix: str) -> None:
    import phonenumbers

    text = prefix + str(number)
    try:
        parsed = phonenumbers.parse(text, "US")
        expected = (
            phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            if phonenumbers.is_valid_number(parsed)
            else None
        )
    except phonenumbers.NumberParseException:
        expected = None
    assert normalize_phone(text, "US") == expected


def test_first_name_from_email() -> None:
    from identity.normalize import first_name_from_email as spelt

    assert spelt("vanburen.mary", "van buren") == "mary"
    assert spelt("donnabrown65") == "donna"
    assert spelt("kevin.wood27", "wood") == "kevin"
    assert spelt("christinehall00", "hall") == "christine"
    assert spelt("jsmith", "smith") == "j"
    assert spelt("jsmith") is None
    assert spelt("thomas.james") is None  # which is the first name?
    assert spelt("pierre.martin", "martin") == "pierre"
    assert spelt("info") is None
    assert spelt(None) is None


def test_names_compatible_knows_nicknames_and_their_slips() -> None:
    from identity.compare import names_compatible

    for a, b in [("kathy", "kathleen"), ("kathy", "katherine"), ("uschi", "ursula"),
                 ("tonny", "anthony"), ("ktae", "katherine"), ("basti", "sebastian"),
                 ("chris", "christine"), ("bob", "robert"), ("carol", "carrol"),
                 ("micheal", "michael"), ("stephan", "stephen")]:  # fmt: skip
        assert names_compatible(a, b) and names_compatible(b, a), (a, b)
    for a, b in [("mike", "rick"), ("tom", "timothy"), ("mandy", "sandy"),
                 ("amanda", "alexandra"), ("mary", "margaret"), ("thomas", "mary"),
                 # a household's two people, not a typo
                 ("alexandra", "alexander"), ("charlotte", "charles"),
                 ("christine", "christopher"), ("marie", "maria"), ("paul", "paula"),
                 ("stefan", "stefanie"), ("andy", "mandy")]:  # fmt: skip
        assert not names_compatible(a, b) and not names_compatible(b, a), (a, b)


def test_a_group_s_vaguer_names_are_settled_by_its_specific_ones() -> None:
    from identity.compare import first_names_compatible, settled_names

    charles = [("charles", "charles"), ("charlie", "charles")]
    assert settled_names(charles) == [("charles", "charles")]
    assert first_names_compatible(("charlie", "charles"), ("charlotte", "charlotte"))
    assert settled_names([("s", "s"), ("sebastian", "sebastian")]) == [("sebastian", "sebastian")]
    alex = [("alex", "alexander"), ("sandra", "alexandra")]  # Alex is Alexandra here
    assert settled_names(alex) == [("sandra", "alexandra")]
    assert settled_names([("alex", "alexander"), ("s", "s")]) == [("alex", "alexander"), ("s", "s")]


def test_one_slip_emails() -> None:
    from identity.compare import similarity

    left = ["mrgan.samuel@shaw.ca", "jsmith@mail.com", "jsmith1@gmail.com", "ann@x.com"]
    right = ["morgan.samuel@shaw.ca", "jsmith@gmail.com", "jsmith2@gmail.com", "bob@x.com"]
    assert similarity("one_slip", left, right).tolist() == [1.0, 0.0, 0.0, 0.0]


def test_mistyped_providers_match_the_provider() -> None:
    from identity.normalize import email_match_key, provider_domain

    assert email_match_key("Ann.Lee@gmial.com") == "annlee@gmail.com"
    assert provider_domain("outlok.com") == "outlook.com"
    assert provider_domain("hotmial.com") == "hotmail.com"
    # real providers and unknown domains stay as written
    for domain in ("mail.com", "email.com", "ymail.com", "gmx.de", "acme.com"):
        assert provider_domain(domain) == domain


def test_streets_with_two_house_numbers_differ() -> None:
    from identity.compare import similarity

    sim = similarity(
        "street",
        ["174 washington rd", "12 oak st", "oak st", "oak st", "7b elm rd apt 2"],
        ["1451 washington rd", "12 oak street", "oak st", "12 oak st", "7 elm rd apt 3"],
    )
    assert sim[0] == 0.0 and sim[1] > 0.8 and sim[2] == 1.0
    assert sim[3] == 0.0 and sim[4] > 0.8  # a number against none; the first number counts


def test_two_different_emails_weigh_nothing() -> None:
    import numpy as np

    from identity.compare import COMPARISONS, coded_levels

    values = ["ann.lee@gmail.com", "ann@work.com", "ann@x.com", "anne@x.com"]
    left = np.array([1, 2, 2, -1], dtype=np.int32)  # ann@work.com, ann@x.com, ann@x.com, -
    right = np.array([0, 2, 3, 2], dtype=np.int32)  # ann.lee@gmail.com, ann@x.com, anne@x.com, ...
    texts = lambda codes: [values[i] for i in codes]  # noqa: E731
    assert coded_levels(COMPARISONS["email"], left, right, texts).tolist() == [-1, 2, 1, -1]


def test_learned_nanp_prefixes_give_the_same_numbers_as_libphonenumber() -> None:
    from identity import normalize as nz

    raw = ["(415) 555-2671", "212.736.5000", "+1 604 555 0199", "1-800-555-0000", "312 555 01",
           "(999) 123-4567", "416-555-0142 ext 12", "+1 (202) 456-1111"]  # fmt: skip
    nz._NANP_VALID.clear()
    checked = [nz.normalize_phone(r, "US") for r in raw]
    prefixes = {n[2:8] for n in checked if n}
    nz._NANP_VALID.clear()
    nz.learn_nanp_prefixes(prefixes)
    assert [nz.normalize_phone(r, "US") for r in raw] == checked
    assert set(nz._NANP_VALID) == prefixes | {"999123"}  # the invalid one was checked


@given(st.text(alphabet="0 1-aAnN/ulTtés", max_size=6))
def test_junk_external_ids_are_the_same_in_python_and_in_sql(value: str) -> None:
    import duckdb

    from identity.junk import is_junk, junk_id_sql

    (in_sql,) = duckdb.sql(f"SELECT {junk_id_sql('$v')}", params={"v": value}).fetchall()[0]
    assert in_sql == is_junk("shopify_customer_id", value)


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_the_nanp_check_agrees_with_parsing(digits: str) -> None:
    from identity import normalize as nz

    assert nz._is_valid(1, digits) == (nz._phone("+1" + digits, "US") is not None)


@given(
    st.sampled_from(["1", "7", "33", "39", "44", "49", "52", "54", "55", "61", "81", "86", "353",
                     "358", "972", "999", "0"]),
    st.text(alphabet="0123456789 -", min_size=2, max_size=16),
)  # fmt: skip
def test_numbers_written_with_their_country_code_read_as_libphonenumber_reads_them(
    code: str, rest: str
) -> None:
    from identity import normalize as nz

    text = f"+{code} {rest}"
    fast = nz._international(text)
    if fast is not False:
        assert fast == nz._phone(text, "US")


def test_the_international_fast_path_covers_plain_numbers_only() -> None:
    from identity import normalize as nz

    assert nz._international("+44 7400 123456") == nz._phone("+447400123456", "US") is not None
    assert nz._international("+49 1602 7753678") == "+4916027753678"
    assert nz._international("+44 (0) 20 7946 0000") is False  # a national prefix: parsed
    assert nz._international("+39 06 6988 1234") is False  # Italy's leading zero: parsed
    assert nz._international("07400 123456") is False  # national format: parsed
    assert nz.normalize_phone("+44 (0) 20 7946 0018", "US") == "+442079460018"
