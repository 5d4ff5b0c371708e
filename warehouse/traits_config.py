"""The ``traits:`` block of cdp.yml: the knobs of the computed traits in ``profiles.profiles``.

```yaml
traits:
  now: 2026-01-31T00:00:00Z   # pin "now" (tests, backfills); env CDP_NOW wins; default: the clock
  lifecycle: {new_days: 30, active_days: 90, churn_days: 365}
  engagement_days: [30, 90]   # not configurable yet: the windows are fixed at 30 and 90 days
```
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["NOW_ENV", "LifecycleConfig", "TraitsConfig"]

#: Environment variable that pins "now" for recency traits (ISO 8601), over ``traits.now``.
NOW_ENV = "CDP_NOW"


class LifecycleConfig(BaseModel):
    """Day thresholds of ``lifecycle_stage``, counted back from "now".

    prospect: no completed order yet. new: first order within ``new_days``. active: last
    order within ``active_days``. at_risk: last order within ``churn_days``. churned: older.
    """

    model_config = ConfigDict(extra="forbid")

    new_days: int = Field(default=30, ge=1)
    active_days: int = Field(default=90, ge=1)
    churn_days: int = Field(default=365, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> LifecycleConfig:
        if not self.new_days <= self.active_days <= self.churn_days:
            raise ValueError("thresholds must satisfy new_days <= active_days <= churn_days")
        return self


class TraitsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    now: datetime | None = Field(
        default=None, description="Pin 'now' for recency traits; the env var CDP_NOW wins."
    )
    lifecycle: LifecycleConfig = Field(default_factory=LifecycleConfig)

    def resolve_now(self) -> datetime:
        """``CDP_NOW`` if set, else ``now:``, else the current time (always timezone-aware)."""
        from cdp.errors import ConfigError

        raw = os.environ.get(NOW_ENV)
        if raw:
            try:
                value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
            except ValueError:
                raise ConfigError(
                    f"{NOW_ENV}={raw!r} is not an ISO 8601 date/time (e.g. 2026-01-31T00:00:00Z)"
                ) from None
        else:
            value = self.now or datetime.now(UTC)
        return value if value.tzinfo else value.replace(tzinfo=UTC)
