"""The project file ``cdp.yml``: pydantic models, loading, and errors that point at lines.

Loading validates everything before anything runs: the file's own structure, each
connector's ``config:`` block against the connector's model, and (when asked) that every
secret a connector needs can be found. Each mistake is one :class:`ConfigError` naming the
file, the line and the key, with the closest valid value where there is one.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from cdp.errors import ConfigError, SecretMissingError
from cdp.yamlfile import Key, Located, load_yaml
from identity.config import IdentityConfig
from warehouse.traits_config import TraitsConfig

if TYPE_CHECKING:
    from cdp.connector import SourceContext

__all__ = [
    "PROJECT_FILE",
    "DestinationConfig",
    "Project",
    "ProjectConfig",
    "SourceConfig",
    "SuppressionConfig",
    "SyncConfig",
    "WarehouseConfig",
    "closest",
    "load_project",
]

PROJECT_FILE = "cdp.yml"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WarehouseConfig(StrictModel):
    engine: Literal["duckdb"] = "duckdb"
    path: str = ".cdp/warehouse.duckdb"
    memory_limit: str | None = Field(default=None, description="DuckDB memory_limit, e.g. '4GB'")
    threads: int | None = Field(default=None, ge=1)


class SourceConfig(StrictModel):
    connector: str
    config: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True


class DestinationConfig(StrictModel):
    connector: str
    config: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    kind: Literal["email", "ads", "crm", "webhook", "database", "files", "other"] | None = None
    """Override the connector's kind, e.g. ``email`` for a webhook that feeds an email tool:
    email and ads destinations only receive people with consent."""


class SyncConfig(StrictModel):
    segment: str
    destination: str
    mode: Literal["upsert", "mirror", "add"] = "upsert"
    """upsert: add and update; mirror: also remove members who left; add: only add."""
    fields: dict[str, str] = Field(default_factory=dict)
    """Destination field -> segment column (or profiles.profiles column)."""
    name: str | None = None
    """The sync's key in sync.* tables and `cdp runs`; default ``<segment>-><destination>``."""

    @property
    def key(self) -> str:
        return self.name or f"{self.segment}->{self.destination}"


class SuppressionConfig(StrictModel):
    """People never sent to email or ad destinations, whatever their consent says."""

    file: str | None = None
    """A CSV with a column ``email`` and/or ``phone`` and/or ``profile_id`` (path from cdp.yml)."""
    table: str | None = None
    """A warehouse table ``schema.table`` with the same columns."""


class ProjectConfig(StrictModel):
    name: str
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    segments: str = "segments/"
    traits: TraitsConfig = Field(default_factory=TraitsConfig)
    destinations: dict[str, DestinationConfig] = Field(default_factory=dict)
    syncs: list[SyncConfig] = Field(default_factory=list)
    suppression: SuppressionConfig = Field(default_factory=SuppressionConfig)


def closest(value: str, choices: Iterable[str]) -> str | None:
    """The choice most like ``value``, if any is close enough to suggest."""
    matches = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _model_at(model: type[BaseModel], path: Sequence[str | int]) -> type[BaseModel] | None:
    """The pydantic model that owns the last key of ``path`` (for suggestions)."""
    current, parts, i = model, list(path[:-1]), 0
    while i < len(parts):
        if isinstance(parts[i], int):
            i += 1
            continue
        info = current.model_fields.get(str(parts[i]))
        inner = _inner_model(info.annotation) if info else None
        if info is None or inner is None:
            return None
        if typing.get_origin(info.annotation) is dict:
            i += 1  # skip the user-chosen name (a source's or destination's key)
        current, i = inner, i + 1
    return current


def validation_to_config_error(
    exc: ValidationError, located: Located, model: type[BaseModel], prefix: Key = ()
) -> ConfigError:
    """The first problem of a pydantic ``ValidationError`` as one ConfigError with its line.

    A misspelt key also makes its correct spelling "missing": the misspelling is reported.
    """
    priority = {"extra_forbidden": 0, "missing": 2}
    err = sorted(exc.errors(), key=lambda e: priority.get(e["type"], 1))[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    path: Key = (*prefix, *loc)
    key = ".".join(str(p) for p in path) or "(top level)"
    line = located.line_of(path)
    suggestion = None
    kind = err["type"]
    if kind == "extra_forbidden":
        owner = _model_at(model, loc)
        choices = list(owner.model_fields) if owner else []
        suggestion = closest(str(loc[-1]), choices)
        message = "unknown key" + (
            f"; valid keys: {', '.join(choices)}" if choices and not suggestion else ""
        )
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "literal_error":
        expected = re.findall(r"'([^']*)'", err.get("ctx", {}).get("expected", ""))
        suggestion = closest(str(err.get("input")), expected)
        message = f"'{err.get('input')}' is not allowed; use one of: {', '.join(expected)}"
    elif kind == "value_error" and isinstance(err.get("input"), list | dict):
        # (a validator's own sentence about a whole list or mapping, not echoed back)
        message = str(err.get("ctx", {}).get("error", err["msg"]))
    else:
        message = f"{err['msg']} (got {err.get('input')!r})"
    return ConfigError(message, file=located.file, line=line, key=key, suggestion=suggestion)


@dataclass
class Project:
    """A loaded, validated project: its folder, its cdp.yml and each connector's config."""

    dir: Path
    file: Path
    config: ProjectConfig
    located: Located
    source_configs: dict[str, BaseModel] = field(default_factory=dict)
    destination_configs: dict[str, BaseModel] = field(default_factory=dict)
    secrets: dict[tuple[str, str], dict[str, SecretStr]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def state_dir(self) -> Path:
        """``.cdp/`` next to cdp.yml: the lock file and dlt's pipeline working folders."""
        return self.dir / ".cdp"

    @property
    def warehouse_path(self) -> Path:
        path = Path(self.config.warehouse.path)
        return path if path.is_absolute() else self.dir / path

    @property
    def segments_dir(self) -> Path:
        path = Path(self.config.segments)
        return path if path.is_absolute() else self.dir / path

    def error(self, path: Key, message: str, suggestion: str | None = None) -> ConfigError:
        """A ConfigError pointing at ``path`` (a key path) in cdp.yml."""
        return ConfigError(
            message,
            file=self.file,
            line=self.located.line_of(path),
            key=".".join(str(p) for p in path),
            suggestion=suggestion,
        )

    def source_secrets(self, name: str) -> dict[str, SecretStr]:
        return self.secrets.get(("sources", name), {})

    def source_context(
        self, name: str, config: BaseModel, *, full_refresh: bool = False
    ) -> SourceContext:
        """What source ``name``'s connector runs with: its config and secrets, the project
        folder, and its dataset ``raw_<name>``."""
        from cdp.connector import SourceContext

        return SourceContext(
            name=name,
            config=config,
            secrets=self.source_secrets(name),
            project_dir=self.dir,
            dataset=f"raw_{name}",
            full_refresh=full_refresh,
        )

    def destination_secrets(self, name: str) -> dict[str, SecretStr]:
        return self.secrets.get(("destinations", name), {})


def _preflight(project: Project, name: str, connector: Any, config: BaseModel) -> None:
    from cdp.errors import CdpError

    ctx = project.source_context(name, config)
    try:
        connector.check(ctx)
    except CdpError as exc:
        if isinstance(exc, ConfigError):
            if exc.file is not None:
                raise
            path = ("sources", name, "config", *([exc.key] if exc.key else []))
            raise project.error(path, exc.detail, suggestion=exc.suggestion) from None
        raise project.error(("sources", name, "config"), exc.message) from None


def find_project_file(project_dir: Path) -> Path:
    file = project_dir / PROJECT_FILE
    if not file.is_file():
        raise ConfigError(
            f"no {PROJECT_FILE} here; run 'cdp init' to create a project or pass --project DIR",
            file=file,
        )
    return file


def load_project(project_dir: Path | str, *, preflight: bool = False) -> Project:
    """Load and validate ``cdp.yml`` in ``project_dir``.

    Args:
        project_dir: the project folder.
        preflight: also check what a run needs: every required secret is set, and each
            source's own pre-flight check passes (e.g. its input files exist).
    """
    from cdp.plugins import get_registry
    from cdp.secrets import SecretResolver

    project_dir = Path(project_dir).resolve()
    file = find_project_file(project_dir)
    located = load_yaml(file)
    if not isinstance(located.data, dict):
        raise ConfigError(
            "the project file must be a mapping of keys (name, sources, ...)", file=file, line=1
        )
    try:
        config = ProjectConfig.model_validate(located.data)
    except ValidationError as exc:
        raise validation_to_config_error(exc, located, ProjectConfig) from None

    project = Project(project_dir, file, config, located)
    registry = get_registry()
    resolver = SecretResolver(project_dir)
    groups = (
        ("sources", config.sources, registry.sources, project.source_configs),
        ("destinations", config.destinations, registry.destinations, project.destination_configs),
    )
    for kind, entries, connectors, into in groups:
        for name, entry in entries.items():
            if not NAME_PATTERN.match(name):
                raise project.error(
                    (kind, name),
                    "names must be lowercase letters, digits and underscores, starting with a letter",
                )
            connector = connectors.get(entry.connector)
            if connector is None:
                raise project.error(
                    (kind, name, "connector"),
                    f"unknown connector '{entry.connector}'; installed: {', '.join(sorted(connectors)) or 'none'}",
                    suggestion=closest(entry.connector, connectors),
                )
            try:
                into[name] = connector.config_model.model_validate(entry.config)
            except ValidationError as exc:
                raise validation_to_config_error(
                    exc, located, connector.config_model, prefix=(kind, name, "config")
                ) from None
            found: dict[str, SecretStr] = {}
            for key in (*connector.secrets, *connector.optional_secrets):
                value = resolver.get(kind, name, key)
                if value is not None:
                    found[key] = value
                elif preflight and entry.enabled and key in connector.secrets:
                    raise SecretMissingError(
                        f"{kind[:-1]} '{name}' ({entry.connector}) needs the secret '{key}': "
                        + resolver.where(kind, name, key),
                        file=file,
                        line=located.line_of((kind, name)),
                        key=f"{kind}.{name}",
                    )
            project.secrets[(kind, name)] = found
            check = getattr(connector, "check", None)
            if preflight and entry.enabled and check is not None:
                _preflight(project, name, connector, into[name])

    seen: set[str] = set()
    for index, sync in enumerate(config.syncs):
        if sync.key in seen:
            raise project.error(
                ("syncs", index), f"two syncs are both called '{sync.key}'; give one a name: key"
            )
        seen.add(sync.key)
        if sync.destination not in config.destinations:
            raise project.error(
                ("syncs", index, "destination"),
                f"no destination named '{sync.destination}' under destinations:",
                suggestion=closest(sync.destination, config.destinations),
            )
    return project
