"""The CRM: HubSpot's contacts export. Sales reps type what they hear, so it is the messiest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cdp.demo import vocab
from cdp.demo.people import DAY, People
from cdp.demo.shop import display_first
from cdp.demo.timefmt import fmt_time
from cdp.demo.variation import (
    choose,
    email_typos,
    first_rows,
    format_phones,
    ints,
    junk,
    name_typos,
    nullify,
    pad_spaces,
    vary_case,
    where,
)
from cdp.demo.writers import Export, write_csv

__all__ = ["unique_email_rows", "write_hubspot"]

HUBSPOT_TIME = "%Y-%m-%d %H:%M"


def unique_email_rows(email: pa.Array) -> np.ndarray:
    """Rows to keep so that no trimmed, lowercased email repeats (tools that dedupe on email);
    rows without an email are all kept."""
    key = pc.utf8_lower(pc.utf8_trim_whitespace(email))
    return first_rows(key) | pc.is_null(key).to_numpy(zero_copy_only=False)


def write_hubspot(rng: np.random.Generator, people: People, as_of: int, data: Path) -> Export:
    n = people.n
    chosen = np.flatnonzero(rng.random(n) < 0.50)
    # A few people were entered twice (once with a work email, once with a personal one).
    again = chosen[
        (rng.random(len(chosen)) < 0.06)
        & pc.is_valid(people.work_email.take(pa.array(chosen))).to_numpy(zero_copy_only=False)
    ]
    persons = np.concatenate([chosen, again])
    dup = np.r_[np.zeros(len(chosen), bool), np.ones(len(again), bool)]
    k = len(persons)
    idx = pa.array(persons)
    is_partner = people.partner_of[persons] >= 0

    work_first = rng.random(k) < 0.3
    email = where(work_first & ~dup, people.work_email.take(idx), people.email.take(idx))
    email = where(pc.is_null(email).to_numpy(zero_copy_only=False), people.email.take(idx), email)
    email = where(dup, people.work_email.take(idx), email)
    email = where(
        is_partner & ~dup, people.work_email.take(idx), email
    )  # the shared address is the partner's
    email = vary_case(rng, pad_spaces(rng, email_typos(rng, email, 0.02), 0.01), 0.01, 0.0)
    email = nullify(rng, email, 0.05)

    keep = unique_email_rows(email)
    persons, dup, email = persons[keep], dup[keep], email.filter(pa.array(keep))
    k = len(persons)
    idx = pa.array(persons)
    created = people.first_seen[persons] + rng.integers(0, 30 * DAY, k)
    created = np.minimum(created, as_of - 3600)
    order = np.argsort(created, kind="stable")
    persons, dup, email, created = (
        persons[order],
        dup[order],
        email.take(pa.array(order)),
        created[order],
    )
    idx = pa.array(persons)
    modified = np.minimum(
        created + (rng.random(k) ** 2 * (as_of - created)).astype(np.int64), as_of
    )
    record_ids = 1_000_000 + np.cumsum(rng.integers(1, 900, k))

    country = people.country.take(idx)
    has_addr = rng.random(k) >= 0.35
    # Country and state are free text in HubSpot: a name, an abbreviation or a code.
    country_variant = pa.array([v for c in vocab.COUNTRIES for v in c[1]])
    offsets = np.cumsum([0] + [len(c[1]) for c in vocab.COUNTRIES])[:-1]
    cidx = pc.index_in(country, pa.array([c[0] for c in vocab.COUNTRIES])).to_numpy(
        zero_copy_only=False
    )
    variant = offsets[cidx] + (
        rng.random(k) ** 3 * np.array([len(c[1]) for c in vocab.COUNTRIES])[cidx]
    ).astype(np.int64)
    state = where(rng.random(k) < 0.5, people.region_name.take(idx), people.region.take(idx))
    dob = people.dob[persons]
    dob_known = (dob >= 0) & (rng.random(k) < 0.3)
    dob_str = pc.strftime(
        pa.array(np.where(dob_known, dob, 0).astype("int32")).cast(pa.date32()), format="%Y-%m-%d"
    )
    phone = format_phones(rng, people.phone.take(idx), country, p_e164=0.15)
    table = pa.table(
        {
            "Record ID": ints(record_ids),
            "First Name": nullify(
                rng,
                vary_case(
                    rng,
                    name_typos(
                        rng, pad_spaces(rng, display_first(rng, people, idx, 0.2), 0.02), 0.04
                    ),
                    0.02,
                    0.05,
                ),
                0.03,
            ),
            "Last Name": junk(
                rng,
                nullify(
                    rng,
                    vary_case(
                        rng,
                        name_typos(rng, pad_spaces(rng, people.last.take(idx), 0.02), 0.04),
                        0.03,
                        0.05,
                    ),
                    0.06,
                ),
                0.005,
                vocab.JUNK_NAMES,
            ),
            "Email": email,
            "Phone Number": junk(rng, nullify(rng, phone, 0.4), 0.01, vocab.JUNK_PHONES),
            "Mobile Phone Number": where(
                rng.random(k) < 0.1,
                format_phones(rng, people.phone.take(idx), country),
                pa.nulls(k, pa.string()),
            ),
            "Street Address": where(has_addr, people.street.take(idx), pa.nulls(k, pa.string())),
            "City": where(
                has_addr,
                vary_case(rng, people.city.take(idx), 0.02, 0.05),
                pa.nulls(k, pa.string()),
            ),
            "State/Region": where(has_addr, state, pa.nulls(k, pa.string())),
            "Postal Code": where(has_addr, people.postcode.take(idx), pa.nulls(k, pa.string())),
            "Country/Region": nullify(rng, country_variant.take(pa.array(variant)), 0.2),
            "Date of birth": where(dob_known, dob_str, pa.nulls(k, pa.string())),
            "Company Name": people.company.take(idx),
            "Job Title": where(
                pc.is_valid(people.company.take(idx)).to_numpy(zero_copy_only=False),
                choose(
                    rng, ("Buyer", "Marketing Manager", "Founder", "Operations Lead", "Designer"), k
                ),
                pa.nulls(k, pa.string()),
            ),
            "Create Date": fmt_time(created, HUBSPOT_TIME),
            "Last Modified Date": fmt_time(modified, HUBSPOT_TIME),
            "Lifecycle Stage": choose(
                rng,
                (
                    "subscriber",
                    "lead",
                    "marketingqualifiedlead",
                    "salesqualifiedlead",
                    "opportunity",
                    "customer",
                ),
                k,
                [0.3, 0.3, 0.1, 0.05, 0.05, 0.2],
            ),
            "Lead Status": where(
                rng.random(k) < 0.4,
                choose(rng, ("New", "Open", "In Progress", "Connected", "Unqualified"), k),
                pa.nulls(k, pa.string()),
            ),
            "Contact owner": choose(rng, ("Dana Whitfield", "Marcus Lee", "Priya Raman", None), k),
            "Original Source": choose(
                rng,
                (
                    "Organic Search",
                    "Paid Social",
                    "Direct Traffic",
                    "Email Marketing",
                    "Offline Sources",
                    "Referrals",
                ),
                k,
            ),
            "Marketing contact status": where(
                people.consent_email[persons],
                "Marketing contact",
                pa.array(["Non-marketing contact"] * k),
            ),
        }
    )
    path = write_csv(table, data / "hubspot_contacts.csv")
    return Export(
        "hubspot_contacts", [path], k, ints(record_ids), persons, {"entered_twice": int(dup.sum())}
    )
