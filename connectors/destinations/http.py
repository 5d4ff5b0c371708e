"""HTTP for destinations: a request budget, retries with backoff and jitter, Retry-After.

429 and 5xx answers (and network errors) are retried with exponential backoff and full
jitter; a ``Retry-After`` header (seconds or an HTTP date) is honoured when it is a real hint
(0 or a date in the past means "no hint": back off as usual). 401/403 raise
:class:`AuthError` naming the destination and the secret to fix, without the secret itself.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from cdp.secrets import mask
from connectors.destinations.base import AuthError, TransientError

if TYPE_CHECKING:
    import requests  # imported when a client is made: `cdp sync --only sources` needs none

__all__ = ["HttpClient", "HttpSettings", "RequestBudget", "retry_after_seconds"]


class HttpSettings(BaseModel):
    """Settings every HTTP destination accepts in its ``config:`` block."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    """Override the API's address (a proxy, a sandbox, a local test server)."""
    requests_per_second: float | None = Field(default=None, gt=0)
    max_attempts: int = Field(default=6, ge=1, le=20)
    backoff_seconds: float = Field(default=1.0, ge=0)
    """First backoff step; doubles each attempt (with jitter), capped at max_backoff_seconds."""
    max_backoff_seconds: float = Field(default=60.0, ge=0)
    timeout_seconds: float = Field(default=60.0, gt=0)
    max_retry_after_seconds: float = Field(default=600.0, ge=0)
    """Longest ``Retry-After`` wait honoured; an API asking for more makes the batch fail for
    this run (it is retried by the next one) instead of blocking the sync."""


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """The wait a ``Retry-After`` header asks for, or None when it gives no usable hint."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return seconds if seconds > 0 else None


class RequestBudget:
    """At most ``per_second`` requests a second, shared by the threads of one destination."""

    def __init__(
        self, per_second: float | None, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self._sleep = sleep

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)


class HttpClient:
    """One destination's HTTP session with its budget, retries and counters."""

    def __init__(
        self,
        destination: str,
        base_url: str,
        settings: HttpSettings,
        *,
        secret_hint: str,
        headers: Mapping[str, str] | None = None,
        auth: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        throttled: Callable[[requests.Response], bool] | None = None,
        auth_failed: Callable[[requests.Response], bool] | None = None,
    ) -> None:
        """``throttled``/``auth_failed`` recognise APIs that say so with another status (Graph 400s)."""
        self.destination = destination
        self.base_url = (settings.base_url or base_url).rstrip("/")
        self.settings = settings
        self.secret_hint = secret_hint
        import requests

        self.session = requests.Session()
        self.session.headers.update(headers or {})
        if auth is not None:
            self.session.auth = auth
        self.throttled = throttled
        self.auth_failed = auth_failed
        self.budget = RequestBudget(settings.requests_per_second, sleep)
        self._sleep = sleep
        self.requests = 0
        self.retried_requests = 0
        self._count_lock = threading.Lock()

    def _backoff(self, attempt: int) -> float:
        cap = min(self.settings.max_backoff_seconds, self.settings.backoff_seconds * 2**attempt)
        return random.uniform(cap / 2, cap) if cap else 0.0

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request, retrying 429/5xx/network errors; return any other answer."""
        import requests

        url = path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"
        kwargs.setdefault("timeout", self.settings.timeout_seconds)
        last = ""
        for attempt in range(self.settings.max_attempts):
            if attempt:
                with self._count_lock:
                    self.retried_requests += 1
            self.budget.wait()
            with self._count_lock:
                self.requests += 1
            try:
                response = self.session.request(method, url, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = f"{type(exc).__name__}"
                self._sleep(self._backoff(attempt))
                continue
            status = response.status_code
            if status in (401, 403) or (
                self.auth_failed is not None and self.auth_failed(response)
            ):
                raise AuthError(
                    f"destination '{self.destination}': the API refused our credentials "
                    f"(HTTP {status}); {self.secret_hint}"
                )
            if (
                status == 429
                or status >= 500
                or (self.throttled is not None and self.throttled(response))
            ):
                last = f"HTTP {status}"
                hint = retry_after_seconds(response.headers.get("Retry-After"))
                if hint and hint > self.settings.max_retry_after_seconds:
                    raise TransientError(
                        f"{method} {path}: HTTP {status} asking to wait {hint:.0f}s "
                        f"(more than max_retry_after_seconds={self.settings.max_retry_after_seconds:.0f})"
                    )
                wait = hint if hint else self._backoff(attempt)
                if attempt + 1 < self.settings.max_attempts:
                    self._sleep(wait)
                continue
            return response
        raise TransientError(
            mask(f"{method} {path}: {last} after {self.settings.max_attempts} attempts")
        )

    def close(self) -> None:
        self.session.close()

    def stats(self) -> dict[str, int]:
        return {"requests": self.requests, "retried_requests": self.retried_requests}


class HttpDestination:
    """What every HTTP destination shares: nothing to do at the end of a sync, and its
    request counts and connection come from its :class:`HttpClient` (``self.http``)."""

    http: HttpClient

    def finish(self, spec: Any, snapshot: Callable[[], Any]) -> None:
        pass

    def stats(self) -> Mapping[str, int]:
        return self.http.stats()

    def close(self) -> None:
        self.http.close()


def body_text(response: requests.Response, limit: int = 300) -> str:
    """The start of a response body for an error message (secrets masked)."""
    return mask(response.text[:limit].replace("\n", " "))
