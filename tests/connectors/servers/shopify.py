"""A fake Shopify Admin REST API (legacy REST, 2024-10 shapes).

Speaks what the connector relies on, as documented at shopify.dev/docs/api/admin-rest:
``GET /admin/api/{version}/{customers,orders,products,checkouts}.json`` with ``limit`` (default
50, max 250), ``updated_at_min``, ``fields``, ``status`` (orders: ``open`` by default, ``any``);
cursor pagination through the ``Link`` header whose URLs carry only ``page_info`` and ``limit``
(and ``fields``), rejecting other filters beside ``page_info`` with 400; the header
``X-Shopify-Access-Token`` (401 ``{"errors": "[API] Invalid API key or access token ..."}``);
the leaky bucket ``X-Shopify-Shop-Api-Call-Limit: used/40`` and 429 with ``Retry-After: 2.0``.

Records are generated from their index so large shops cost no memory: record ``i`` has id
``1000 + i`` and an ``updated_at`` that grows with the id; :meth:`touch` changes records
(a later ``updated_at``) and :meth:`delete` removes them.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from .base import FakeApi, Request, Response

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
AUTH_ERROR = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
FIRST = ["Mary", "John", "Aiko", "Lars", "Fatima", "Pedro", "Chen", "Olga"]
LAST = ["Smith", "Jones", "Tanaka", "Berg", "Khan", "Silva", "Wei", "Ivanova"]


def _ts(seconds: float) -> str:
    return (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _parse(value: str) -> float:
    return (datetime.fromisoformat(value.replace("Z", "+00:00")) - EPOCH).total_seconds()


class Collection:
    """Records ``0..count-1`` made by ``factory(i, updated_seconds)``; changes kept aside."""

    def __init__(self, count: int, factory: Any) -> None:
        self.count = count
        self.factory = factory
        self.changed: dict[int, float] = {}
        self.deleted: set[int] = set()

    def ids_from(self, start: int, updated_min: float | None) -> Any:
        """Indexes ``>= start`` in id order whose updated_at >= updated_min."""
        first = start
        if updated_min is not None:
            first = max(start, int(updated_min) if updated_min > 0 else 0)
            # base updated_at of record i is i seconds; changed ones may be older indexes
            early = sorted(
                i for i, t in self.changed.items() if t >= updated_min and start <= i < first
            )
            yield from (i for i in early if i not in self.deleted)
        for i in range(first, self.count):
            if i not in self.deleted:
                yield i

    def updated(self, i: int) -> float:
        return self.changed.get(i, float(i))

    def record(self, i: int) -> dict:
        return self.factory(i, self.updated(i))


def customer(i: int, updated: float) -> dict:
    first, last = FIRST[i % len(FIRST)], LAST[(i // 8) % len(LAST)]
    cid = 1000 + i
    address = {
        "id": 5000000 + i,
        "customer_id": cid,
        "first_name": first,
        "last_name": last,
        "company": None,
        "address1": f"{i} Main St",
        "address2": None,
        "city": "Springfield",
        "province": "Illinois",
        "country": "United States",
        "zip": f"{62700 + i % 90}",
        "phone": None,
        "name": f"{first} {last}",
        "province_code": "IL",
        "country_code": "US",
        "country_name": "United States",
        "default": True,
    }
    consent = "subscribed" if i % 3 else "unsubscribed"
    return {
        "id": cid,
        "email": f"{first.lower()}.{last.lower()}{i}@example.com",
        "created_at": _ts(i / 2),
        "updated_at": _ts(updated),
        "first_name": first,
        "last_name": last,
        "orders_count": i % 5,
        "state": "enabled",
        "total_spent": f"{(i % 500) * 1.5:.2f}",
        "last_order_id": None,
        "note": None,
        "verified_email": True,
        "multipass_identifier": None,
        "tax_exempt": False,
        "tags": "vip" if i % 10 == 0 else "",
        "last_order_name": None,
        "currency": "USD",
        "phone": f"+1312555{i % 10000:04d}" if i % 2 else None,
        "addresses": [address],
        "email_marketing_consent": {
            "state": consent,
            "opt_in_level": "single_opt_in",
            "consent_updated_at": _ts(i / 2),
        },
        "sms_marketing_consent": {
            "state": "not_subscribed",
            "opt_in_level": "single_opt_in",
            "consent_updated_at": None,
            "consent_collected_from": "OTHER",
        },
        "admin_graphql_api_id": f"gid://shopify/Customer/{cid}",
        "default_address": address,
    }


def _person(i: int) -> dict:
    first, last = FIRST[i % len(FIRST)], LAST[(i // 8) % len(LAST)]
    return {
        "id": 1000 + i,
        "email": f"{first.lower()}.{last.lower()}{i}@example.com",
        "first_name": first,
        "last_name": last,
    }


def order_factory(customers: int) -> Any:
    def order(i: int, updated: float) -> dict:
        oid = 4000000 + i
        c = _person((i * 7) % max(customers, 1))
        items = [
            {
                "id": 9000000 + i * 3 + k,
                "product_id": 700 + (i + k) % 20,
                "variant_id": 800 + (i + k) % 20,
                "title": f"Product {(i + k) % 20}",
                "name": f"Product {(i + k) % 20} - Default",
                "sku": f"SKU-{(i + k) % 20}",
                "quantity": 1 + k,
                "price": f"{10 + (i + k) % 20}.00",
                "vendor": "Acme",
                "gift_card": False,
                "taxable": True,
            }
            for k in range(1 + i % 3)
        ]
        total = sum(float(li["price"]) * li["quantity"] for li in items)
        return {
            "id": oid,
            "admin_graphql_api_id": f"gid://shopify/Order/{oid}",
            "name": f"#{1001 + i}",
            "order_number": 1001 + i,
            "email": c["email"],
            "contact_email": c["email"],
            "created_at": _ts(i / 2),
            "updated_at": _ts(updated),
            "processed_at": _ts(i / 2),
            "cancelled_at": _ts(updated) if i % 97 == 0 else None,
            "cancel_reason": "customer" if i % 97 == 0 else None,
            "closed_at": _ts(i / 2 + 60) if i % 2 else None,
            "currency": "USD",
            "presentment_currency": "USD",
            "financial_status": "paid",
            "fulfillment_status": "fulfilled" if i % 2 else None,
            "total_price": f"{total:.2f}",
            "subtotal_price": f"{total:.2f}",
            "total_tax": "0.00",
            "total_discounts": "0.00",
            "test": False,
            "confirmed": True,
            "source_name": "web",
            "customer": {
                "id": c["id"],
                "email": c["email"],
                "first_name": c["first_name"],
                "last_name": c["last_name"],
            },
            "line_items": items,
        }

    return order


def product(i: int, updated: float) -> dict:
    pid = 700 + i
    return {
        "id": pid,
        "title": f"Product {i}",
        "body_html": "<p>Good</p>",
        "vendor": "Acme",
        "product_type": "Widget",
        "handle": f"product-{i}",
        "status": "active",
        "created_at": _ts(i),
        "updated_at": _ts(updated),
        "published_at": _ts(i),
        "tags": "",
        "variants": [
            {
                "id": 800 + i,
                "product_id": pid,
                "price": f"{10 + i}.00",
                "sku": f"SKU-{i}",
                "title": "Default",
            }
        ],
    }


def checkout_factory(customers: int) -> Any:
    def checkout(i: int, updated: float) -> dict:
        c = _person((i * 11) % max(customers, 1))
        return {
            "id": 6000000 + i,
            "token": f"tok{i:08d}",
            "cart_token": f"cart{i:08d}",
            "email": c["email"],
            "created_at": _ts(i),
            "updated_at": _ts(updated),
            "completed_at": None,
            "closed_at": None,
            "currency": "USD",
            "presentment_currency": "USD",
            "total_price": "25.00",
            "subtotal_price": "25.00",
            "abandoned_checkout_url": f"https://shop.example/checkouts/{i}/recover",
            "customer": {"id": c["id"], "email": c["email"]},
            "line_items": [
                {
                    "product_id": 700 + i % 20,
                    "variant_id": 800 + i % 20,
                    "title": f"Product {i % 20}",
                    "quantity": 1,
                    "price": "25.00",
                }
            ],
        }

    return checkout


class FakeShopify(FakeApi):
    def __init__(
        self,
        token: str = "shpat_test_token",
        customers: int = 30,
        orders: int = 60,
        products: int = 20,
        checkouts: int = 10,
        version: str = "2024-10",
        bucket_size: int = 40,
        leak_per_second: float = 1000.0,
    ) -> None:
        super().__init__()
        self.token, self.version = token, version
        self.bucket_size, self.leak = bucket_size, leak_per_second
        self._level, self._at = 0.0, time.monotonic()
        self._bucket_lock = threading.Lock()
        self.data = {
            "customers": Collection(customers, customer),
            "orders": Collection(orders, order_factory(customers)),
            "products": Collection(products, product),
            "checkouts": Collection(checkouts, checkout_factory(customers)),
        }
        self.trimmed: dict[int, int] = {}
        base_order = self.data["orders"].factory

        def order(i: int, updated: float) -> dict:
            rec = base_order(i, updated)
            if i in self.trimmed:
                rec["line_items"] = rec["line_items"][: self.trimmed[i]]
            return rec

        self.data["orders"].factory = order
        self.id_base = {"customers": 1000, "orders": 4000000, "products": 700, "checkouts": 6000000}

    @property
    def base_url(self) -> str:
        return f"{self.url}/admin/api/{self.version}"

    def touch(self, kind: str, indexes: Any, at: float | None = None) -> None:
        coll = self.data[kind]
        for i in indexes:
            coll.changed[i] = at if at is not None else coll.count + 10_000_000 + i

    def edit_order(self, index: int, keep_items: int) -> None:
        """The order keeps only its first ``keep_items`` line items (and is touched)."""
        self.trimmed[index] = keep_items
        self.touch("orders", [index])

    def delete(self, kind: str, indexes: Any) -> None:
        self.data[kind].deleted.update(indexes)

    def _bucket(self) -> tuple[bool, int]:
        with self._bucket_lock:
            now = time.monotonic()
            self._level = max(0.0, self._level - (now - self._at) * self.leak)
            self._at = now
            if self._level + 1 > self.bucket_size:
                return False, int(self._level)
            self._level += 1
            return True, int(round(self._level))

    def handle(self, request: Request) -> Response:
        if request.headers.get("X-Shopify-Access-Token") != self.token:
            return Response(401, AUTH_ERROR)
        ok, used = self._bucket()
        limit_header = {"X-Shopify-Shop-Api-Call-Limit": f"{used}/{self.bucket_size}"}
        if not ok:
            return Response(
                429,
                {
                    "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
                },
                {**limit_header, "Retry-After": "2.0"},
            )
        prefix = f"/admin/api/{self.version}/"
        kind = (
            request.path[len(prefix) :].removesuffix(".json")
            if request.path.startswith(prefix)
            else ""
        )
        if kind not in self.data:
            return Response(404, {"errors": "Not Found"}, limit_header)
        q = dict(request.query)
        try:
            limit = int(q.pop("limit", "50"))
        except ValueError:
            return Response(400, {"errors": {"limit": "Limit must be an integer"}}, limit_header)
        if not 1 <= limit <= 250:
            return Response(
                400, {"errors": {"limit": "Limit must be between 1 and 250"}}, limit_header
            )
        fields = q.pop("fields", None)
        if "page_info" in q:
            token = q.pop("page_info")
            if q:
                return Response(
                    400,
                    {"errors": {"page_info": f"page_info cannot be combined with {sorted(q)[0]}"}},
                    limit_header,
                )
            try:
                state = json.loads(base64.urlsafe_b64decode(token.encode()))
            except ValueError:
                return Response(400, {"errors": {"page_info": "Invalid value."}}, limit_header)
        else:
            state = {
                "after": -1,
                "updated_at_min": q.get("updated_at_min"),
                "status": q.get("status", "open"),
            }
        coll = self.data[kind]
        try:
            updated_min = _parse(state["updated_at_min"]) if state.get("updated_at_min") else None
        except ValueError:
            return Response(400, {"errors": {"updated_at_min": "Invalid date."}}, limit_header)
        records, last = [], state["after"]
        for i in coll.ids_from(state["after"] + 1, updated_min):
            rec = coll.record(i)
            if (
                kind == "orders"
                and state.get("status", "open") == "open"
                and (rec["closed_at"] or rec["cancelled_at"])
            ):
                continue
            if len(records) == limit:
                break
            if fields:
                rec = {k: rec[k] for k in fields.split(",") if k in rec}
            records.append(rec)
            last = i
        else:
            last = None  # nothing after this page
        headers = dict(limit_header)
        if last is not None and records:
            nxt = base64.urlsafe_b64encode(json.dumps({**state, "after": last}).encode()).decode()
            extra = f"&fields={fields}" if fields else ""
            headers["Link"] = (
                f'<{self.base_url}/{kind}.json?limit={limit}{extra}&page_info={nxt}>; rel="next"'
            )
        return Response(200, {kind: records}, headers)
