"""The ``hubspot`` destination: contacts upserted by email, optionally kept in a static list.

``POST /crm/v3/objects/contacts/batch/upsert`` with ``inputs: [{id, idProperty: "email",
properties}]``, 100 per request; fields are contact properties (checked against
``GET /crm/v3/properties/contacts``) and ``email`` is required. With ``list_id`` the members
are added to that static list (``PUT /crm/v3/lists/{id}/memberships/add``) and, in mirror
mode, members who left are taken out of it (``.../memberships/remove``) — contacts themselves
are never deleted. A 207 multi-status answer fails only the rows its ``errors`` name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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

__all__ = ["CONNECTOR", "HubspotConfig", "HubspotDestination"]


class HubspotConfig(HttpSettings):
    requests_per_second: float | None = Field(default=9.0, gt=0)
    """HubSpot private apps get 100 requests per 10 s, shared by the portal."""
    list_id: str | None = None
    """A static (MANUAL) list kept equal to the segment; required for mirror mode."""
    batch_rows: int = Field(default=100, ge=1, le=100)


class HubspotDestination(HttpDestination):
    def __init__(self, name: str, config: HubspotConfig, token: str) -> None:
        self.name, self.config = name, config
        self.limits = Limits(max_rows=config.batch_rows, max_bytes=3_000_000)
        self.http = HttpClient(
            name,
            "https://api.hubapi.com",
            config,
            secret_hint=f"set a valid private app token in {env_var_name('destinations', name, 'access_token')}",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )

    def _fail(self, response: Any, what: str) -> ConnectorError:
        return ConnectorError(
            f"destination '{self.name}'",
            f"{what}: HTTP {response.status_code} {body_text(response)}",
        )

    def check(self, spec: SyncSpec) -> None:
        if "email" not in spec.fields:
            raise FieldProblem(
                "email", "HubSpot contacts are upserted by email: map an 'email' field"
            )
        if spec.mode == "mirror" and not self.config.list_id:
            raise FieldProblem(
                "email",
                f"sync '{spec.key}' uses mode mirror: set config.list_id (a static list) so members "
                "who leave can be taken out of it",
                path=("destinations", spec.destination, "config"),
            )
        response = self.http.request("GET", "crm/v3/properties/contacts")
        if response.status_code >= 400:
            raise self._fail(response, "reading contact properties")
        known = {p["name"] for p in response.json().get("results", [])}
        for field in spec.fields:
            if field not in known:
                raise FieldProblem(
                    field,
                    f"'{field}' is not a HubSpot contact property",
                    suggestion=closest(field, known),
                )

    def upsert(self, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        failures: dict[int, RowFailure] = {}
        inputs, index_of = [], {}
        for i, row in enumerate(rows):
            email = str(row.fields.get("email") or "").strip().lower()
            if not email:
                failures[i] = RowFailure("no email address", terminal=True)
                continue
            props = {k: ("" if v is None else v) for k, v in row.fields.items()}
            inputs.append({"id": email, "idProperty": "email", "properties": props})
            index_of[email] = i
        if not inputs:
            return failures
        response = self.http.request(
            "POST", "crm/v3/objects/contacts/batch/upsert", json={"inputs": inputs}
        )
        if response.status_code == 400:  # one bad contact fails the request: the engine splits it
            text = body_text(response)
            raise BatchRejected(f"HTTP 400 {text}", terminal="VALIDATION_ERROR" in text)
        if response.status_code not in (200, 201, 207):
            raise self._fail(response, "batch upsert")
        answer = response.json()
        for err in answer.get("errors") or []:
            ids = (
                (err.get("context") or {}).get("ids") or (err.get("context") or {}).get("id") or []
            )
            for value in ids if isinstance(ids, list) else [ids]:
                index = index_of.get(str(value).strip().lower())
                if index is not None:
                    terminal = err.get("category") == "VALIDATION_ERROR"
                    failures[index] = RowFailure(
                        f"{err.get('category', 'ERROR')}: {err.get('message', '')}", terminal
                    )
        if self.config.list_id:
            record_ids = [
                str(r["id"])
                for r in answer.get("results") or []
                if index_of.get(str((r.get("properties") or {}).get("email", "")).lower())
                not in failures
            ]
            self._membership("add", record_ids)
        return failures

    def _membership(self, action: str, record_ids: list[str]) -> None:
        if not record_ids:
            return
        path = f"crm/v3/lists/{self.config.list_id}/memberships/{action}"
        response = self.http.request("PUT", path, json=record_ids)
        if response.status_code >= 400:
            raise self._fail(response, f"list membership {action}")

    def remove(self, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        if not self.config.list_id:
            return {}
        emails = [str(r.fields.get("email") or "").strip().lower() for r in rows]
        response = self.http.request(
            "POST",
            "crm/v3/objects/contacts/batch/read",
            json={
                "idProperty": "email",
                "properties": ["email"],
                "inputs": [{"id": e} for e in emails if e],
            },
        )
        if response.status_code not in (200, 207):
            raise self._fail(response, "looking up contacts to remove")
        ids = [str(r["id"]) for r in response.json().get("results") or []]
        self._membership("remove", ids)  # contacts HubSpot no longer knows are already gone
        return {}


def _open(ctx: DestinationContext) -> HubspotDestination:
    return HubspotDestination(ctx.name, ctx.config, ctx.secrets["access_token"].get_secret_value())


CONNECTOR = DestinationConnector(
    name="hubspot",
    description="HubSpot contacts (batch upsert by email) and static list membership",
    open=_open,
    kind="crm",
    config_model=HubspotConfig,
    secrets=("access_token",),
)
