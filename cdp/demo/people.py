"""The real people behind the demo: one row per person, vectorized.

Each person has a home country, a name (and maybe a nickname), an address, a mobile number,
a personal email, sometimes a work email and a birth date, and the moment they first met the
brand. A few pairs of people share a household: same address, often the same last name, and
the partner uses the other's email address. Sources then see these people through
:mod:`cdp.demo.exports`, each with its own gaps and mistakes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from unidecode import unidecode

from cdp.demo import vocab
from cdp.demo.variation import choose, concat, digits, first_rows, ints, letters, scatter, where

__all__ = ["DAY", "People", "make_people"]

DAY = 86_400
HISTORY_DAYS = 730

_FIRST = {"en": vocab.EN_FIRST, "de": vocab.DE_FIRST, "fr": vocab.FR_FIRST}
_LAST = {"en": vocab.EN_LAST, "de": vocab.DE_LAST, "fr": vocab.FR_LAST}
#: Postcode after the city's prefix: d = digit, L = letter, other characters literal.
_POSTCODE = {
    "US": "dd",
    "GB": " dLL",
    "CA": " dLd",
    "DE": "dd",
    "FR": "dd",
    "AU": "dd",
    "NL": "dd LL",
}
#: Mobile numbers: country -> (prefixes of the national number, random digits after).
_MOBILE = {
    "GB": (("74", "75", "77", "78", "79"), 8),
    "DE": (("151", "152", "157", "160", "170", "171", "176"), 8),
    "FR": (("6", "7"), 8),
    "AU": (("4",), 8),
    "NL": (("6",), 8),
}


@dataclass
class People:
    """Columns of the people table (Arrow arrays or numpy arrays, all of length ``n``)."""

    n: int
    person_id: pa.Array
    country: pa.Array
    country_name: pa.Array
    first: pa.Array
    nick: pa.Array
    """Nickname, or null when the first name has none."""
    last: pa.Array
    street: pa.Array
    address2: pa.Array
    city: pa.Array
    region: pa.Array
    region_name: pa.Array
    postcode: pa.Array
    phone: pa.Array
    """National significant number (digits, no trunk prefix)."""
    email: pa.Array
    work_email: pa.Array
    company: pa.Array
    dob: np.ndarray
    """Days since 1970-01-01, or -1 when unknown."""
    first_seen: np.ndarray
    """Epoch seconds of the first contact with the brand."""
    consent_email: np.ndarray
    consent_sms: np.ndarray
    partner_of: np.ndarray
    """For the second member of a household, the index of the first; else -1."""


def _slug(values: tuple[str, ...]) -> list[str]:
    return ["".join(ch for ch in unidecode(v).lower() if ch.isalnum()) for v in values]


def _by_group(rng: np.random.Generator, groups: np.ndarray, lists: dict[str, tuple]) -> np.ndarray:
    """Index into the concatenation of ``lists`` (in dict order), drawn within each row's group."""
    offsets, sizes, start = {}, {}, 0
    for name, items in lists.items():
        offsets[name], sizes[name], start = start, len(items), start + len(items)
    off = np.array([offsets[g] for g in lists])
    size = np.array([sizes[g] for g in lists])
    code = np.zeros(len(groups), dtype=np.int64)
    for i, name in enumerate(lists):
        code[groups == name] = i
    return off[code] + (rng.random(len(groups)) * size[code]).astype(np.int64)


def _pattern(rng: np.random.Generator, n: int, pattern: str) -> pa.Array:
    parts = [
        digits(rng, n, 1) if c == "d" else letters(rng, n, 1) if c == "L" else c for c in pattern
    ]
    return concat(*parts) if parts else pa.array([""] * n)


def make_people(n: int, seed: int, as_of: int) -> People:
    """``n`` people, the same ones for the same ``seed`` and ``as_of`` (epoch seconds)."""
    rng = np.random.default_rng(seed)
    codes = [c[0] for c in vocab.COUNTRIES]
    cidx = rng.choice(
        len(codes),
        size=n,
        p=np.array([c[2] for c in vocab.COUNTRIES]) / sum(c[2] for c in vocab.COUNTRIES),
    )

    # Households: the partner lives in the owner's country (set before anything depends on it).
    h = int(n * 0.02)
    perm = rng.permutation(n)
    owners, partners = perm[:h], perm[h : 2 * h]
    cidx[partners] = cidx[owners]
    partner_of = np.full(n, -1, dtype=np.int64)
    partner_of[partners] = owners
    country = pa.array(codes).take(pa.array(cidx))
    group = np.array([c[3] for c in vocab.COUNTRIES])[cidx]

    first_all = [f for g in _FIRST.values() for f in g]
    fi = _by_group(rng, group, _FIRST)
    first = pa.array([f for f, _ in first_all]).take(pa.array(fi))
    nick = pa.array([k or None for _, k in first_all], pa.string()).take(pa.array(fi))
    first_slug = pa.array(_slug(tuple(f for f, _ in first_all))).take(pa.array(fi))
    last_all = [name for g in _LAST.values() for name in g]
    li = _by_group(rng, group, _LAST)
    last = pa.array(last_all).take(pa.array(li))
    last_slug = pa.array(_slug(tuple(last_all))).take(pa.array(li))

    # Where they live.
    city_rows = [(code, *c) for code in codes for c in vocab.CITIES[code]]
    by_country = {code: tuple(r for r in city_rows if r[0] == code) for code in codes}
    ci = _by_group(rng, country.to_numpy(zero_copy_only=False), by_country)
    cities = pa.table(
        {
            k: [r[i] for r in city_rows]
            for i, k in enumerate(["cc", "city", "region", "rname", "zip", "area"])
        }
    )
    city = cities["city"].combine_chunks().take(pa.array(ci))
    region = cities["region"].combine_chunks().take(pa.array(ci))
    region_name = cities["rname"].combine_chunks().take(pa.array(ci))
    zip_prefix = cities["zip"].combine_chunks().take(pa.array(ci))
    area = cities["area"].combine_chunks().take(pa.array(ci))
    cnp = country.to_numpy(zero_copy_only=False)
    post_parts, phone_parts, street_parts = [], [], []
    number = ints(rng.integers(1, 2400, n))
    name = choose(rng, vocab.STREETS, n)
    for code in codes:
        rows = np.flatnonzero(cnp == code)
        m = len(rows)
        if not m:
            continue
        take = pa.array(rows)
        post_parts.append((rows, concat(zip_prefix.take(take), _pattern(rng, m, _POSTCODE[code]))))
        if code in ("US", "CA"):
            exch = concat(ints(rng.integers(2, 10, m)), digits(rng, m, 2))
            mobile = concat(area.take(take), exch, digits(rng, m, 4))
        else:
            prefixes, k = _MOBILE[code]
            mobile = concat(choose(rng, prefixes, m), digits(rng, m, k))
        phone_parts.append((rows, mobile))
        if code == "DE":
            street = concat(
                name.take(take), choose(rng, vocab.STREET_LOCAL["DE"], m), " ", number.take(take)
            )
        elif code == "FR":
            street = concat(
                number.take(take),
                " ",
                choose(rng, vocab.STREET_LOCAL["FR"], m),
                " ",
                name.take(take),
            )
        else:
            street = concat(
                number.take(take), " ", name.take(take), " ", choose(rng, vocab.STREET_SUFFIX, m)
            )
        street_parts.append((rows, street))
    postcode, phone, street = (
        scatter(n, post_parts),
        scatter(n, phone_parts),
        scatter(n, street_parts),
    )
    address2 = where(
        rng.random(n) < 0.15,
        concat(choose(rng, ("Apt ", "Unit ", "Suite ", "#"), n), ints(rng.integers(1, 40, n))),
        pa.nulls(n, pa.string()),
    )

    # Birth dates (days since epoch) for about 70%; ages 18-80.
    dob = (as_of // DAY) - rng.integers(18 * 365, 80 * 365, n)
    dob[rng.random(n) < 0.3] = -1

    # Emails: a pattern of the names at a common domain of their country; duplicates get a number.
    domain_rows = [(code, d) for code in codes for d in vocab.EMAIL_DOMAINS[code]]
    domains = pa.array([d for _, d in domain_rows])
    di = _by_group(
        rng, cnp, {code: tuple(d for c, d in domain_rows if c == code) for code in codes}
    )
    kind = rng.choice(8, n, p=[0.25, 0.15, 0.12, 0.12, 0.12, 0.08, 0.06, 0.10])
    year = ints(np.where(dob >= 0, 1970 + dob // 365, rng.integers(1960, 2005, n)) % 100)
    year = pc.utf8_lpad(year, 2, "0")
    f1 = pc.utf8_slice_codeunits(first_slug, 0, 1)
    locals_ = [
        concat(first_slug, ".", last_slug),
        concat(first_slug, last_slug),
        concat(f1, last_slug),
        concat(first_slug, ".", last_slug, digits(rng, n, 2)),
        concat(first_slug, last_slug, year),
        concat(first_slug, "_", last_slug),
        concat(last_slug, ".", first_slug),
        concat(first_slug, digits(rng, n, 3)),
    ]
    local = locals_[0]
    for i in range(1, len(locals_)):
        local = where(kind == i, locals_[i], local)
    email = _unique(concat(local, "@", domains.take(pa.array(di))), n)

    has_company = rng.random(n) < 0.25
    co = rng.integers(0, len(vocab.COMPANIES), n)
    company = where(
        has_company,
        pa.array([c for c, _ in vocab.COMPANIES]).take(pa.array(co)),
        pa.nulls(n, pa.string()),
    )
    work = concat(
        first_slug,
        ".",
        last_slug,
        "@",
        pa.array([d for _, d in vocab.COMPANIES]).take(pa.array(co)),
    )
    work_email = where(has_company, _unique(work, n), pa.nulls(n, pa.string()))

    # The partner shares the owner's home, email and (mostly) last name.
    src = np.arange(n)
    src[partners] = owners
    shared = pa.array(src)
    keep_last = np.arange(n)
    lucky = rng.random(h) < 0.8
    keep_last[partners[lucky]] = owners[lucky]
    street, address2, city, region, region_name, postcode, email = (
        a.take(shared) for a in (street, address2, city, region, region_name, postcode, email)
    )
    last = last.take(pa.array(keep_last))

    first_seen = as_of - (rng.random(n) ** 0.8 * HISTORY_DAYS * DAY).astype(np.int64) - DAY
    return People(
        n=n,
        person_id=concat("p", pc.utf8_lpad(ints(np.arange(1, n + 1)), 7, "0")),
        country=country,
        country_name=pa.array([c[1][0] for c in vocab.COUNTRIES]).take(pa.array(cidx)),
        first=first,
        nick=nick,
        last=last,
        street=street,
        address2=address2,
        city=city,
        region=region,
        region_name=region_name,
        postcode=postcode,
        phone=phone,
        email=email,
        work_email=work_email,
        company=company,
        dob=dob,
        first_seen=first_seen,
        consent_email=rng.random(n) < 0.65,
        consent_sms=rng.random(n) < 0.25,
        partner_of=partner_of,
    )


def _match_key(email: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(local, domain) of each address as :func:`identity.normalize.email_match_key` folds it
    (Gmail ignores dots, most providers ``+tags``, Yahoo ``-tags``), vectorized."""
    from identity.normalize import DASH_TAG_DOMAINS, GMAIL_DOMAINS, PLUS_TAG_DOMAINS

    parts = pc.split_pattern(pc.utf8_lower(email), "@", max_splits=1)
    local, domain = pc.list_element(parts, 0), pc.list_element(parts, 1)

    def member(domains: frozenset[str]) -> pa.Array:
        return pc.fill_null(pc.is_in(domain, value_set=pa.array(sorted(domains))), False)

    def before(sep: str) -> pa.Array:
        return pc.list_element(pc.split_pattern(local, sep, max_splits=1), 0)

    local = where(member(PLUS_TAG_DOMAINS), before("+"), local)
    local = where(member(DASH_TAG_DOMAINS), before("-"), local)
    gmail = member(GMAIL_DOMAINS)
    local = where(gmail, pc.replace_substring(local, ".", ""), local)
    return local, where(gmail, "gmail.com", domain)


def _unique(email: pa.Array, n: int) -> pa.Array:
    """Emails made unique *as inboxes*: two people never get addresses that reach the same
    mailbox (``jon.lee@gmail.com`` / ``jonlee@gmail.com``). A repeat gets its folded local
    part plus the row number (which folds to itself), until no two rows collide."""
    for _ in range(8):
        local, domain = _match_key(email)
        dup = ~first_rows(concat(local, "@", domain)) & pc.is_valid(email).to_numpy(
            zero_copy_only=False
        )
        if not dup.any():
            break
        email = where(dup, concat(local, ints(np.arange(n)), "@", domain), email)
    return email
