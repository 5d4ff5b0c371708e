"""How a ``files`` source's raw table maps into the canonical model (SQL built with sqlglot).

Only columns that exist in the loaded table are referenced, so an export that lacks an
optional column still maps (the canonical field is NULL).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlglot
from sqlglot import exp

from cdp.connector import CanonicalMapping, MappingContext
from connectors.sources.files.config import FileSpec, column_key

__all__ = ["files_mapping"]

TRUE_WORDS = ("yes", "y", "true", "t", "1", "subscribed", "opted_in", "opt-in", "confirmed")
FALSE_WORDS = ("no", "n", "false", "f", "0", "unsubscribed", "opted_out", "opt-out", "cleaned")


def _e(sql: str) -> exp.Expr:
    return sqlglot.parse_one(sql, read="duckdb")


class _Table:
    """The raw table being mapped: builds expressions over the columns it really has."""

    def __init__(self, schema: str, name: str, columns: Iterable[str]) -> None:
        self.schema, self.name = schema, name
        self.columns = tuple(columns)
        self.data_columns = tuple(
            c for c in self.columns if not c.startswith("_cdp_") and not c.startswith("_dlt_")
        )

    def col(self, file_column: str | None) -> exp.Expr:
        """The column (by its header name or raw name), or NULL when the table has none."""
        if file_column is None:
            return exp.Null()
        key = file_column if file_column in self.columns else column_key(file_column)
        if key not in self.columns:
            return exp.Null()
        return exp.column(key, quoted=True)

    def text(self, file_column: str | None) -> exp.Expr:
        """Trimmed text, NULL when empty."""
        column = self.col(file_column)
        if isinstance(column, exp.Null):
            return column
        return exp.func(
            "nullif", exp.func("trim", exp.cast(column, "VARCHAR")), exp.Literal.string("")
        )

    def has(self, file_column: str | None) -> bool:
        return file_column is not None and not isinstance(self.col(file_column), exp.Null)

    def source(self) -> exp.Table:
        return exp.table_(self.name, db=self.schema, quoted=True)

    def attributes(self, used: set[str]) -> exp.Expr:
        """Every column not mapped to a canonical field, as a JSON object."""
        rest = [c for c in self.data_columns if c not in used]
        if not rest:
            return _e("CAST('{}' AS JSON)")
        pairs = [
            exp.PropertyEQ(
                this=exp.to_identifier(c, quoted=True), expression=exp.column(c, quoted=True)
            )
            for c in rest
        ]
        return exp.func("to_json", exp.func("struct_pack", *pairs))


def _boolean(value: exp.Expr) -> exp.Expr:
    words = lambda ws: exp.Tuple(expressions=[exp.Literal.string(w) for w in ws])  # noqa: E731
    lowered = exp.func("lower", exp.func("trim", exp.cast(value, "VARCHAR")))
    return exp.Case(
        ifs=[
            exp.If(
                this=exp.In(this=lowered.copy(), expressions=words(TRUE_WORDS).expressions),
                true=exp.true(),
            ),
            exp.If(
                this=exp.In(this=lowered.copy(), expressions=words(FALSE_WORDS).expressions),
                true=exp.false(),
            ),
        ]
    )


def _record_id(t: _Table, spec: FileSpec) -> exp.Expr:
    if spec.record_id_expr == "md5_lower_email":
        return exp.func(
            "coalesce",
            exp.func("md5", exp.func("lower", t.text(spec.columns.get("email")))),
            _row_hash(t),
        )
    if spec.record_id and t.has(spec.record_id):
        return exp.func("coalesce", t.text(spec.record_id), _row_hash(t))
    return _row_hash(t)


def _row_hash(t: _Table) -> exp.Expr:
    """A stable id from a row's content, for files without an id column."""
    values = [
        exp.func(
            "coalesce", exp.cast(exp.column(c, quoted=True), "VARCHAR"), exp.Literal.string("")
        )
        for c in t.data_columns
    ]
    # Anonymous keeps DuckDB's concat_ws as written (sqlglot would add NULL handling it needs not).
    return exp.func(
        "md5", exp.Anonymous(this="concat_ws", expressions=[exp.Literal.string("\x1f"), *values])
    )


def _external_ids(t: _Table, spec: FileSpec) -> exp.Expr:
    present = {name: t.text(col) for name, col in spec.external_ids.items() if t.has(col)}
    if not present:
        return _e("CAST(MAP() AS MAP(VARCHAR, VARCHAR))")
    entries = exp.Array(
        expressions=[
            exp.func(
                "struct_pack",
                exp.PropertyEQ(this=exp.to_identifier("k"), expression=exp.Literal.string(k)),
                exp.PropertyEQ(this=exp.to_identifier("v"), expression=v),
            )
            for k, v in present.items()
        ]
    )
    some = _e(f"map_from_entries(list_filter({entries.sql('duckdb')}, e -> e.v IS NOT NULL))")
    if len({k.lower() for k in present}) < len(present):
        return some  # struct field names are case-insensitive: no struct for these keys
    # A row with every id (the usual one) gets the same MAP from a struct, for a fifth of the
    # cost: map_from_entries checks every row's keys for duplicates, a struct has none.
    every = exp.and_(*(v.copy().is_(exp.Null()).not_() for v in present.values()))
    struct = exp.func(
        "struct_pack",
        *(
            exp.PropertyEQ(this=exp.to_identifier(k, quoted=True), expression=v.copy())
            for k, v in present.items()
        ),
    )
    whole = exp.cast(struct, exp.DataType.build("MAP(VARCHAR, VARCHAR)", dialect="duckdb"))
    return exp.Case(ifs=[exp.If(this=every, true=whole)], default=some)


def _names(t: _Table, spec: FileSpec) -> tuple[exp.Expr, exp.Expr]:
    first, last = t.text(spec.columns.get("first_name")), t.text(spec.columns.get("last_name"))
    full_col = (
        spec.columns.get("full_name")
        or spec.columns.get("billing_name")
        or spec.columns.get("name")
    )
    if t.has(full_col):
        full = t.text(full_col).sql("duckdb")
        first = exp.func("coalesce", first, _e(f"nullif(split_part({full}, ' ', 1), '')"))
        last = exp.func(
            "coalesce",
            last,
            _e(f"nullif(trim(substr({full}, length(split_part({full}, ' ', 1)) + 2)), '')"),
        )
    return first, last


def _consent(t: _Table, spec: FileSpec) -> dict[str, exp.Expr]:
    out = {field: _boolean(t.col(col)) for field, col in spec.consent.items() if t.has(col)}
    if spec.preset == "mailchimp_audience":
        # Mailchimp exports one file per status: unsubscribed and cleaned rows carry a time.
        withdrawn = [t.col(c) for c in ("UNSUB_TIME", "CLEAN_TIME") if t.has(c)]
        out["consent_email"] = (
            exp.func("coalesce", *withdrawn).is_(exp.Null()) if withdrawn else exp.true()
        )
    for field, col in spec.columns.items():
        if field in ("consent_email", "consent_sms"):
            out[field] = _boolean(t.col(col))
    return out


def _customers(t: _Table, spec: FileSpec) -> exp.Select:
    first, last = _names(t, spec)
    fields: dict[str, exp.Expr] = {
        "record_id": _record_id(t, spec),
        "first_name": first,
        "last_name": last,
        "external_ids": _external_ids(t, spec),
    }
    for field in (
        "email",
        "phone",
        "street",
        "city",
        "postcode",
        "region",
        "country",
        "date_of_birth",
        "created_at",
        "updated_at",
    ):
        column = spec.columns.get(field)
        fields[field] = (
            t.col(column)
            if field in ("date_of_birth", "created_at", "updated_at")
            else t.text(column)
        )
    fields.update(_consent(t, spec))
    used = {
        column_key(c)
        for c in (*spec.columns.values(), *spec.external_ids.values(), *spec.consent.values())
    }
    fields["attributes"] = t.attributes(used)
    return exp.select(*(e.as_(k, quoted=True) for k, e in fields.items())).from_(t.source())


def _event_name(t: _Table, spec: FileSpec) -> exp.Expr:
    column = t.text(spec.columns.get("event"))
    if isinstance(column, exp.Null):
        return exp.Literal.string(spec.event) if spec.event else exp.Null()
    if not spec.event_names:
        return column
    mapped = exp.Case(
        this=exp.func("lower", column.copy()),
        ifs=[
            exp.If(this=exp.Literal.string(k.lower()), true=exp.Literal.string(v))
            for k, v in spec.event_names.items()
        ],
        default=column,
    )
    return mapped


def _events(t: _Table, spec: FileSpec) -> exp.Select:
    event_id_col = spec.columns.get("event_id")
    fields: dict[str, exp.Expr] = {
        "event_id": t.text(event_id_col) if t.has(event_id_col) else _row_hash(t),
        "record_id": _record_id(t, spec)
        if (spec.record_id and t.has(spec.record_id)) or spec.record_id_expr
        else exp.Null(),
        "email": t.text(spec.columns.get("email")),
        "anonymous_id": t.text(spec.columns.get("anonymous_id")),
        "event": _event_name(t, spec),
        "timestamp": t.col(spec.columns.get("timestamp")),
        "revenue": t.col(spec.columns.get("revenue")),
        "currency": t.text(spec.columns.get("currency")),
    }
    used = {column_key(c) for c in spec.columns.values()}
    fields["properties"] = t.attributes(used)
    return exp.select(*(e.as_(k, quoted=True) for k, e in fields.items())).from_(t.source())


def _people_from_events(t: _Table, spec: FileSpec) -> exp.Select | None:
    """Events whose people are known only there (social commenters): one record per person."""
    name_col = spec.columns.get("name")
    if not (spec.record_id and t.has(spec.record_id) and t.has(name_col)):
        return None
    first, last = _names(t, spec)
    ids = _e(
        f"map(['{spec.preset or spec.table}_user_id'], [{t.text(spec.record_id).sql('duckdb')}])"
    )
    select = exp.select(
        t.text(spec.record_id).as_("record_id", quoted=True),
        exp.func("any_value", first).as_("first_name", quoted=True),
        exp.func("any_value", last).as_("last_name", quoted=True),
        exp.func("any_value", ids).as_("external_ids", quoted=True),
        exp.func("min", t.col(spec.columns.get("timestamp"))).as_("created_at", quoted=True),
        exp.func("max", t.col(spec.columns.get("timestamp"))).as_("updated_at", quoted=True),
    ).from_(t.source())
    return select.where(t.text(spec.record_id).is_(exp.Null()).not_()).group_by(
        t.text(spec.record_id)
    )


def _orders(t: _Table, spec: FileSpec) -> tuple[exp.Select, exp.Select]:
    """Shopify-style orders (a row per line item): one customer record and one
    ``Order Completed`` event per order, order-level values taken from whichever row has them."""
    order = t.text(spec.record_id)
    agg = lambda e: exp.func("max", e)  # noqa: E731
    first, last = _names(t, spec)
    customers = (
        exp.select(
            order.as_("record_id", quoted=True),
            *(
                agg(t.text(spec.columns.get(f))).as_(f, quoted=True)
                for f in ("email", "phone", "street", "city", "postcode", "region", "country")
            ),
            agg(first).as_("first_name", quoted=True),
            agg(last).as_("last_name", quoted=True),
            *(agg(e).as_(f, quoted=True) for f, e in _consent(t, spec).items()),
            agg(t.col(spec.columns.get("timestamp"))).as_("created_at", quoted=True),
            agg(t.col(spec.columns.get("timestamp"))).as_("updated_at", quoted=True),
        )
        .from_(t.source())
        .where(order.is_(exp.Null()).not_())
        .group_by(order.copy())
    )
    item = {
        k: t.col(c)
        for k, c in (
            ("name", "Lineitem name"),
            ("sku", "Lineitem sku"),
            ("price", "Lineitem price"),
            ("quantity", "Lineitem quantity"),
        )
    }
    product = exp.func(
        "struct_pack",
        *(exp.PropertyEQ(this=exp.to_identifier(k), expression=v) for k, v in item.items()),
    )
    properties = exp.func(
        "to_json",
        exp.func(
            "struct_pack",
            exp.PropertyEQ(this=exp.to_identifier("order_id"), expression=order.copy()),
            exp.PropertyEQ(
                this=exp.to_identifier("products"), expression=exp.func("list", product)
            ),
            *(
                exp.PropertyEQ(this=exp.to_identifier(column_key(c)), expression=agg(t.text(c)))
                for c in (
                    "Financial Status",
                    "Fulfillment Status",
                    "Discount Code",
                    "Shipping Method",
                )
                if t.has(c)
            ),
        ),
    )
    events = (
        exp.select(
            order.as_("event_id", quoted=True),
            order.copy().as_("record_id", quoted=True),
            agg(t.text(spec.columns.get("email"))).as_("email", quoted=True),
            exp.Literal.string(spec.event or "Order Completed").as_("event", quoted=True),
            agg(t.col(spec.columns.get("timestamp"))).as_("timestamp", quoted=True),
            agg(t.col(spec.columns.get("revenue"))).as_("revenue", quoted=True),
            agg(t.text(spec.columns.get("currency"))).as_("currency", quoted=True),
            properties.as_("properties", quoted=True),
        )
        .from_(t.source())
        .where(order.is_(exp.Null()).not_())
        .group_by(order.copy())
    )
    return customers, events


def files_mapping(ctx: MappingContext) -> CanonicalMapping:
    spec: FileSpec = ctx.config.spec()
    if spec.table not in ctx.tables:
        return CanonicalMapping()
    t = _Table(ctx.schema, spec.table, ctx.tables[spec.table])
    if spec.entity == "customers":
        return CanonicalMapping(customer_records=[_customers(t, spec).sql("duckdb")])
    if spec.entity == "orders":
        customers, events = _orders(t, spec)
        return CanonicalMapping(
            customer_records=[customers.sql("duckdb")], events=[events.sql("duckdb")]
        )
    people = _people_from_events(t, spec)
    return CanonicalMapping(
        customer_records=[people.sql("duckdb")] if people is not None else [],
        events=[_events(t, spec).sql("duckdb")],
    )
