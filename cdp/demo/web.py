"""The storefront's browsing events (JSON Lines, Segment-style): views, cart adds, checkouts.

Visitors are known by a cookie (``anonymous_id``); the event carries their email once they
are logged in or have typed it at checkout, so browse and cart abandonment can be targeted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from cdp.demo import vocab
from cdp.demo.people import DAY, People
from cdp.demo.timefmt import fmt_time
from cdp.demo.variation import concat, hexes, where
from cdp.demo.writers import Export, jnum, jobject, jstr, write_jsonl

__all__ = ["write_web_events"]

ISO_Z = "%Y-%m-%dT%H:%M:%S.000Z"


def _uuid(rng: np.random.Generator, k: int) -> pa.Array:
    return concat(
        hexes(rng, k, 8),
        "-",
        hexes(rng, k, 4),
        "-4",
        hexes(rng, k, 3),
        "-a",
        hexes(rng, k, 3),
        "-",
        hexes(rng, k, 12),
    )


def write_web_events(rng: np.random.Generator, people: People, as_of: int, data: Path) -> Export:
    n = people.n
    visitors = np.flatnonzero(rng.random(n) < 0.35)
    v = len(visitors)
    anon = _uuid(rng, v)
    sessions_per = rng.geometric(0.6, v)
    s_visitor = np.repeat(np.arange(v), sessions_per)
    s = len(s_visitor)
    first = people.first_seen[visitors[s_visitor]]
    # A third of sessions in the last month, so abandonment segments have fresh members.
    recent = rng.random(s) < 0.33
    span = np.where(recent, np.minimum(as_of - first, 30 * DAY), as_of - first)
    s_time = as_of - 600 - (span * rng.random(s)).astype(np.int64)
    logged_in = rng.random(s) < 0.55
    views = rng.geometric(0.45, s)
    added = rng.random(s) < 0.4
    checkout = added & (rng.random(s) < 0.4)
    per = views + added + checkout
    e_session = np.repeat(np.arange(s), per)
    k = len(e_session)
    pos = np.arange(k) - np.repeat(np.cumsum(per) - per, per)
    nv = views[e_session]
    event = np.where(pos < nv, 0, np.where(pos == nv, 1, 2))
    when = s_time[e_session] + pos * rng.integers(15, 240, k)
    order = np.argsort(when, kind="stable")
    e_session, event, when = e_session[order], event[order], when[order]
    # The product of a session's cart is the last one viewed; each view is any product.
    prod = rng.integers(0, len(vocab.PRODUCTS), k)
    person = pa.array(visitors[s_visitor[e_session]])
    names = pa.array(["Product Viewed", "Product Added", "Checkout Started"]).take(pa.array(event))
    pk = pa.array(prod)
    lines = jobject(
        {
            "message_id": jstr(_uuid(rng, k)),
            "anonymous_id": jstr(anon.take(pa.array(s_visitor[e_session]))),
            "email": jstr(
                where(
                    logged_in[e_session] | (event == 2),
                    people.email.take(person),
                    pa.nulls(k, pa.string()),
                )
            ),
            "event": jstr(names),
            "timestamp": jstr(fmt_time(when, ISO_Z)),
            "product_id": jstr(pa.array([p[1] for p in vocab.PRODUCTS]).take(pk)),
            "product_name": jstr(pa.array([p[0] for p in vocab.PRODUCTS]).take(pk)),
            "price": jnum(pa.array([p[2] for p in vocab.PRODUCTS]).take(pk)),
            "url": jstr(
                concat(
                    "https://shop.example.com/products/",
                    pa.array([p[1].lower() for p in vocab.PRODUCTS]).take(pk),
                )
            ),
        }
    )
    path = write_jsonl(lines, data / "web_events.jsonl")
    counts = {"visitors": v, "sessions": s, "checkouts": int(checkout.sum())}
    return Export("web_events", [path], k, extra=counts)
