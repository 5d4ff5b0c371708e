"""The email tool: Mailchimp's audience export (one CSV per status) and campaign activity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cdp.demo import vocab
from cdp.demo.crm import unique_email_rows
from cdp.demo.people import DAY, People
from cdp.demo.shop import display_first
from cdp.demo.timefmt import fmt_time
from cdp.demo.variation import (
    choose,
    concat,
    email_typos,
    format_phones,
    hexes,
    ints,
    nullify,
    vary_case,
    where,
)
from cdp.demo.writers import Export, jobject, jstr, write_csv, write_jsonl

__all__ = ["subscriber_hash", "write_mailchimp"]

MAILCHIMP_TIME = "%Y-%m-%d %H:%M:%S"
ISO_Z = "%Y-%m-%dT%H:%M:%SZ"
N_CAMPAIGNS = 12


def subscriber_hash(email: pa.Array) -> pa.Array:
    """Mailchimp's subscriber hash: md5 hex of the trimmed, lowercased email."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("emails", pa.table({"e": email}))
        return (
            con.sql("SELECT md5(lower(trim(e))) AS h FROM emails")
            .to_arrow_table()["h"]
            .combine_chunks()
        )
    finally:
        con.close()


def write_mailchimp(
    rng: np.random.Generator, people: People, as_of: int, data: Path
) -> list[Export]:
    n = people.n
    # The partner of a household has no address of their own to subscribe with.
    chosen = np.flatnonzero((rng.random(n) < 0.60) & (people.partner_of < 0))
    idx = pa.array(chosen)
    email = where(
        rng.random(len(chosen)) < 0.12, people.work_email.take(idx), people.email.take(idx)
    )
    email = pc.coalesce(email, people.email.take(idx))
    email = vary_case(rng, email_typos(rng, email, 0.01), 0.005, 0.0)
    keep = unique_email_rows(email)
    chosen, email = chosen[keep], email.filter(pa.array(keep))
    k = len(chosen)
    optin = np.minimum(people.first_seen[chosen] + rng.integers(0, 60 * DAY, k), as_of - 2 * DAY)
    order = np.argsort(optin, kind="stable")
    chosen, email, optin = chosen[order], email.take(pa.array(order)), optin[order]
    idx = pa.array(chosen)
    confirm = optin + rng.integers(30, 900, k)
    unsub = rng.random(k) < 0.12
    campaign_t = as_of - DAY * (8 + 60 * np.arange(N_CAMPAIGNS)[::-1]) - 9 * 3600
    # People leave after a campaign reached them: from the first one after they confirmed.
    first_c = campaign_t[np.minimum(np.searchsorted(campaign_t, confirm), N_CAMPAIGNS - 1)]
    start = np.minimum(np.maximum(confirm, first_c + 3600), as_of - 3600)
    unsub_t = start + ((as_of - start) * rng.random(k)).astype(np.int64)
    changed = np.where(
        unsub, unsub_t, confirm + ((as_of - confirm) * rng.random(k) ** 3).astype(np.int64)
    )
    country = people.country.take(idx)

    has_addr = rng.random(k) < 0.25
    address = concat(
        people.street.take(idx),
        "  ",
        people.city.take(idx),
        "  ",
        people.region.take(idx),
        "  ",
        people.postcode.take(idx),
        "  ",
        country,
    )
    dob = people.dob[chosen]
    birthday = where(
        (dob >= 0) & (rng.random(k) < 0.25),
        pc.strftime(pa.array(np.maximum(dob, 0).astype("int32")).cast(pa.date32()), format="%m/%d"),
        pa.nulls(k, pa.string()),
    )
    tags = choose(
        rng,
        ('"Customer"', '"Customer", "VIP"', '"Giveaway 2024"', '"Website signup"', None),
        k,
        [0.3, 0.05, 0.1, 0.25, 0.3],
    )

    campaign_ids = hexes(rng, N_CAMPAIGNS, 10)
    titles = pa.array(list(vocab.CAMPAIGN_SUBJECTS[:N_CAMPAIGNS]))
    last_campaign = np.clip(np.searchsorted(campaign_t, unsub_t) - 1, 0, N_CAMPAIGNS - 1)

    audience = {
        "Email Address": email,
        "First Name": nullify(
            rng, vary_case(rng, display_first(rng, people, idx, 0.12), 0.01, 0.06), 0.15
        ),
        "Last Name": nullify(rng, vary_case(rng, people.last.take(idx), 0.01, 0.06), 0.2),
        "Address": where(has_addr, address, pa.nulls(k, pa.string())),
        "Phone Number": where(
            rng.random(k) < 0.15,
            format_phones(rng, people.phone.take(idx), country),
            pa.nulls(k, pa.string()),
        ),
        "Birthday": birthday,
        "MEMBER_RATING": ints(rng.choice([1, 2, 3, 4, 5], k, p=[0.1, 0.35, 0.3, 0.15, 0.1])),
        "OPTIN_TIME": fmt_time(optin, MAILCHIMP_TIME),
        "CONFIRM_TIME": fmt_time(confirm, MAILCHIMP_TIME),
        "LAST_CHANGED": fmt_time(changed, MAILCHIMP_TIME),
        "LEID": ints(100_000_000 + np.cumsum(rng.integers(1, 40, k))),
        "EUID": hexes(rng, k, 10),
        "CC": country,
        "REGION": people.region.take(idx),
        "TAGS": tags,
    }
    table = pa.table(audience)
    subscribed = write_csv(
        table.filter(pa.array(~unsub)), data / "mailchimp_subscribed_members.csv"
    )
    unsub_table = table.filter(pa.array(unsub))
    u = pa.array(np.flatnonzero(unsub))
    lc = pa.array(last_campaign[unsub])
    unsub_table = (
        unsub_table.append_column("UNSUB_TIME", fmt_time(unsub_t[unsub], MAILCHIMP_TIME))
        .append_column("UNSUB_CAMPAIGN_TITLE", titles.take(lc))
        .append_column("UNSUB_CAMPAIGN_ID", campaign_ids.take(lc))
        .append_column(
            "UNSUB_REASON",
            choose(
                rng,
                (
                    "I no longer want to receive these emails",
                    "The emails are too frequent",
                    "I never signed up for this mailing list",
                    None,
                ),
                len(u),
            ),
        )
    )
    unsubscribed = write_csv(unsub_table, data / "mailchimp_unsubscribed_members.csv")

    # Campaign activity: each campaign goes to part of the audience subscribed at the time.
    rating = np.array(audience["MEMBER_RATING"].cast(pa.int64()))
    member, action, when, campaign, url_pick = [], [], [], [], []
    for c in range(N_CAMPAIGNS):
        t = campaign_t[c]
        sent = np.flatnonzero((confirm < t) & (~unsub | (unsub_t > t)) & (rng.random(k) < 0.3))
        bounced = rng.random(len(sent)) < 0.01
        delivered = sent[~bounced]
        opened = delivered[rng.random(len(delivered)) < 0.08 + 0.08 * rating[delivered]]
        clicked = opened[rng.random(len(opened)) < 0.25]
        open_t = t + (rng.exponential(6 * 3600, len(opened))).astype(np.int64) + 60
        click_t = open_t[np.isin(opened, clicked)] + rng.integers(5, 600, len(clicked))
        for rows, name, times in (
            (delivered, "sent", np.full(len(delivered), t) + rng.integers(0, 1800, len(delivered))),
            (sent[bounced], "bounce", np.full(int(bounced.sum()), t + 120)),
            (opened, "open", open_t),
            (clicked, "click", click_t),
        ):
            member.append(rows)
            action.append(np.full(len(rows), name, dtype=object))
            when.append(times)
            campaign.append(np.full(len(rows), c))
            url_pick.append(rng.integers(0, len(vocab.PRODUCTS), len(rows)))
    unsub_rows = np.flatnonzero(unsub)
    member.append(unsub_rows)
    action.append(np.full(len(unsub_rows), "unsub", dtype=object))
    when.append(unsub_t[unsub_rows])
    campaign.append(last_campaign[unsub_rows])
    url_pick.append(np.zeros(len(unsub_rows), dtype=np.int64))
    m, w = np.concatenate(member), np.concatenate(when)
    order = np.argsort(w, kind="stable")
    m, w = m[order], w[order]
    act = pa.array(np.concatenate(action)[order], pa.string())
    slugs = pa.array(["https://shop.example.com/products/" + p[1].lower() for p in vocab.PRODUCTS])
    url = where(
        pc.equal(act, "click"),
        slugs.take(pa.array(np.concatenate(url_pick)[order])),
        pa.nulls(len(m), pa.string()),
    )
    lines = jobject(
        {
            "campaign_id": jstr(campaign_ids.take(pa.array(np.concatenate(campaign)[order]))),
            "email_address": jstr(email.take(pa.array(m))),
            "action": jstr(act),
            "timestamp": jstr(fmt_time(w, ISO_Z)),
            "url": jstr(url),
        }
    )
    activity = write_jsonl(lines, data / "mailchimp_activity.jsonl")
    counts = {
        a: int(pc.sum(pc.equal(act, a)).as_py() or 0)
        for a in ("sent", "open", "click", "bounce", "unsub")
    }
    return [
        Export(
            "mailchimp_audience",
            [subscribed, unsubscribed],
            k,
            subscriber_hash(email),
            chosen,
            {"unsubscribed": int(unsub.sum())},
        ),
        Export("mailchimp_activity", [activity], len(m), extra=counts),
    ]
