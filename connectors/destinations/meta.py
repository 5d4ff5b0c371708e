"""The ``meta_audiences`` destination: Meta (Facebook) custom audience members.

Adds with ``POST /{audience_id}/users`` and removes with ``DELETE /{audience_id}/users``, body
``{"payload": {"schema": [...], "data": [[...], ...]}}``; every identifier normalized and
SHA-256 hashed (:mod:`connectors.destinations.meta_format`), at most 10,000 rows per request
and requests split further by size. Field names are Meta's schema keys::

    fields: {EMAIL: email, PHONE: phone, FN: first_name, LN: last_name, COUNTRY: country}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field

from cdp.config import closest
from cdp.connector import DestinationConnector, DestinationContext
from cdp.errors import ConnectorError
from cdp.secrets import env_var_name
from connectors.destinations.base import (
    BatchRejected,
    FieldProblem,
    Limits,
    Row,
    RowFailure,
    SyncSpec,
)
from connectors.destinations.http import HttpClient, HttpDestination, HttpSettings, body_text
from connectors.destinations.meta_format import KEYS, hash_row

if TYPE_CHECKING:
    import requests

__all__ = ["CONNECTOR", "MetaAudiencesConfig", "MetaAudiencesDestination"]

GRAPH_URL = "https://graph.facebook.com"
#: Graph error codes meaning "slow down" (application, user, account and custom-audience limits).
THROTTLE_CODES = {4, 17, 32, 613, 80003}
AUTH_CODES = {102, 190}


class MetaAudiencesConfig(HttpSettings):
    audience_id: str
    api_version: str = "v21.0"
    default_country: str | None = None
    """ISO country used to read phone numbers without a country code when COUNTRY is not mapped."""
    batch_rows: int = Field(default=10_000, ge=1, le=10_000)
    max_request_bytes: int = Field(default=60_000, ge=2_000)


def _graph_error(response: requests.Response) -> dict[str, Any]:
    try:
        err = response.json().get("error") or {}
    except ValueError:
        return {}
    return err if isinstance(err, dict) else {}


class MetaAudiencesDestination(HttpDestination):
    def __init__(self, name: str, config: MetaAudiencesConfig, token: str) -> None:
        self.name, self.config = name, config
        self.limits = Limits(max_rows=config.batch_rows, max_bytes=1 << 40)
        self.http = HttpClient(
            name,
            f"{GRAPH_URL}/{config.api_version}",
            config,
            secret_hint=f"set a valid token in {env_var_name('destinations', name, 'access_token')}",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            throttled=lambda r: (
                r.status_code == 400 and _graph_error(r).get("code") in THROTTLE_CODES
            ),
            auth_failed=lambda r: _graph_error(r).get("code") in AUTH_CODES,
        )

    def check(self, spec: SyncSpec) -> None:
        for field in spec.fields:
            if field.upper() not in KEYS:
                raise FieldProblem(
                    field,
                    f"'{field}' is not a Meta customer-list key; use one of: {', '.join(KEYS)}",
                    suggestion=closest(field.upper(), KEYS),
                )

    def _send(self, method: str, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        mapping = {f.upper(): f for f in spec.fields}
        schema = list(mapping)
        failures: dict[int, RowFailure] = {}
        data: list[tuple[int, list[str]]] = []
        for i, row in enumerate(rows):
            hashed = hash_row(row.fields, schema, mapping, self.config.default_country)
            if not any(hashed):
                failures[i] = RowFailure("no valid identifier after normalization", terminal=True)
            else:
                data.append((i, hashed))
        overhead = len(json.dumps({"payload": {"schema": schema, "data": []}}))
        chunk: list[tuple[int, list[str]]] = []
        size = overhead
        for item in data:
            cost = len(json.dumps(item[1])) + 1
            if chunk and size + cost > self.config.max_request_bytes:
                self._request(method, schema, chunk)
                chunk, size = [], overhead
            chunk.append(item)
            size += cost
        if chunk:
            self._request(method, schema, chunk)
        return failures

    def _request(self, method: str, schema: list[str], chunk: list[tuple[int, list[str]]]) -> None:
        body = {"payload": {"schema": schema, "data": [r for _, r in chunk]}}
        response = self.http.request(method, f"{self.config.audience_id}/users", json=body)
        if response.status_code >= 400:
            err = _graph_error(response)
            message = err.get("message") or body_text(response)
            if response.status_code == 400 and err.get("code") == 100:
                raise BatchRejected(f"Meta rejected the batch: {message}")
            raise ConnectorError(
                f"destination '{self.name}'",
                f"Meta answered HTTP {response.status_code}: {message}",
            )

    def upsert(self, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        return self._send("POST", spec, rows)

    def remove(self, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        return self._send("DELETE", spec, rows)


def _open(ctx: DestinationContext) -> MetaAudiencesDestination:
    return MetaAudiencesDestination(
        ctx.name, ctx.config, ctx.secrets["access_token"].get_secret_value()
    )


CONNECTOR = DestinationConnector(
    name="meta_audiences",
    description="Meta custom audiences: hashed identifiers added and removed",
    open=_open,
    kind="ads",
    config_model=MetaAudiencesConfig,
    secrets=("access_token",),
)
