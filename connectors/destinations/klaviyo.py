"""The ``klaviyo`` destination: profiles through bulk import jobs, kept in a list.

``POST /api/profile-bulk-import-jobs`` (JSON:API, ``revision`` header) with up to 10,000
profiles / 5 MB and the list as a relationship; the job is polled until it completes, and
``/import-errors`` fail the rows they point at (terminal: Klaviyo found them invalid).
Leaving the segment (mirror mode) removes the profile from the list
(``DELETE /api/lists/{id}/relationships/profiles``), never the profile; a person who withdrew
consent is also unsubscribed from email marketing
(``POST /api/profile-subscription-bulk-delete-jobs``). Adding to a list does
not change consent in Klaviyo.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import Field

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
    TransientError,
)
from connectors.destinations.http import HttpClient, HttpDestination, HttpSettings, body_text

__all__ = ["CONNECTOR", "KlaviyoConfig", "KlaviyoDestination"]

IDENTIFIERS = ("email", "phone_number", "external_id")
ATTRIBUTES = {
    "email",
    "phone_number",
    "external_id",
    "first_name",
    "last_name",
    "organization",
    "title",
    "image",
    "locale",
}
LOCATION = {"address1", "address2", "city", "country", "region", "zip", "timezone", "ip"}
JSONAPI = "application/vnd.api+json"


class KlaviyoConfig(HttpSettings):
    requests_per_second: float | None = Field(default=2.0, gt=0)
    """Klaviyo's bulk import steady limit is about 150 requests a minute."""
    list_id: str
    revision: str = "2024-10-15"
    batch_rows: int = Field(default=10_000, ge=1, le=10_000)
    poll_seconds: float = Field(default=2.0, ge=0)
    job_timeout_seconds: float = Field(default=900.0, gt=0)


def _profile(fields: Mapping[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    location: dict[str, Any] = {}
    props: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None:
            continue
        if key in ATTRIBUTES:
            attrs[key] = value
        elif key in LOCATION:
            location[key] = value
        else:
            props[key] = value
    if location:
        attrs["location"] = location
    if props:
        attrs["properties"] = props
    return {"type": "profile", "attributes": attrs}


class KlaviyoDestination(HttpDestination):
    def __init__(
        self,
        name: str,
        config: KlaviyoConfig,
        api_key: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name, self.config = name, config
        self.limits = Limits(max_rows=config.batch_rows, max_bytes=4_500_000)
        self._sleep = sleep
        self.http = HttpClient(
            name,
            "https://a.klaviyo.com",
            config,
            secret_hint=f"set a valid private API key in {env_var_name('destinations', name, 'api_key')}",
            headers={
                "Authorization": f"Klaviyo-API-Key {api_key}",
                "revision": config.revision,
                "Accept": JSONAPI,
                "Content-Type": JSONAPI,
            },
        )

    def _fail(self, response: Any, what: str) -> ConnectorError:
        return ConnectorError(
            f"destination '{self.name}'",
            f"{what}: HTTP {response.status_code} {body_text(response)}",
        )

    def check(self, spec: SyncSpec) -> None:
        if not any(f in spec.fields for f in IDENTIFIERS):
            raise FieldProblem(
                next(iter(spec.fields)),
                f"Klaviyo profiles need one of the fields {', '.join(IDENTIFIERS)}",
            )

    def upsert(self, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        failures: dict[int, RowFailure] = {}
        sent: list[int] = []
        profiles = []
        for i, row in enumerate(rows):
            if not any(row.fields.get(f) for f in IDENTIFIERS):
                failures[i] = RowFailure("no email, phone_number or external_id", terminal=True)
                continue
            sent.append(i)
            profiles.append(_profile(row.fields))
        if not profiles:
            return failures
        body = {
            "data": {
                "type": "profile-bulk-import-job",
                "attributes": {"profiles": {"data": profiles}},
                "relationships": {"lists": {"data": [{"type": "list", "id": self.config.list_id}]}},
            }
        }
        response = self.http.request("POST", "api/profile-bulk-import-jobs", json=body)
        if response.status_code in (400, 413):
            raise BatchRejected(f"HTTP {response.status_code} {body_text(response)}")
        if response.status_code >= 300:
            raise self._fail(response, "creating a bulk import job")
        job_id = response.json()["data"]["id"]
        deadline = time.monotonic() + self.config.job_timeout_seconds
        while True:
            job = self.http.request("GET", f"api/profile-bulk-import-jobs/{job_id}")
            if job.status_code >= 300:
                raise self._fail(job, f"reading import job {job_id}")
            attrs = job.json()["data"]["attributes"]
            status = attrs.get("status")
            if status == "complete":
                break
            if status in ("cancelled", "failed"):
                raise TransientError(f"Klaviyo import job {job_id} ended {status}")
            if time.monotonic() > deadline:
                raise TransientError(
                    f"Klaviyo import job {job_id} still {status} after {self.config.job_timeout_seconds:.0f}s"
                )
            self._sleep(self.config.poll_seconds)
        if attrs.get("failed_count"):
            failures.update(self._import_errors(job_id, sent))
        return failures

    def _import_errors(self, job_id: str, sent: list[int]) -> dict[int, RowFailure]:
        failures: dict[int, RowFailure] = {}
        url: str | None = f"api/profile-bulk-import-jobs/{job_id}/import-errors"
        while url:
            response = self.http.request("GET", url)
            if response.status_code >= 300:
                raise self._fail(response, "reading import errors")
            answer = response.json()
            for err in answer.get("data") or []:
                attrs = err.get("attributes") or {}
                match = re.search(
                    r"/profiles/data/(\d+)", str((attrs.get("source") or {}).get("pointer", ""))
                )
                if match and int(match.group(1)) < len(sent):
                    reason = f"{attrs.get('code', 'invalid')}: {attrs.get('detail') or attrs.get('title', '')}"
                    failures[sent[int(match.group(1))]] = RowFailure(reason, terminal=True)
            url = (answer.get("links") or {}).get("next")
        return failures

    def _unsubscribe(self, emails: list[str]) -> None:
        """Unsubscribe from email marketing people who withdrew consent (100 per request)."""
        for start in range(0, len(emails), 100):
            profiles = [
                {
                    "type": "profile",
                    "attributes": {
                        "email": e,
                        "subscriptions": {"email": {"marketing": {"consent": "UNSUBSCRIBED"}}},
                    },
                }
                for e in emails[start : start + 100]
            ]
            body = {
                "data": {
                    "type": "profile-subscription-bulk-delete-job",
                    "attributes": {"profiles": {"data": profiles}},
                    "relationships": {
                        "list": {"data": {"type": "list", "id": self.config.list_id}}
                    },
                }
            }
            response = self.http.request(
                "POST", "api/profile-subscription-bulk-delete-jobs", json=body
            )
            if response.status_code == 400:
                raise BatchRejected(f"unsubscribe: HTTP 400 {body_text(response)}")
            if response.status_code >= 300:
                raise self._fail(response, "unsubscribing profiles")

    def remove(self, spec: SyncSpec, rows: Sequence[Row]) -> Mapping[int, RowFailure]:
        emails = [str(r.fields.get("email")).strip().lower() for r in rows if r.fields.get("email")]
        self._unsubscribe(
            [
                str(r.fields["email"]).strip().lower()
                for r in rows
                if r.withdrawn and r.fields.get("email")
            ]
        )
        ids: list[str] = []
        for start in range(0, len(emails), 100):
            quoted = ",".join(f'"{e}"' for e in emails[start : start + 100])
            response = self.http.request(
                "GET",
                "api/profiles",
                params={"filter": f"any(email,[{quoted}])", "page[size]": 100},
            )
            if response.status_code >= 300:
                raise self._fail(response, "looking up profiles to remove")
            ids += [p["id"] for p in response.json().get("data") or []]
        for start in range(0, len(ids), 1000):
            data = [{"type": "profile", "id": pid} for pid in ids[start : start + 1000]]
            response = self.http.request(
                "DELETE",
                f"api/lists/{self.config.list_id}/relationships/profiles",
                json={"data": data},
            )
            if response.status_code >= 300:
                raise self._fail(response, "removing profiles from the list")
        return {}


def _open(ctx: DestinationContext) -> KlaviyoDestination:
    return KlaviyoDestination(ctx.name, ctx.config, ctx.secrets["api_key"].get_secret_value())


CONNECTOR = DestinationConnector(
    name="klaviyo",
    description="Klaviyo profiles (bulk import jobs) and list membership",
    open=_open,
    kind="email",
    config_model=KlaviyoConfig,
    secrets=("api_key",),
)
