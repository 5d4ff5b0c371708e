"""The ``mailchimp`` destination: audience members upserted in batches, tagged per segment.

Members go in with ``POST /lists/{list_id}`` (``members`` up to 500, ``update_existing``);
the field ``email`` is the address, every other field a merge tag checked against the
audience's merge fields. Each sync tags its members with a tag (a static segment, default the
segment's name) through ``POST /lists/{list_id}/segments/{id}`` (``members_to_add`` /
``members_to_remove``); leaving the segment removes the tag (mirror mode), never the person's
subscription — unless the person withdrew consent, unsubscribed or is suppressed: then the
member is unsubscribed in Mailchimp too. Rows in Mailchimp's ``errors`` array fail alone;
"Member In Compliance State", fake/invalid and cleaned addresses are terminal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Literal

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

__all__ = ["CONNECTOR", "MailchimpConfig", "MailchimpDestination", "subscriber_hash"]

TERMINAL_MARKERS = (
    "compliance state",
    "fake or invalid",
    "cleaned",
    "permanently deleted",
    "invalid resource",
)


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.strip().lower().encode()).hexdigest()  # noqa: S324 - Mailchimp's id


class MailchimpConfig(HttpSettings):
    list_id: str
    status_if_new: Literal["subscribed", "pending", "transactional"] = "subscribed"
    tag: str | None = None
    """The tag given to the sync's members (default: the segment's name)."""
    tags: bool = True
    batch_rows: int = Field(default=500, ge=1, le=500)


class MailchimpDestination(HttpDestination):
    def __init__(self, name: str, config: MailchimpConfig, api_key: str) -> None:
        self.name, self.config = name, config
        dc = api_key.rsplit("-", 1)[-1] if "-" in api_key else "us1"
        self.limits = Limits(max_rows=config.batch_rows, max_bytes=4_000_000)
        self.http = HttpClient(
            name,
            f"https://{dc}.api.mailchimp.com/3.0",
            config,
            secret_hint=f"set a valid API key in {env_var_name('destinations', name, 'api_key')}",
            auth=("cdp", api_key),
        )
        self._segment_ids: dict[str, int] = {}

    def _fail(self, response: Any, what: str) -> ConnectorError:
        return ConnectorError(
            f"destination '{self.name}'",
            f"{what}: HTTP {response.status_code} {body_text(response)}",
        )

    def check(self, spec: SyncSpec) -> None:
        if "email" not in spec.fields:
            raise FieldProblem(
                "email", "Mailchimp members need an 'email' field (fields: {email: email})"
            )
        response = self.http.request(
            "GET", f"lists/{self.config.list_id}/merge-fields", params={"count": 1000}
        )
        if response.status_code == 404:
            raise self._fail(response, f"no audience '{self.config.list_id}' (config.list_id)")
        if response.status_code >= 400:
            raise self._fail(response, "reading merge fields")
        tags = {m["tag"] for m in response.json().get("merge_fields", [])} | {"EMAIL"}
        for field in spec.fields:
            if field != "email" and field not in tags:
                raise FieldProblem(
                    field,
                    f"'{field}' is not a merge field of audience {self.config.list_id} ({', '.join(sorted(tags))})",
                    suggestion=closest(field, tags),
                )

    def _tag_id(self, spec: SyncSpec) -> int:
        name = self.config.tag or spec.segment
        if name in self._segment_ids:
            return self._segment_ids[name]
        path = f"lists/{self.config.list_id}/segments"
        response = self.http.request("GET", path, params={"type": "static", "count": 1000})
        if response.status_code >= 400:
            raise self._fail(response, "listing tags")
        for seg in response.json().get("segments", []):
            if seg.get("name") == name:
                self._segment_ids[name] = int(seg["id"])
                return self._segment_ids[name]
        response = self.http.request("POST", path, json={"name": name, "static_segment": []})
        if response.status_code >= 400:
            raise self._fail(response, f"creating tag '{name}'")
        self._segment_ids[name] = int(response.json()["id"])
        return self._segment_ids[name]

    def _tagging(self, spec: SyncSpec, key: str, emails: dict[str, int]) -> dict[int, RowFailure]:
        if not emails or not self.config.tags:
            return {}
        path = f"lists/{self.config.list_id}/segments/{self._tag_id(spec)}"
        response = self.http.request("POST", path, json={key: list(emails)})
        if response.status_code >= 400:
            raise BatchRejected(f"tagging: HTTP {response.status_code} {body_text(response)}")
        failures: dict[int, RowFailure] = {}
        for err in response.json().get("errors") or []:
            for address in err.get("email_addresses") or []:
                index = emails.get(str(address).lower())
                if index is not None:
                    failures[index] = RowFailure(f"tag: {err.get('error', 'refused')}")
        return failures

    def upsert(self, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        failures: dict[int, RowFailure] = {}
        members, index_of = [], {}
        for i, row in enumerate(rows):
            email = row.fields.get("email")
            if not email:
                failures[i] = RowFailure("no email address", terminal=True)
                continue
            merge = {k: v for k, v in row.fields.items() if k != "email" and v is not None}
            member: dict[str, Any] = {
                "email_address": email,
                "status_if_new": self.config.status_if_new,
            }
            if merge:
                member["merge_fields"] = merge
            members.append(member)
            index_of[str(email).strip().lower()] = i
        if not members:
            return failures
        response = self.http.request(
            "POST",
            f"lists/{self.config.list_id}",
            json={"members": members, "update_existing": True},
        )
        if response.status_code == 400:
            raise BatchRejected(f"HTTP 400 {body_text(response)}")
        if response.status_code >= 300:
            raise self._fail(response, "batch subscribe")
        for err in response.json().get("errors") or []:
            index = index_of.get(str(err.get("email_address", "")).strip().lower())
            if index is None:
                continue
            text = str(err.get("error") or err.get("error_code") or "refused")
            terminal = any(m in text.lower() for m in TERMINAL_MARKERS)
            failures[index] = RowFailure(f"{err.get('error_code', 'ERROR')}: {text}", terminal)
        ok = {e: i for e, i in index_of.items() if i not in failures}
        failures.update(self._tagging(spec, "members_to_add", ok))
        return failures

    def _unsubscribe(self, emails: dict[str, int]) -> dict[int, RowFailure]:
        """Batch-unsubscribe people who withdrew consent (kept in the audience, never mailed)."""
        if not emails:
            return {}
        members = [{"email_address": e, "status": "unsubscribed"} for e in emails]
        response = self.http.request(
            "POST",
            f"lists/{self.config.list_id}",
            json={"members": members, "update_existing": True},
        )
        if response.status_code == 400:
            raise BatchRejected(f"HTTP 400 {body_text(response)}")
        if response.status_code >= 300:
            raise self._fail(response, "batch unsubscribe")
        failures: dict[int, RowFailure] = {}
        for err in response.json().get("errors") or []:
            index = emails.get(str(err.get("email_address", "")).strip().lower())
            text = str(err.get("error") or "refused")
            if index is not None and "compliance state" not in text.lower():  # already unsubscribed
                failures[index] = RowFailure(f"unsubscribe: {text}")
        return failures

    def remove(self, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        emails = {
            str(r.fields.get("email", "")).strip().lower(): i
            for i, r in enumerate(rows)
            if r.fields.get("email")
        }
        withdrawn = {e: i for e, i in emails.items() if rows[i].withdrawn}
        failures = self._unsubscribe(withdrawn)
        if self.config.tags:
            failures.update(self._tagging(spec, "members_to_remove", emails))
            return failures
        for email, i in emails.items():  # no tag to take away: archive the member
            if email in withdrawn:
                continue
            path = f"lists/{self.config.list_id}/members/{subscriber_hash(email)}"
            response = self.http.request("DELETE", path)
            if response.status_code >= 400 and response.status_code != 404:
                failures[i] = RowFailure(
                    f"archive: HTTP {response.status_code} {body_text(response, 120)}"
                )
        return failures


def _open(ctx: DestinationContext) -> MailchimpDestination:
    return MailchimpDestination(ctx.name, ctx.config, ctx.secrets["api_key"].get_secret_value())


CONNECTOR = DestinationConnector(
    name="mailchimp",
    description="Mailchimp audience members (batch upsert) tagged per segment",
    open=_open,
    kind="email",
    config_model=MailchimpConfig,
    secrets=("api_key",),
)
