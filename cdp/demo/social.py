"""Social: Meta lead-form leads (CSV) and the page's comments and reactions (JSON Lines)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from cdp.demo import vocab
from cdp.demo.people import DAY, People
from cdp.demo.shop import display_first
from cdp.demo.timefmt import fmt_time
from cdp.demo.variation import (
    concat,
    email_typos,
    format_phones,
    ints,
    junk,
    nullify,
    vary_case,
    where,
)
from cdp.demo.writers import Export, jobject, jstr, write_csv, write_jsonl

__all__ = ["write_facebook"]

META_TIME = "%Y-%m-%dT%H:%M:%S+0000"
PAGE_ID = "104328759012345"
N_POSTS = 90


def _ids(rng: np.random.Generator, base: int, k: int) -> np.ndarray:
    """``k`` distinct increasing ids above ``base`` that look like Meta's."""
    return base + np.cumsum(rng.integers(1, 5_000_000, k))


def _leads(rng: np.random.Generator, people: People, as_of: int, data: Path) -> Export:
    n = people.n
    chosen = np.flatnonzero(rng.random(n) < 0.10)
    persons = np.concatenate(
        [chosen, chosen[rng.random(len(chosen)) < 0.08]]
    )  # some fill two forms
    k = len(persons)
    start = np.maximum(people.first_seen[persons], as_of - 420 * DAY)
    created = start + ((as_of - start) * rng.random(k)).astype(np.int64)
    order = np.argsort(created, kind="stable")
    persons, created = persons[order], created[order]
    idx = pa.array(persons)
    lead_ids = concat("l:", ints(_ids(rng, 1_200_000_000_000_000, k)))

    form = rng.integers(0, len(vocab.LEAD_FORMS), k)
    ad = rng.integers(0, 3, k)
    fk = pa.array(form)
    campaign_id = concat(
        "c:", ints(np.array([120_201_000_000_001 + 17 * i for i in range(len(vocab.LEAD_FORMS))]))
    )
    adset_id = concat(
        "as:", ints(np.array([120_202_000_000_003 + 29 * i for i in range(len(vocab.LEAD_FORMS))]))
    )
    form_id = concat(
        "f:", ints(np.array([880_001_234_567_000 + 101 * i for i in range(len(vocab.LEAD_FORMS))]))
    )
    names = pa.array([f for f, _ in vocab.LEAD_FORMS])
    country = people.country.take(idx)
    # Meta pre-fills from the profile (E.164 phones, the account's email); some people retype.
    phone = where(
        rng.random(k) < 0.75,
        format_phones(rng, people.phone.take(idx), country, p_e164=1.0),
        format_phones(rng, people.phone.take(idx), country),
    )
    email = junk(
        rng,
        email_typos(rng, vary_case(rng, people.email.take(idx), 0.03, 0.0), 0.02),
        0.03,
        vocab.JUNK_EMAILS,
    )
    full_name = vary_case(
        rng, concat(display_first(rng, people, idx, 0.15), " ", people.last.take(idx)), 0.02, 0.08
    )
    table = pa.table(
        {
            "id": lead_ids,
            "created_time": fmt_time(created, META_TIME),
            "ad_id": concat("ag:", ints(120_203_000_000_000 + 1000 * form + ad)),
            "ad_name": concat(names.take(fk), " - Ad ", ints(ad + 1)),
            "adset_id": adset_id.take(fk),
            "adset_name": concat(names.take(fk), " - Lookalike 1%"),
            "campaign_id": campaign_id.take(fk),
            "campaign_name": pa.array([c for _, c in vocab.LEAD_FORMS]).take(fk),
            "form_id": form_id.take(fk),
            "form_name": names.take(fk),
            "is_organic": where(rng.random(k) < 0.05, "true", pa.array(["false"] * k)),
            "platform": where(rng.random(k) < 0.35, "ig", pa.array(["fb"] * k)),
            "email": email,
            "full_name": junk(rng, full_name, 0.005, vocab.JUNK_NAMES),
            "phone_number": junk(rng, nullify(rng, phone, 0.1), 0.01, vocab.JUNK_PHONES),
            "city": nullify(rng, vary_case(rng, people.city.take(idx), 0.02, 0.1), 0.3),
            "zip_code": nullify(rng, people.postcode.take(idx), 0.4),
        }
    )
    path = write_csv(table, data / "facebook_leads.csv")
    return Export(
        "facebook_leads", [path], k, lead_ids, persons, {"people": len(np.unique(persons))}
    )


def _page_activity(rng: np.random.Generator, people: People, as_of: int, data: Path) -> Export:
    n = people.n
    fans = np.flatnonzero(rng.random(n) < 0.15)
    f = len(fans)
    fan_ids = ints(rng.permutation(_ids(rng, 7_100_000_000_000_000, f)))
    fan_names = vary_case(
        rng,
        concat(
            display_first(rng, people, pa.array(fans), 0.25), " ", people.last.take(pa.array(fans))
        ),
        0.0,
        0.03,
    )

    post_t = as_of - (np.arange(N_POSTS)[::-1] * 8 * DAY) - 14 * 3600
    post_ids = concat(PAGE_ID + "_", ints(_ids(rng, 900_000_000_000_000, N_POSTS)))
    per_fan = rng.geometric(0.45, f)
    fan = np.repeat(np.arange(f), per_fan)
    k = len(fan)
    # Engagement follows when people first met the brand; more on recent posts.
    low = np.searchsorted(post_t, people.first_seen[fans[fan]])
    post = np.minimum(low + ((N_POSTS - low) * rng.random(k) ** 0.7).astype(np.int64), N_POSTS - 1)
    when = np.minimum(post_t[post] + rng.exponential(DAY, k).astype(np.int64) + 60, as_of - 60)
    order = np.argsort(when, kind="stable")
    fan, post, when = fan[order], post[order], when[order]
    comment = rng.random(k) < 0.35
    pk, fk = pa.array(post), pa.array(fan)
    item_id = concat(post_ids.take(pk), "_", ints(_ids(rng, 1_000_000_000_000_000, k)))
    messages = pa.array(list(vocab.COMMENTS)).take(
        pa.array(rng.integers(0, len(vocab.COMMENTS), k))
    )
    reactions = pa.array(list(vocab.REACTIONS)).take(
        pa.array(rng.integers(0, len(vocab.REACTIONS), k))
    )
    lines = jobject(
        {
            "id": jstr(item_id),
            "type": jstr(where(comment, "comment", pa.array(["reaction"] * k))),
            "post_id": jstr(post_ids.take(pk)),
            "created_time": jstr(fmt_time(when, META_TIME)),
            "from": jobject({"id": jstr(fan_ids.take(fk)), "name": jstr(fan_names.take(fk))}),
            "message": jstr(where(comment, messages, pa.nulls(k, pa.string()))),
            "reaction_type": jstr(where(comment, None, reactions)),
        }
    )
    path = write_jsonl(lines, data / "facebook_page_activity.jsonl")
    return Export(
        "facebook_page_activity",
        [path],
        k,
        fan_ids,
        fans,
        {"comments": int(comment.sum()), "people": f},
    )


def write_facebook(
    rng: np.random.Generator, people: People, as_of: int, data: Path
) -> list[Export]:
    return [_leads(rng, people, as_of, data), _page_activity(rng, people, as_of, data)]
