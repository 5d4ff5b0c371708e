"""Meta's customer-list identifiers: normalized with the identity normalizer, then SHA-256.

The normalization itself is :mod:`identity.normalize` (the one the identity resolver matches
with); this module only applies Meta's formatting on top (phone digits without '+', city
letters only, first initial, date parts) and hashes. A value that already is a SHA-256 hex
digest passes through untouched; ``MADID`` and ``EXTERN_ID`` are never hashed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from identity.normalize import (
    clean_name,
    normalize_city,
    normalize_country,
    normalize_date_of_birth,
    normalize_email,
    normalize_phone,
    normalize_postcode,
    normalize_region,
)

__all__ = ["KEYS", "UNHASHED", "format_key", "hash_row", "sha256"]

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _phone(value: Any, country: str | None) -> str | None:
    e164 = normalize_phone(str(value), country)
    return e164.lstrip("+") if e164 else None


def _name(value: Any, country: str | None) -> str | None:
    return clean_name(str(value), keep_accents=True)


def _first_initial(value: Any, country: str | None) -> str | None:
    name = clean_name(str(value), keep_accents=True)
    return name[0] if name else None


def _city(value: Any, country: str | None) -> str | None:
    city = normalize_city(str(value))
    return re.sub(r"[^a-z]", "", city) or None if city else None


def _dob_part(fmt: str) -> Callable[[Any, str | None], str | None]:
    def part(value: Any, country: str | None) -> str | None:
        born = normalize_date_of_birth(value)
        return born.strftime(fmt) if born else None

    return part


def _gender(value: Any, country: str | None) -> str | None:
    text = str(value).strip().lower()[:1]
    return text if text in ("m", "f") else None


#: Meta schema key -> how a raw value becomes the string Meta hashes.
KEYS: dict[str, Callable[[Any, str | None], str | None]] = {
    "EMAIL": lambda v, c: normalize_email(str(v)),
    "PHONE": _phone,
    "FN": _name,
    "LN": _name,
    "FI": _first_initial,
    "CT": _city,
    "ST": lambda v, c: normalize_region(str(v)),
    "ZIP": lambda v, c: normalize_postcode(str(v), c),
    "COUNTRY": lambda v, c: normalize_country(str(v)),
    "GEN": _gender,
    "DOBY": _dob_part("%Y"),
    "DOBM": _dob_part("%m"),
    "DOBD": _dob_part("%d"),
    "MADID": lambda v, c: str(v).strip().lower() or None,
    "EXTERN_ID": lambda v, c: str(v).strip() or None,
}
#: Keys Meta takes in clear.
UNHASHED = frozenset({"MADID", "EXTERN_ID"})


def format_key(key: str, value: Any, country: str | None) -> str:
    """The value Meta receives for ``key``: a lowercase SHA-256 hex digest (or '' when unusable)."""
    if value is None or value == "":
        return ""
    if key not in UNHASHED and isinstance(value, str) and _HEX64.match(value.strip()):
        return value.strip().lower()  # already hashed upstream
    normalized = KEYS[key](value, country)
    if not normalized:
        return ""
    return normalized if key in UNHASHED else sha256(normalized)


def hash_row(
    fields: Mapping[str, Any],
    schema: list[str],
    mapping: Mapping[str, str],
    default_country: str | None,
) -> list[str]:
    """One row of ``data`` in ``schema`` order; ``mapping`` is Meta key -> field name in ``fields``."""
    country_field = mapping.get("COUNTRY")
    raw_country = fields.get(country_field) if country_field else None
    country = normalize_country(str(raw_country)) if raw_country else default_country
    return [format_key(key, fields.get(mapping[key]), country) for key in schema]
