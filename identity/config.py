"""The ``identity:`` block of cdp.yml (rules, limits, blocklist). Placeholder: refined by the
identity resolver work."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["IdentityConfig"]


class IdentityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[dict[str, Any]] = Field(default_factory=list)
    limits: dict[str, Any] = Field(default_factory=dict)
    blocklist: dict[str, Any] = Field(default_factory=dict)
