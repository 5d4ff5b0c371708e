"""A small threaded HTTP server the API fakes build on.

Each fake implements ``handle(request) -> Response``; the base adds what every real API has:
fault injection (``server.fail_next(429, retry_after="1")``, a 503 blip), a log of the
requests it served (``server.requests``), and a ``url`` to point a connector's ``base_url`` at.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    raw_query: str = ""
    at: float = 0.0
    """time.monotonic() when the request arrived."""


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def json_error(status: int, body: Any, **headers: str) -> Response:
    return Response(status, body, dict(headers))


class FakeApi:
    """Subclass and implement :meth:`handle`. Use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._faults: list[Response] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- behaviour --------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def fail_next(
        self, status: int, times: int = 1, retry_after: str | None = None, body: Any = None
    ) -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        with self._lock:
            for _ in range(times):
                self._faults.append(
                    Response(status, body or {"errors": "Service unavailable"}, headers)
                )

    def data_requests(self, prefix: str = "") -> list[Request]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                req = Request(
                    self.command,
                    parts.path,
                    query,
                    dict(self.headers.items()),
                    body,
                    parts.query,
                    time.monotonic(),
                )
                with fake._lock:
                    fake.requests.append(req)
                    fault = fake._faults.pop(0) if fake._faults else None
                resp = fault or fake.handle(req)
                payload = (
                    b""
                    if resp.body is None
                    else (
                        resp.body
                        if isinstance(resp.body, bytes)
                        else json.dumps(resp.body).encode()
                    )
                )
                self.send_response(resp.status)
                headers = {"Content-Type": "application/json; charset=utf-8", **resp.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
