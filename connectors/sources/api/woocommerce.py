"""WooCommerce, read from its MySQL/MariaDB database with dlt's ``sql_database`` (pymysql).

Which tables: the standard WooCommerce tables of stores on **HPOS** (High-Performance Order
Storage, the default since WooCommerce 8.2) and the analytics lookup tables, all with the
store's table prefix (``wp_``):

- ``wc_customer_lookup`` -> ``customers`` (merged on ``customer_id``, incremental on
  ``date_last_active``); ``customer_id`` alone is also scanned each run into ``customer_ids``,
  so a customer deleted in WooCommerce is marked ``deleted``;
- ``wc_orders`` -> ``orders`` (merged on ``id``, incremental on ``date_updated_gmt``);
  trashed orders are marked deleted;
- ``wc_order_addresses`` -> ``order_addresses`` (billing phone and address of guests;
  incremental on ``id``);
- ``wc_order_product_lookup`` -> ``order_items`` (incremental on ``order_item_id``);
- ``usermeta`` rows with ``billing_phone`` -> ``user_phones`` (incremental on ``umeta_id``).

Rows come out as Arrow tables (``backend="pyarrow"``). The password is the optional secret
``password``; a refused login is one ConnectorError naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field

import cdp
from cdp.connector import CanonicalMapping, MappingContext, SourceConnector, SourceContext
from cdp.errors import ConnectorError
from cdp.secrets import env_var_name, mask, register_secret

from .sql import quote, render

__all__ = ["WooCommerceConfig", "build", "cdp_source_connectors", "mapping"]

from pydantic import BaseModel, ConfigDict


class WooCommerceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=3306, ge=1, le=65535)
    database: str
    user: str = "root"
    table_prefix: str = Field(default="wp_", pattern=r"^[A-Za-z0-9_]*$")
    chunk_size: int = Field(default=50_000, ge=100)


# raw table -> (WooCommerce table without prefix, primary key, incremental cursor)
TABLES: dict[str, tuple[str, str, str]] = {
    "customers": ("wc_customer_lookup", "customer_id", "date_last_active"),
    "orders": ("wc_orders", "id", "date_updated_gmt"),
    "order_addresses": ("wc_order_addresses", "id", "id"),
    "order_items": ("wc_order_product_lookup", "order_item_id", "order_item_id"),
    "user_phones": ("usermeta", "umeta_id", "umeta_id"),
}


def _engine(ctx: SourceContext) -> Any:
    import sqlalchemy as sa

    config: WooCommerceConfig = ctx.config
    secret = ctx.secrets.get("password")
    password = secret.get_secret_value() if secret is not None else ""
    register_secret(password)
    url = sa.URL.create(
        "mysql+pymysql",
        username=config.user,
        password=password or None,
        host=config.host,
        port=config.port,
        database=config.database,
    )
    engine = sa.create_engine(url, pool_pre_ping=True)
    try:
        with engine.connect() as con:
            con.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
        if code == 1045:
            raise ConnectorError(
                f"source '{ctx.name}'",
                f"MySQL refused the login of user '{config.user}' ({code}); check the secret "
                f"'password' ({env_var_name('sources', ctx.name, 'password')} or .dlt/secrets.toml) "
                "and the setting user",
            ) from None
        if code == 1049:
            raise ConnectorError(
                f"source '{ctx.name}'",
                f"database '{config.database}' does not exist; check the setting database",
            ) from None
        raise ConnectorError(
            f"source '{ctx.name}'",
            f"cannot reach MySQL at {config.host}:{config.port}: {mask(str(exc.orig or exc))}",
            retryable=True,
        ) from None
    return engine


def _counted(progress: Callable[[int], None]) -> Callable[[Any], Any]:
    def count(table: Any) -> Any:
        progress(getattr(table, "num_rows", 1))
        return table

    return count


def _only_phones(query: Any, table: Any) -> Any:
    return query.where(table.c.meta_key == "billing_phone")


def build(ctx: SourceContext) -> Any:
    import dlt
    from dlt.sources.sql_database import sql_table

    config: WooCommerceConfig = ctx.config
    engine = _engine(ctx)
    resources = []
    for name, (table, key, cursor) in TABLES.items():
        adapter: Callable[..., Any] | None = _only_phones if name == "user_phones" else None
        resource = sql_table(
            credentials=engine,
            table=f"{config.table_prefix}{table}",
            backend="pyarrow",
            chunk_size=config.chunk_size,
            reflection_level="full_with_precision",
            incremental=dlt.sources.incremental(cursor),
            write_disposition="merge",
            primary_key=key,
            query_adapter_callback=adapter,
        )
        resource = resource.with_name(name).apply_hints(table_name=name)
        resources.append(resource.add_map(_counted(ctx.progress)))
    ids = sql_table(
        credentials=engine,
        table=f"{config.table_prefix}wc_customer_lookup",
        backend="pyarrow",
        included_columns=["customer_id"],
        write_disposition="replace",
        chunk_size=config.chunk_size,
    )
    resources.append(ids.with_name("customer_ids").apply_hints(table_name="customer_ids"))

    @dlt.source(name="woocommerce", max_table_nesting=0)
    def woocommerce() -> Any:
        return resources

    return woocommerce()


def mapping(ctx: MappingContext) -> CanonicalMapping:
    out = CanonicalMapping()
    schema = quote(ctx.schema)
    if "customers" in ctx.tables:
        deleted = (
            f"(c.customer_id NOT IN (SELECT customer_id FROM {schema}.customer_ids))"
            if "customer_ids" in ctx.tables
            else "FALSE"
        )
        phone = (
            f"(SELECT max(p.meta_value) FROM {schema}.user_phones p WHERE p.user_id = c.user_id)"
            if "user_phones" in ctx.tables
            else "NULL"
        )
        if "order_addresses" in ctx.tables:
            phone = (
                f"coalesce({phone}, (SELECT max(a.phone) FROM {schema}.order_addresses a "
                "WHERE a.address_type = 'billing' AND lower(a.email) = lower(c.email)))"
            )
        out.customer_records.append(
            render("woocommerce", "customer_records", ctx.schema, deleted=deleted, phone=phone)
        )
    if "orders" in ctx.tables:
        customer = (
            f"(SELECT min(c.customer_id) FROM {schema}.customers c "
            "WHERE c.user_id = o.customer_id AND o.customer_id > 0)"
            if "customers" in ctx.tables
            else "NULL"
        )
        out.events.append(render("woocommerce", "orders", ctx.schema, customer=customer))
    return out


CONNECTOR = SourceConnector(
    name="woocommerce",
    description="WooCommerce (HPOS) from its MySQL/MariaDB database: customers, orders, items",
    build=build,
    mapping=mapping,
    config_model=WooCommerceConfig,
    optional_secrets=("password",),
)


@cdp.hookimpl
def cdp_source_connectors() -> list[SourceConnector]:
    return [CONNECTOR]
