"""Secrets: looked up in the environment, then in ``.dlt/secrets.toml``; masked everywhere.

A connector declares the names of the secrets it needs (``access_token``, ``api_key``). For the
source ``shop`` the secret ``access_token`` is read from, in order:

1. the environment variable ``CDP__SOURCES__SHOP__ACCESS_TOKEN``;
2. ``.dlt/secrets.toml`` in the project folder, key ``access_token`` of table ``[sources.shop]``.

Destinations use ``CDP__DESTINATIONS__<NAME>__<KEY>`` and ``[destinations.<name>]``. Every value
found is registered with :func:`mask`, which every error message and log line passes through.
"""

from __future__ import annotations

import os
import threading
import tomllib
from pathlib import Path

from pydantic import SecretStr

__all__ = ["SecretResolver", "env_var_name", "mask", "register_secret"]

_MASK = "******"
_known: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Remember ``value`` so :func:`mask` hides it wherever it appears."""
    if value and len(value) >= 4:
        with _lock:
            _known.add(value)


def mask(text: str) -> str:
    """Replace every registered secret value in ``text`` with ``******``."""
    if not _known or not text:
        return text
    for value in sorted(_known, key=len, reverse=True):
        if value in text:
            text = text.replace(value, _MASK)
    return text


def env_var_name(kind: str, name: str, key: str) -> str:
    """The environment variable holding secret ``key`` of source or destination ``name``."""
    return f"CDP__{kind.upper()}__{name.upper()}__{key.upper()}"


class SecretResolver:
    """Finds secrets for the sources and destinations of one project."""

    def __init__(self, project_dir: Path, environ: dict[str, str] | None = None) -> None:
        self.project_dir = project_dir
        self.environ = os.environ if environ is None else environ
        self._toml: dict | None = None

    @property
    def secrets_file(self) -> Path:
        return self.project_dir / ".dlt" / "secrets.toml"

    def _file_values(self) -> dict:
        if self._toml is None:
            self._toml = {}
            if self.secrets_file.is_file():
                try:
                    self._toml = tomllib.loads(self.secrets_file.read_text(encoding="utf-8"))
                except tomllib.TOMLDecodeError as exc:
                    from cdp.errors import ConfigError

                    raise ConfigError(f"not valid TOML: {exc}", file=self.secrets_file) from None
        return self._toml

    def get(self, kind: str, name: str, key: str) -> SecretStr | None:
        """The secret ``key`` of ``kind`` (``sources``/``destinations``) ``name``, or None."""
        value = self.environ.get(env_var_name(kind, name, key))
        if value is None:
            section = self._file_values().get(kind, {}).get(name, {})
            raw = section.get(key) if isinstance(section, dict) else None
            value = None if raw is None else str(raw)
        if value is None or value == "":
            return None
        register_secret(value)
        return SecretStr(value)

    def where(self, kind: str, name: str, key: str) -> str:
        """Where a user should put the secret, for error messages."""
        return (
            f'set {env_var_name(kind, name, key)} or add {key} = "..." under '
            f"[{kind}.{name}] in {self.secrets_file}"
        )
