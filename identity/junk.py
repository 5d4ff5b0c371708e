"""Junk identifier values: placeholders people type when a form insists (test@test.com,
0000000000, n/a). They never act as identity, whatever the configuration says."""

from __future__ import annotations

import re

__all__ = ["is_junk", "junk_id_sql"]

_JUNK_EMAIL_LOCALS = {
    "test", "testing", "none", "noemail", "no-email", "no_email", "nomail", "na", "n.a", "null",
    "nil", "unknown", "asdf", "asd", "qwerty", "fake", "noreply", "no-reply", "donotreply",
    "do-not-reply", "abc", "xxx", "x", "a", "aa", "email", "mail", "nobody", "dummy", "sample",
    "customer", "guest", "nothanks", "no",
}  # fmt: skip
_JUNK_EMAIL_DOMAINS = {
    "test.com", "none.com", "noemail.com", "nomail.com", "email.com", "fake.com", "asdf.com",
    "invalid", "mailinator.com", "null.com", "na.com", "unknown.com", "example.invalid",
}  # fmt: skip
_JUNK_NAMES = {
    "test", "testing", "unknown", "none", "null", "na", "n a", "nil", "customer", "guest",
    "anonymous", "anon", "user", "no name", "noname", "x", "xx", "xxx", "asdf", "sample",
    "dummy", "fake", "not provided", "not given", "refused",
}  # fmt: skip
#: Placeholders of any other identifier (external ids such as a Shopify customer id).
_JUNK_IDS = {"", "0", "-1", "null", "none", "n/a", "na", "unknown", "test"}
_JUNK_DOBS = {"1900-01-01", "1901-01-01", "1970-01-01", "1111-11-11"}


def _junk_phone(e164: str) -> bool:
    digits = e164.lstrip("+")
    national = digits[-10:]
    if len(set(national)) <= 2:  # 0000000000, 1111111111, 5555555555, 1212121212
        return True
    return national in {"1234567890", "0123456789", "9876543210"} or bool(
        re.search(r"(\d)\1{6,}", national)
    )


def is_junk(kind: str, value: str | None, extra: frozenset[str] = frozenset()) -> bool:
    """Whether a *normalized* value of identifier ``kind`` is a placeholder.

    ``kind`` is ``email``, ``phone``, ``name``, ``date_of_birth`` or any external id name;
    ``extra`` holds the project's own blocklist for that kind (normalized values).
    """
    if value is None:
        return False
    if value in extra:
        return True
    if kind == "email":
        local, _, domain = value.rpartition("@")
        return local in _JUNK_EMAIL_LOCALS or domain in _JUNK_EMAIL_DOMAINS
    if kind == "phone":
        return _junk_phone(value)
    if kind == "name":
        return value in _JUNK_NAMES
    if kind == "date_of_birth":
        return value in _JUNK_DOBS
    text = value.strip(" ").lower()
    return text in _JUNK_IDS or len(set(text)) == 1


def junk_id_sql(value: str) -> str:
    """SQL saying whether the external id ``value`` (an SQL expression) is a placeholder:
    :func:`is_junk`'s rule for external ids, run by DuckDB over every id at once."""
    text = f"lower(trim({value}))"
    listed = ", ".join(f"'{v}'" for v in sorted(_JUNK_IDS))
    return f"({text} IN ({listed}) OR replace({text}, substr({text}, 1, 1), '') = '')"
