"""The ``webhook`` destination: signed JSON batches POSTed to a URL.

Each request body is ``{"sync", "run_id", "action": "upsert"|"remove", "rows": [{"profile_id",
"op", "fields"}]}``. Headers: ``X-CDP-Timestamp`` (Unix seconds), ``X-CDP-Signature``
(``sha256=`` + hex HMAC-SHA256 with the secret ``secret`` over ``"<timestamp>." + body``, so a
receiver can reject replays) and ``X-CDP-Batch-Id`` (a hash of the rows: the same batch sent
twice has the same id). 2xx accepts the batch; the receiver may list rows it refused as
``{"errors": [{"index": 3, "reason": "...", "terminal": true}]}``. 400/413/422 refuse the batch
(cdp splits it to find the bad rows); 429/5xx are retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field

from cdp.connector import DestinationConnector, DestinationContext
from cdp.errors import ConnectorError
from cdp.secrets import env_var_name
from connectors.destinations.base import BatchRejected, Limits, Row, RowFailure, SyncSpec
from connectors.destinations.http import HttpClient, HttpDestination, HttpSettings, body_text

__all__ = ["CONNECTOR", "WebhookConfig", "WebhookDestination", "sign"]


class WebhookConfig(HttpSettings):
    url: str
    batch_rows: int = Field(default=500, ge=1)
    max_bytes: int = Field(default=1_000_000, ge=1000)


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    return (
        "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )


class WebhookDestination(HttpDestination):
    def __init__(self, name: str, config: WebhookConfig, secret: str) -> None:
        self.name, self.config = name, config
        self._secret = secret.encode()
        self.limits = Limits(max_rows=config.batch_rows, max_bytes=config.max_bytes)
        self.http = HttpClient(
            name,
            config.url,
            config,
            secret_hint=f"check the receiver's credentials and {env_var_name('destinations', name, 'secret')}",
            headers={"Content-Type": "application/json", "User-Agent": "cdp-sync"},
        )

    def check(self, spec: SyncSpec) -> None:
        pass

    def _post(self, spec: SyncSpec, action: str, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        body = json.dumps(
            {
                "sync": spec.key,
                "run_id": spec.run_id,
                "action": action,
                "rows": [
                    {"profile_id": r.profile_id, "op": r.op, "fields": r.fields} for r in rows
                ],
            },
            separators=(",", ":"),
            default=str,
        ).encode()
        ts = str(int(time.time()))
        batch_id = hashlib.sha256(body.split(b'"rows":', 1)[1]).hexdigest()[:32]
        headers = {
            "X-CDP-Timestamp": ts,
            "X-CDP-Signature": sign(self._secret, ts, body),
            "X-CDP-Batch-Id": batch_id,
        }
        response = self.http.request("POST", self.config.url, data=body, headers=headers)
        if response.status_code in (400, 413, 422):
            raise BatchRejected(f"HTTP {response.status_code}: {body_text(response)}")
        if response.status_code >= 300:
            raise ConnectorError(
                f"destination '{self.name}'",
                f"{self.config.url} answered HTTP {response.status_code}: {body_text(response)}",
            )
        failures: dict[int, RowFailure] = {}
        try:
            answer: Any = response.json() if response.content else {}
        except ValueError:
            answer = {}
        for err in (answer.get("errors") or []) if isinstance(answer, dict) else []:
            index = err.get("index")
            if isinstance(index, int) and 0 <= index < len(rows):
                failures[index] = RowFailure(
                    str(err.get("reason", "refused by the receiver")), bool(err.get("terminal"))
                )
        return failures

    def upsert(self, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        return self._post(spec, "upsert", rows)

    def remove(self, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        return self._post(spec, "remove", rows)


def _open(ctx: DestinationContext) -> WebhookDestination:
    return WebhookDestination(ctx.name, ctx.config, ctx.secrets["secret"].get_secret_value())


CONNECTOR = DestinationConnector(
    name="webhook",
    description="JSON batches POSTed to a URL, signed with HMAC-SHA256",
    open=_open,
    kind="webhook",
    config_model=WebhookConfig,
    secrets=("secret",),
)
