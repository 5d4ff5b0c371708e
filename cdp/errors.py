"""The one error hierarchy of cdp.

Every mistake a user can make (a bad ``cdp.yml``, a missing secret, a broken export file, a
segment that does not validate) raises a :class:`CdpError` subclass. The CLI turns it into one
line on stderr and exit code 1; ``--debug`` shows the traceback. Subclasses carry the data a
message is built from, and say whether retrying can help.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CdpError",
    "ConfigError",
    "ConnectorError",
    "LockedError",
    "SecretMissingError",
    "SourceFileError",
    "WarehouseError",
    "root_cause",
]


class CdpError(Exception):
    """Base of every error a user can act on. ``retryable`` says whether running again may help."""

    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        from cdp.secrets import mask

        return mask(self.message)


def _where(file: Path | str | None, line: int | None, column: int | None = None) -> str:
    if file is None:
        return ""
    where = str(file)
    if line is not None:
        where += f":{line}"
        if column is not None:
            where += f":{column}"
    return where + ": "


class ConfigError(CdpError):
    """A mistake in the project file, pointing at its file, line and key."""

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        line: int | None = None,
        key: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.file, self.line, self.key, self.suggestion = file, line, key, suggestion
        self.detail = message
        text = _where(file, line)
        if key:
            text += f"{key}: "
        text += message
        if suggestion:
            text += f" (did you mean '{suggestion}'?)"
        super().__init__(text)


class SecretMissingError(ConfigError):
    """A connector needs a secret that is neither in the environment nor in .dlt/secrets.toml."""


class ConnectorError(CdpError):
    """A connector failed in a way the user can fix (authentication, a bad setting, a bad file)."""

    def __init__(self, connector: str, message: str, *, retryable: bool = False) -> None:
        self.connector = connector
        self.retryable = retryable
        super().__init__(f"{connector}: {message}")


class SourceFileError(ConnectorError):
    """An input file is not what its preset or mapping says it is."""

    def __init__(
        self, source: str, file: Path | str, message: str, line: int | None = None
    ) -> None:
        self.file, self.line = file, line
        super().__init__(f"source '{source}'", f"{_where(file, line)}{message}")


class LockedError(CdpError):
    """Another cdp process holds the project's lock."""

    retryable = True


class WarehouseError(CdpError):
    """The warehouse file cannot be opened or is in a state cdp cannot work with."""


def root_cause(exc: BaseException) -> BaseException:
    """The first :class:`CdpError` in ``exc``'s chain (dlt wraps errors raised inside a
    resource in ``PipelineStepFailed``), else the deepest exception of the chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, CdpError):
            return current
        exc = current
        current = getattr(current, "exception", None) or current.__cause__ or current.__context__
    return exc


@dataclass
class Problems:
    """Collects many user errors so they can be reported all at once."""

    items: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.items.append(message)

    def __bool__(self) -> bool:
        return bool(self.items)
