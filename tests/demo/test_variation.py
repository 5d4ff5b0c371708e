"""The vectorized variation helpers."""

from __future__ import annotations

import numpy as np
import phonenumbers
import pyarrow as pa
import pytest

from cdp.demo.people import make_people
from cdp.demo.variation import PHONE_FORMATS, format_phones, name_typos, vary_case


@pytest.mark.parametrize("country", list(PHONE_FORMATS))
def test_every_phone_format_of_a_number_parses_to_the_same_number(country: str) -> None:
    people = make_people(3_000, 11, 1_770_000_000)
    rows = np.flatnonzero(np.array(people.country.to_pylist()) == country)[:40]
    nsn = people.phone.take(pa.array(rows))
    codes = people.country.take(pa.array(rows))
    for i in range(len(PHONE_FORMATS[country])):
        rng = np.random.default_rng(i)
        written = format_phones(rng, nsn, codes, p_e164=0.0 if i else 1.0).to_pylist()
        e164 = format_phones(rng, nsn, codes, p_e164=1.0).to_pylist()
        for w, e in zip(written, e164, strict=True):
            assert (
                phonenumbers.format_number(
                    phonenumbers.parse(w, country), phonenumbers.PhoneNumberFormat.E164
                )
                == e
            )


def test_typos_and_case_change_only_the_rows_they_hit() -> None:
    names = pa.array(["Jonathan", "Amy", None, "Elizabeth"] * 250)
    out = name_typos(np.random.default_rng(1), names, 0.5).to_pylist()
    changed = [a != b for a, b in zip(names.to_pylist(), out, strict=True) if a is not None]
    assert 0.3 < sum(changed) / len(changed) < 0.5  # "Amy" is too short to mistype
    assert all(b is None for a, b in zip(names.to_pylist(), out, strict=True) if a is None)
    cased = vary_case(np.random.default_rng(2), names, 0.2, 0.2).to_pylist()
    assert {c for c in cased if c and c.isupper()} and {c for c in cased if c and c.islower()}


def test_people_have_unique_emails_except_households() -> None:
    people = make_people(5_000, 5, 1_770_000_000)
    emails = people.email.to_pylist()
    partners = int((people.partner_of >= 0).sum())
    assert len(emails) - len(set(emails)) == partners > 0


@pytest.mark.parametrize(
    ("fmt", "tz"),
    [
        ("%Y-%m-%d %H:%M:%S %z", "America/New_York"),  # Shopify, with DST changes in range
        ("%Y-%m-%d %H:%M:%S %z", "Europe/Berlin"),
        ("%Y-%m-%d %H:%M", "UTC"),
        ("%Y-%m-%dT%H:%M:%S+0000", "UTC"),
        ("%Y-%m-%dT%H:%M:%S.000Z", "UTC"),
        ("%m/%d", "UTC"),
    ],
)
def test_fmt_time_matches_strftime(fmt: str, tz: str) -> None:
    import pyarrow.compute as pc

    from cdp.demo.timefmt import fmt_time

    seconds = np.random.default_rng(0).integers(1_700_000_000, 1_790_000_000, 20_000)
    seconds = np.concatenate([seconds, [1_710_054_000 + i * 600 for i in range(12)]])  # 2024-03-10
    expected = pc.strftime(
        pa.array(seconds).cast(pa.timestamp("s", tz="UTC")).cast(pa.timestamp("s", tz=tz)),
        format=fmt,
    )
    assert fmt_time(seconds, fmt, tz).to_pylist() == expected.to_pylist()


def test_distinct_people_never_share_an_inbox() -> None:
    """Gmail ignores dots and +tags: two people must not get jon.lee@ / jonlee@gmail.com
    (only a partner shares the owner's address, on purpose)."""
    from collections import defaultdict

    from cdp.demo.people import make_people
    from identity.normalize import email_match_key

    people = make_people(20_000, seed=3, as_of=1_770_000_000)
    owner = people.partner_of
    holders: dict[str, set[int]] = defaultdict(set)
    for i, email in enumerate(people.email.to_pylist()):
        key = email_match_key(email)
        if key:
            holders[key].add(int(owner[i]) if owner[i] >= 0 else i)
    assert all(len(h) == 1 for h in holders.values())
    work = [email_match_key(e) for e in people.work_email.to_pylist() if e]
    assert len(work) == len(set(work))
