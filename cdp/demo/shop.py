"""The store: Shopify's customers export and its orders export (one row per line item)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cdp.demo import vocab
from cdp.demo.people import DAY, People
from cdp.demo.timefmt import fmt_time
from cdp.demo.variation import (
    choose,
    concat,
    email_typos,
    format_phones,
    ints,
    junk,
    name_typos,
    nullify,
    pad_spaces,
    scatter,
    vary_case,
    where,
)
from cdp.demo.writers import Export, write_csv

__all__ = ["display_first", "write_shop"]

STORE_TZ = "America/New_York"
SHOPIFY_TIME = "%Y-%m-%d %H:%M:%S %z"


def display_first(
    rng: np.random.Generator, people: People, idx: pa.Array, p_nick: float
) -> pa.Array:
    """First names as a person gives them: the nickname for ``p_nick`` of those who have one."""
    first, nick = people.first.take(idx), people.nick.take(idx)
    use = rng.random(len(idx)) < p_nick
    return where(use & pc.is_valid(nick).to_numpy(zero_copy_only=False), nick, first)


def _fmt_money(values: np.ndarray) -> pa.Array:
    cents = np.round(values * 100).astype(np.int64)
    return concat(ints(cents // 100), ".", pc.utf8_lpad(ints(cents % 100), 2, "0"))


def write_shop(rng: np.random.Generator, people: People, as_of: int, data: Path) -> list[Export]:
    n = people.n
    # About 70% of people have a store account; a household's second member shops as a guest.
    is_customer = (rng.random(n) < 0.70) & (people.partner_of < 0)
    members = np.flatnonzero(is_customer)
    members = members[np.argsort(people.first_seen[members], kind="stable")]
    m = len(members)
    idx = pa.array(members)
    customer_ids = 6_800_000_000_000 + np.cumsum(rng.integers(1, 50_000, m))

    email = email_typos(rng, people.email.take(idx), 0.01)
    email = nullify(rng, email, 0.03)

    # Orders: customers place 0..many, other people sometimes check out as guests.
    n_orders = np.where(rng.random(m) < 0.25, 0, rng.geometric(0.55, m))
    guest = np.flatnonzero(
        ~is_customer & (rng.random(n) < np.where(people.partner_of >= 0, 0.5, 0.08))
    )
    order_person = np.concatenate([np.repeat(members, n_orders), guest])
    order_cust = np.concatenate([np.repeat(np.arange(m), n_orders), np.full(len(guest), -1)])
    start = people.first_seen[order_person]
    # Recent months are busier, so "recent buyer" segments have members.
    order_t = as_of - ((as_of - start) * rng.random(len(order_person)) ** 1.3).astype(np.int64)
    order = np.argsort(order_t, kind="stable")
    order_person, order_cust, order_t = order_person[order], order_cust[order], order_t[order]
    k = len(order_person)
    oidx = pa.array(order_person)

    # Line items.
    lines_per = rng.geometric(0.6, k)
    line_order = np.repeat(np.arange(k), lines_per)
    first_line = np.r_[True, line_order[1:] != line_order[:-1]]
    nl = len(line_order)
    weights = np.array([3, 2, 2, 2, 1.5, 1.5, 1.5, 0.7, 0.5, 1, 2, 1, 0.6, 0.8, 0.7, 1])
    prod = rng.choice(len(vocab.PRODUCTS), nl, p=weights / weights.sum())
    qty = rng.choice([1, 2, 3], nl, p=[0.85, 0.12, 0.03])
    price = np.array([p[2] for p in vocab.PRODUCTS])[prod]
    subtotal = np.bincount(line_order, weights=price * qty, minlength=k)
    code_kind = rng.choice(3, k, p=[0.86, 0.09, 0.05])
    discount = np.round(subtotal * np.array([0.0, 0.10, 0.20])[code_kind], 2)
    shipping = np.where(subtotal - discount >= 100, 0.0, 7.95)
    country = people.country.take(oidx)
    taxes = np.round(
        (subtotal - discount) * np.where(country.to_numpy(zero_copy_only=False) == "US", 0.07, 0.0),
        2,
    )
    total = np.round(subtotal - discount + shipping + taxes, 2)
    status = rng.choice(
        np.array(["paid", "refunded", "partially_refunded", "pending"]),
        k,
        p=[0.93, 0.04, 0.01, 0.02],
    )
    counted = np.isin(status, ["paid", "partially_refunded"])

    # Customers export, with the order totals of each account.
    spent = np.bincount(
        order_cust[order_cust >= 0], weights=(total * counted)[order_cust >= 0], minlength=m
    )
    count = np.bincount(order_cust[order_cust >= 0], minlength=m)
    has_addr = rng.random(m) >= 0.2
    addr = {
        "street": people.street,
        "address2": people.address2,
        "city": people.city,
        "region": people.region,
        "country": people.country,
        "postcode": people.postcode,
    }
    a = {key: where(~has_addr, None, col.take(idx)) for key, col in addr.items()}
    phone_known = rng.random(m) < 0.45
    e164 = format_phones(rng, people.phone.take(idx), people.country.take(idx), p_e164=1.0)
    consent_sms = people.consent_sms[members] & phone_known
    empty = pa.array([""] * m)
    tags = pc.utf8_rtrim(
        concat(
            where(spent > 500, "VIP, ", empty),
            where(people.consent_email[members], "newsletter, ", empty),
            where(rng.random(m) < 0.05, "wholesale, ", empty),
        ),
        characters=", ",
    )
    customers = pa.table(
        {
            "Customer ID": ints(customer_ids),
            "First Name": nullify(
                rng,
                vary_case(
                    rng,
                    name_typos(
                        rng, pad_spaces(rng, display_first(rng, people, idx, 0.08), 0.01), 0.02
                    ),
                    0.01,
                    0.03,
                ),
                0.02,
            ),
            "Last Name": nullify(
                rng, vary_case(rng, name_typos(rng, people.last.take(idx), 0.02), 0.01, 0.03), 0.02
            ),
            "Email": email,
            "Accepts Email Marketing": where(
                people.consent_email[members], "yes", pa.array(["no"] * m)
            ),
            "Default Address Company": where(
                rng.random(m) < 0.3, people.company.take(idx), pa.nulls(m, pa.string())
            ),
            "Default Address Address1": a["street"],
            "Default Address Address2": a["address2"],
            "Default Address City": a["city"],
            "Default Address Province Code": a["region"],
            "Default Address Country Code": a["country"],
            "Default Address Zip": a["postcode"],
            "Default Address Phone": junk(
                rng,
                where(
                    has_addr & (rng.random(m) < 0.5),
                    format_phones(rng, people.phone.take(idx), people.country.take(idx)),
                    pa.nulls(m, pa.string()),
                ),
                0.005,
                vocab.JUNK_PHONES[:2],
            ),
            "Phone": where(phone_known, e164, pa.nulls(m, pa.string())),
            "Accepts SMS Marketing": where(consent_sms, "yes", pa.array(["no"] * m)),
            "Total Spent": _fmt_money(spent),
            "Total Orders": ints(count),
            "Note": where(
                rng.random(m) < 0.02,
                choose(rng, ("Prefers email contact", "Wholesale inquiry", "Gift buyer"), m),
                pa.nulls(m, pa.string()),
            ),
            "Tax Exempt": where(rng.random(m) < 0.005, "yes", pa.array(["no"] * m)),
            "Tags": where(pc.equal(tags, ""), None, tags),
        }
    )
    cust_file = write_csv(customers, data / "shopify_customers.csv")

    # Orders export: the account's email for customers; guests type theirs (and sometimes junk).
    cust_email = scatter(n, [(members, email)])
    guest_email = junk(
        rng,
        email_typos(rng, vary_case(rng, people.email.take(oidx), 0.01, 0.0), 0.02),
        0.01,
        vocab.JUNK_EMAILS[:3],
    )
    o_email = where(order_cust >= 0, cust_email.take(oidx), guest_email)
    bill_name = vary_case(
        rng, concat(display_first(rng, people, oidx, 0.1), " ", people.last.take(oidx)), 0.01, 0.02
    )
    bill_phone = where(
        rng.random(k) < 0.6,
        format_phones(rng, people.phone.take(oidx), country),
        pa.nulls(k, pa.string()),
    )
    created = fmt_time(order_t, SHOPIFY_TIME, STORE_TZ)
    fulfilled = (as_of - order_t > 3 * DAY) & (status != "refunded")
    o = {
        "Name": concat("#", ints(1001 + np.arange(k))),
        "Email": o_email,
        "Financial Status": pa.array(status),
        "Paid at": where(
            status != "pending",
            fmt_time(order_t + 5, SHOPIFY_TIME, STORE_TZ),
            pa.nulls(k, pa.string()),
        ),
        "Fulfillment Status": where(fulfilled, "fulfilled", pa.array(["unfulfilled"] * k)),
        "Fulfilled at": where(
            fulfilled,
            fmt_time(order_t + rng.integers(DAY, 3 * DAY, k), SHOPIFY_TIME, STORE_TZ),
            pa.nulls(k, pa.string()),
        ),
        "Accepts Marketing": where(people.consent_email[order_person], "yes", pa.array(["no"] * k)),
        "Currency": pa.array(["USD"] * k),
        "Subtotal": _fmt_money(subtotal),
        "Shipping": _fmt_money(shipping),
        "Taxes": _fmt_money(taxes),
        "Total": _fmt_money(total),
        "Discount Code": pa.array(
            np.array([None, "WELCOME10", "SPRING20"], dtype=object)[code_kind], pa.string()
        ),
        "Discount Amount": _fmt_money(discount),
        "Shipping Method": where(shipping == 0, "Free Shipping", pa.array(["Standard"] * k)),
        "Created at": created,
        "Billing Name": bill_name,
        "Billing Street": concat(people.street.take(oidx)),
        "Billing Address1": people.street.take(oidx),
        "Billing Address2": people.address2.take(oidx),
        "Billing City": people.city.take(oidx),
        "Billing Zip": people.postcode.take(oidx),
        "Billing Province": people.region.take(oidx),
        "Billing Country": country,
        "Billing Phone": bill_phone,
        "Shipping Name": bill_name,
        "Shipping Address1": people.street.take(oidx),
        "Shipping City": people.city.take(oidx),
        "Shipping Zip": people.postcode.take(oidx),
        "Shipping Province": people.region.take(oidx),
        "Shipping Country": country,
        "Cancelled at": where(
            (status == "refunded") & (rng.random(k) < 0.5),
            fmt_time(order_t + DAY, SHOPIFY_TIME, STORE_TZ),
            pa.nulls(k, pa.string()),
        ),
        "Payment Method": choose(
            rng, ("Shopify Payments", "PayPal Express Checkout", "Shop Pay"), k, [0.6, 0.25, 0.15]
        ),
        "Refunded Amount": _fmt_money(
            np.where(
                status == "refunded",
                total,
                np.where(status == "partially_refunded", np.round(total / 3, 2), 0.0),
            )
        ),
        "Source": choose(rng, ("web", "pos", "shopify_draft_order"), k, [0.9, 0.07, 0.03]),
        "Phone": pa.nulls(k, pa.string()),
    }
    per_line = {"Name", "Email", "Created at"}
    lo = pa.array(line_order)
    first_m = pa.array(first_line)
    columns: dict[str, pa.Array] = {}
    titles = pa.array([p[0] for p in vocab.PRODUCTS]).take(pa.array(prod))
    sized = np.array([p[4] != "Gift Cards" for p in vocab.PRODUCTS])[prod]
    size = pa.array(np.array(vocab.SIZES)[rng.integers(0, len(vocab.SIZES), nl)])
    line_cols = {
        "Lineitem quantity": ints(qty),
        "Lineitem name": where(sized, concat(titles, " - ", size), titles),
        "Lineitem price": _fmt_money(price),
        "Lineitem sku": where(
            sized,
            concat(pa.array([p[1] for p in vocab.PRODUCTS]).take(pa.array(prod)), "-", size),
            pa.array([p[1] for p in vocab.PRODUCTS]).take(pa.array(prod)),
        ),
        "Lineitem requires shipping": where(sized, "true", pa.array(["false"] * nl)),
        "Lineitem fulfillment status": pa.array(
            np.where(fulfilled[line_order], "fulfilled", "pending")
        ),
    }
    for name, col in o.items():
        at_line = col.take(lo)
        columns[name] = (
            at_line if name in per_line else pc.if_else(first_m, at_line, pa.nulls(nl, col.type))
        )
        if name == "Created at":
            columns.update(line_cols)
    columns["Vendor"] = pa.array([p[3] for p in vocab.PRODUCTS]).take(pa.array(prod))
    columns["Id"] = pc.if_else(
        first_m, ints(5_600_000_000_000 + np.arange(k) * 7 + 3).take(lo), pa.nulls(nl, pa.string())
    )
    orders_file = write_csv(pa.table(columns), data / "shopify_orders.csv")
    return [
        Export("shopify_customers", [cust_file], m, ints(customer_ids), members),
        Export(
            "shopify_orders",
            [orders_file],
            nl,
            o["Name"],
            order_person,
            {"orders": k, "guest_orders": int((order_cust < 0).sum())},
        ),
    ]
