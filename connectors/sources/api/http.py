"""The HTTP client every API source uses: dlt's RESTClient on dlt's retrying session.

dlt's requests helper retries 429 and 5xx responses (and dropped connections) with
exponential backoff, honouring ``Retry-After`` when it is a whole number of seconds or an HTTP
date. What this module adds is what cdp promises its users:

- an authentication failure (401/403) becomes one :class:`~cdp.errors.ConnectorError` line
  naming the source and the secret to fix, never a traceback with the token in it;
- any other client error names the source, the endpoint and the API's own error message;
- every secret is registered with :func:`cdp.secrets.mask` before a request is sent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from cdp.errors import ConnectorError
from cdp.secrets import env_var_name, mask, register_secret

__all__ = [
    "HttpSettings",
    "error_message",
    "make_client",
    "paginate",
    "request",
    "secret_value",
]


class HttpSettings(BaseModel):
    """Settings every HTTP source accepts (all optional)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(
        default=None, description="Override the API's base URL (a proxy, a test server)."
    )
    page_size: int | None = Field(default=None, ge=1, description="Records per request.")
    max_attempts: int = Field(default=6, ge=1, description="Attempts per request on 429/5xx.")
    backoff_factor: float = Field(default=1.0, ge=0, description="Exponential backoff base (s).")
    request_timeout: float = Field(default=60.0, gt=0)


def secret_value(source: str, secrets: Mapping[str, SecretStr], key: str) -> str:
    """The plain value of secret ``key``; a missing one is a one-line ConnectorError."""
    value = secrets.get(key)
    if value is None or not value.get_secret_value():
        raise ConnectorError(
            f"source '{source}'",
            f"the secret '{key}' is not set: set {env_var_name('sources', source, key)} "
            f'or add {key} = "..." under [sources.{source}] in .dlt/secrets.toml',
        )
    plain = value.get_secret_value()
    register_secret(plain)
    return plain


def error_message(response: Any) -> str:
    """The API's own error text from a JSON or text body, shortened and masked."""
    text = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("errors", "error", "message", "detail", "title"):
            if body.get(key):
                value = body[key]
                if isinstance(value, list) and value and isinstance(value[0], dict):
                    value = value[0].get("detail") or value[0].get("message") or value[0]
                elif isinstance(value, dict):
                    value = value.get("message") or json.dumps(value)
                text = str(value)
                break
    if not text:
        text = (response.text or "").strip()
    return mask(" ".join(text.split())[:300])


def _response_hook(
    source: str,
    secret_key: str | None,
    is_auth_error: Callable[[Any], bool] | None = None,
    is_throttled: Callable[[Any], bool] | None = None,
) -> Callable[..., None]:
    def check(response: Any, *args: Any, **kwargs: Any) -> None:
        from requests import HTTPError

        status = response.status_code
        if status < 400:
            return
        if status == 429 or status >= 500 or (is_throttled is not None and is_throttled(response)):
            # the session's retry loop catches this, waits and tries again
            _whole_retry_after(response)
            raise HTTPError(f"HTTP {status}", response=response)
        if status in (401, 403) or (is_auth_error is not None and is_auth_error(response)):
            fix = (
                f"check the secret '{secret_key}' "
                f"({env_var_name('sources', source, secret_key)} or .dlt/secrets.toml)"
                if secret_key
                else "check the connector's credentials"
            )
            raise ConnectorError(
                f"source '{source}'",
                f"authentication failed (HTTP {status}: {error_message(response)}); {fix}",
            )
        raise ConnectorError(
            f"source '{source}'",
            f"HTTP {status} from {_path(response.url)}: {error_message(response)}",
        )

    return check


def _whole_retry_after(response: Any) -> None:
    """Shopify sends ``Retry-After: 2.0``; dlt reads only whole seconds, so round it up."""
    value = (response.headers.get("Retry-After") or "").strip()
    if value and not value.isdigit():
        try:
            seconds = float(value)
        except ValueError:
            return  # an HTTP date, which dlt reads itself
        if seconds > 0:
            response.headers["Retry-After"] = str(math.ceil(seconds))


def paginate(client: Any, source: str, path: str, **kwargs: Any) -> Iterator[Any]:
    """``client.paginate`` whose last failed retry is a retryable one-line ConnectorError."""
    from requests import RequestException

    kwargs.setdefault("hooks", {"response": [client.cdp_hook]})
    try:
        yield from client.paginate(path, **kwargs)
    except RequestException as exc:
        response = getattr(exc, "response", None)
        if response is not None:
            what = (
                f"HTTP {response.status_code} from {_path(response.url)}: {error_message(response)}"
            )
        else:
            what = f"{type(exc).__name__}: {mask(str(exc))}"
        raise ConnectorError(
            f"source '{source}'", f"{what} (gave up after retries)", retryable=True
        ) from None


def request(client: Any, source: str, path: str, method: str = "GET", **kwargs: Any) -> Any:
    """One request (no paging) with the same error handling as :func:`paginate`; JSON body."""
    from requests import RequestException

    kwargs.setdefault("hooks", {"response": [client.cdp_hook]})
    try:
        return client.request(path, method=method, **kwargs).json()
    except RequestException as exc:
        response = getattr(exc, "response", None)
        what = (
            f"HTTP {response.status_code} from {_path(response.url)}: {error_message(response)}"
            if response is not None
            else f"{type(exc).__name__}: {mask(str(exc))}"
        )
        raise ConnectorError(
            f"source '{source}'", f"{what} (gave up after retries)", retryable=True
        ) from None


def _path(url: str) -> str:
    from urllib.parse import urlsplit

    return mask(urlsplit(url).path)


def make_client(
    source: str,
    base_url: str,
    settings: HttpSettings,
    *,
    headers: Mapping[str, str] | None = None,
    auth: Any = None,
    paginator: Any = None,
    data_selector: str | None = None,
    secret_key: str | None = None,
    is_auth_error: Callable[[Any], bool] | None = None,
    is_throttled: Callable[[Any], bool] | None = None,
) -> Any:
    """A ``RESTClient`` for ``source`` whose session retries and whose errors are one line.

    ``is_auth_error`` and ``is_throttled`` recognise APIs that signal bad credentials or rate
    limits with another status (the Graph API answers 400 with error code 190 or 4/17/613).
    """
    from dlt.sources.helpers.requests import Client
    from dlt.sources.helpers.rest_client import RESTClient

    session = Client(
        raise_for_status=False,
        request_max_attempts=settings.max_attempts,
        request_backoff_factor=settings.backoff_factor,
        request_timeout=settings.request_timeout,
        request_max_retry_delay=300,
        respect_retry_after_header=True,
        retry_condition=(lambda response, exc: response is not None and is_throttled(response))
        if is_throttled is not None
        else None,
    ).session
    client = RESTClient(
        base_url=(settings.base_url or base_url).rstrip("/"),
        headers=dict(headers or {}),
        auth=auth,
        paginator=paginator,
        data_selector=data_selector,
        session=session,
    )
    setattr(client, "cdp_hook", _response_hook(source, secret_key, is_auth_error, is_throttled))  # noqa: B010
    return client
