"""Identifiers and personal fields, normalized: ONE implementation for matching and hashing.

Identity resolution builds its match keys from these functions, and destinations that send
hashed identifiers to ad platforms (Meta, Google) normalize with the same ones before SHA-256,
so a person matches the same way everywhere. Every function takes a raw value (or None) and
returns the normalized value, or None when the input is empty or not a valid identifier.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache

from identity.nicknames import GIVEN_NAMES, NICKNAMES

__all__ = [
    "DEFAULT_REGION",
    "canonical_first_name",
    "learn_nanp_prefixes",
    "clean_name",
    "email_match_key",
    "first_name_from_email",
    "provider_domain",
    "normalize_city",
    "normalize_country",
    "normalize_date_of_birth",
    "normalize_email",
    "normalize_name",
    "normalize_phone",
    "normalize_postcode",
    "normalize_region",
    "normalize_street",
]

#: Region used to read a phone number written without a country code, when the record has no
#: country and the caller gives none.
DEFAULT_REGION = "US"

_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
_GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
#: Providers that deliver ``local+tag@`` to ``local@`` (the tag is dropped for matching only).
_PLUS_TAG_DOMAINS = _GMAIL_DOMAINS | {
    "outlook.com", "hotmail.com", "live.com", "msn.com", "icloud.com", "me.com", "mac.com",
    "fastmail.com", "fastmail.fm", "protonmail.com", "proton.me", "pm.me", "zoho.com",
}  # fmt: skip
#: Yahoo uses '-' for disposable addresses.
_DASH_TAG_DOMAINS = {"yahoo.com", "ymail.com", "rocketmail.com"}
#: Mailbox providers people mistype (gmial.com, hotmial.com, outlok.com); a domain one slip
#: from exactly one of them, and not a provider itself, is read as that provider for matching.
_PROVIDERS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com",
    "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "outlook.com", "outlook.de",
    "outlook.fr", "live.com", "msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "mail.com",
    "email.com", "gmx.de", "gmx.net", "gmx.com", "web.de", "t-online.de", "orange.fr", "free.fr",
    "laposte.net", "sfr.fr", "wanadoo.fr", "proton.me", "protonmail.com", "comcast.net",
    "verizon.net", "att.net", "sbcglobal.net", "btinternet.com", "sky.com", "bigpond.com",
    "shaw.ca", "rogers.com", "ziggo.nl", "kpnmail.nl", "zoho.com", "fastmail.com", "yandex.ru",
    "mail.ru", "qq.com", "163.com", "naver.com", "rediffmail.com",
})  # fmt: skip
#: The provider folding rules of :func:`email_match_key`, for code that must apply them in bulk.
GMAIL_DOMAINS = frozenset(_GMAIL_DOMAINS)
PLUS_TAG_DOMAINS = frozenset(_PLUS_TAG_DOMAINS)
DASH_TAG_DOMAINS = frozenset(_DASH_TAG_DOMAINS)


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def normalize_email(value: str | None) -> str | None:
    """Trimmed, lowercased address, or None when the syntax is not a valid email address.

    ``mailto:`` prefixes and surrounding ``<>`` are dropped. Provider folding is not applied
    here (the address stays deliverable); see :func:`email_match_key`.
    """
    text = _text(value)
    if text is None:
        return None
    text = text.lower().strip("<>").strip()
    if text.startswith("mailto:"):
        text = text[len("mailto:") :]
    text = text.rstrip(".")
    if len(text) > 254 or not _EMAIL.match(text):
        return None
    return text


def email_match_key(value: str | None) -> str | None:
    """:func:`normalize_email` plus provider folding, for matching only.

    Gmail ignores dots and ``+tags`` (and googlemail.com is gmail.com); most large providers
    drop ``+tags``; Yahoo drops ``-tags``. ``J.Doe+shop@GoogleMail.com`` -> ``jdoe@gmail.com``.
    A mistyped provider is read as the provider (``ann@gmial.com`` -> ``ann@gmail.com``).
    """
    email = normalize_email(value)
    if email is None:
        return None
    local, _, domain = email.rpartition("@")
    domain = provider_domain(domain)
    if domain in _PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0]
    if domain in _DASH_TAG_DOMAINS:
        local = local.split("-", 1)[0]
    if domain in _GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}" if local else None


@lru_cache(maxsize=65536)
def provider_domain(domain: str) -> str:
    """``domain``, or the mailbox provider it mistypes (``gmial.com``, ``gmail.con`` ->
    ``gmail.com``): one dropped, added, changed or swapped letter from exactly one provider."""
    if domain in _PROVIDERS or "." not in domain:
        return domain
    from rapidfuzz.distance import DamerauLevenshtein

    near = [p for p in _PROVIDERS if DamerauLevenshtein.distance(domain, p, score_cutoff=1) <= 1]
    return near[0] if len(near) == 1 else domain


@lru_cache(maxsize=65536)
def _phone(text: str, region: str) -> str | None:
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_PLAIN_PHONE = re.compile(r"^\+?[\d\s().\-/]+$")
_NANP_VALID: dict[str, bool] = {}


@lru_cache(maxsize=1)
def _nanp_regions() -> frozenset[str]:
    import phonenumbers

    return frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1])


def _nanp(text: str, region: str) -> str | None | bool:
    """Fast path for plainly written North American numbers: libphonenumber's NANP patterns
    decide validity on the area code and the exchange (never the last four digits), so one
    full check per NPA-NXX prefix gives the same answer for every number in it.
    Returns False when the fast path does not apply."""
    if not _PLAIN_PHONE.match(text):
        return False
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        if len(digits) != 11 or digits[0] != "1":
            return False
        digits = digits[1:]
    elif region in _nanp_regions():
        if len(digits) == 11 and digits[0] == "1":
            digits = digits[1:]
        if len(digits) != 10:
            return False
    else:
        return False
    prefix = digits[:6]
    valid = _NANP_VALID.get(prefix)
    if valid is None:
        valid = _NANP_VALID[prefix] = _is_valid(1, digits)
    return "+1" + digits if valid else None


def _is_valid(code: int, national: str) -> bool:
    """Whether the number of country ``code`` and ``national`` digits is valid: libphonenumber's
    check on the number as its parser would build it (parsing costs twice the check)."""
    import phonenumbers

    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    if national.startswith("0"):
        number.italian_leading_zero = True
    return bool(phonenumbers.is_valid_number(number))


def _international(text: str) -> str | None | bool:
    """Fast path for numbers plainly written with their country code (``+44 7400 123456``,
    as shops export them): libphonenumber's check on the number its parser would build, when
    that build is plain (no national prefix or leading zero after the country code). Returns
    False when the fast path does not apply."""
    if not text.startswith("+") or not _PLAIN_PHONE.match(text):
        return False
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

    digits = re.sub(r"\D", "", text)
    for size in (1, 2, 3):
        code = int(digits[:size] or 0)
        if digits[:1] != "0" and code in COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return False
    national = digits[size:]
    regions = COUNTRY_CODE_TO_REGION_CODE[code]
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, regions[0])
    prefix = metadata.national_prefix_for_parsing if metadata else None
    if (
        metadata is None
        or not 2 <= len(national) <= 17
        or national.startswith("0")
        or (prefix and re.match(prefix, national))
    ):
        return False
    return f"+{code}{national}" if _is_valid(code, national) else None


def learn_nanp_prefixes(prefixes: Iterable[str]) -> None:
    """Note NPA-NXX prefixes (six digits) seen in valid North American numbers as valid, so
    that numbers under them skip libphonenumber's check (a process normalizing a few
    thousand new numbers would otherwise check nearly every prefix once, at about 0.1 ms
    each)."""
    _NANP_VALID.update(dict.fromkeys(prefixes, True))


def normalize_phone(value: str | None, region: str | None = None) -> str | None:
    """E.164 (``+14155550123``) or None when the number is not valid.

    ``region`` (an ISO country code or name, e.g. the record's country) says how to read a
    number written without its country code; default :data:`DEFAULT_REGION`.
    """
    text = _text(value)
    if text is None:
        return None
    text = re.sub(r"(?i)\s*(?:ext\.?|x|#)\s*\d+$", "", text)  # extensions do not identify
    if text.startswith("00"):
        text = "+" + text[2:]
    code = (normalize_country(region) if region else None) or DEFAULT_REGION
    fast = _nanp(text, code.upper())
    if fast is False:
        fast = _international(text)
    if fast is not False:
        return fast  # type: ignore[return-value]
    return _phone(text, code.upper())


def _fold(text: str, keep_accents: bool) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    if not keep_accents:
        from unidecode import unidecode

        text = unidecode(text).lower()
    return text


def clean_name(value: str | None, keep_accents: bool = False) -> str | None:
    """A personal name in lower case without punctuation or extra spaces.

    ``O'Brien`` -> ``obrien``, ``Mary-Jane`` -> ``mary jane``. With ``keep_accents`` the
    letters stay as written (UTF-8, what Meta's hashing wants: ``josé``); without, they fold
    to ASCII (``jose``), which is what matching wants.
    """
    text = _text(value)
    if text is None:
        return None
    text = _fold(text, keep_accents)
    text = re.sub(r"['’`´.]", "", text)
    text = "".join(ch if ch.isalpha() or ch.isspace() else " " for ch in text)
    text = " ".join(text.split())
    return text or None


def normalize_name(value: str | None) -> str | None:
    """A name for matching: :func:`clean_name` folded to ASCII."""
    return clean_name(value, keep_accents=False)


_TITLES = {"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "mx"}


def canonical_first_name(value: str | None) -> str | None:
    """The first given name with titles dropped and nicknames folded (Bob -> robert)."""
    name = normalize_name(value)
    if name is None:
        return None
    tokens = [t for t in name.split() if t not in _TITLES]
    if not tokens:
        return None
    first = tokens[0]
    return NICKNAMES.get(first, first)


def first_name_from_email(
    local: str | None, last_name: str | None = None, *, strict: bool = False
) -> str | None:
    """The given name an email address's local part spells, or None when it spells none or
    several: ``mary.vanburen`` / ``vanburen.mary`` (last name ``van buren``) -> ``mary``,
    ``donnabrown65`` -> ``donna``, ``kevin.wood27`` -> ``kevin``, ``jsmith`` (last name
    ``smith``) -> the initial ``j``; ``info`` -> None.

    Whose inbox it is tells a household's members apart (the guards use it for a record
    without a first name, and to notice a record on someone else's address). Only common
    given names count (:data:`identity.nicknames.GIVEN_NAMES`); a part equal to the record's
    last name is its last name. ``strict``: a name run together with more letters counts only
    beside the record's own last name (``omcdonald`` spells no Donald).
    """
    if not local:
        return None
    own_last = (last_name or "").replace(" ", "") or None
    found: set[str] = set()
    written: dict[str, str] = {}
    for token in re.split(r"[^a-z]+", local.lower()):
        if len(token) < 3 or token == own_last:
            continue
        hits = []
        if token in GIVEN_NAMES:
            hits.append(token)
        elif own_last and token.endswith(own_last) and token[: -len(own_last)] in GIVEN_NAMES:
            hits.append(token[: -len(own_last)])  # donnabrown
        elif own_last and token.startswith(own_last) and token[len(own_last) :] in GIVEN_NAMES:
            hits.append(token[len(own_last) :])  # browndonna
        elif not own_last and not strict:
            # The longest given name at the start, at least four letters of surname after.
            for i in range(len(token) - 4, 2, -1):
                if token[:i] in GIVEN_NAMES:
                    hits.append(token[:i])
                    break
        for hit in hits:
            canon = NICKNAMES.get(hit, hit)
            found.add(canon)
            written.setdefault(canon, hit)
    if len(found) == 1:
        return written[found.pop()]
    if not found and own_last:
        letters = re.sub(r"[^a-z]+", "", local.lower())
        for initial in (letters[:1], letters[-1:]):
            if letters in (initial + own_last, own_last + initial):
                return initial  # jsmith / smithj: J. Smith
    return None


def normalize_postcode(value: str | None, country: str | None = None) -> str | None:
    """Lowercase letters and digits without spaces; US ZIP codes cut to their 5 digits.

    ``"SW1A 1AA"`` -> ``"sw1a1aa"``, ``"94105-1234"`` (US) -> ``"94105"``.
    """
    text = _text(value)
    if text is None:
        return None
    compact = re.sub(r"[^0-9a-z]", "", _fold(text, keep_accents=False))
    if not compact:
        return None
    code = normalize_country(country) if country else None
    if code in (None, "us") and re.fullmatch(r"\d{5}(\d{4})?", compact):
        return compact[:5]
    if code == "us" and re.fullmatch(r"\d{3,4}", compact):
        return compact.zfill(5)  # a spreadsheet ate the leading zeros
    return compact


_STREET_WORDS = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr",
    "boulevard": "blvd", "lane": "ln", "court": "ct", "place": "pl", "square": "sq",
    "terrace": "ter", "highway": "hwy", "parkway": "pkwy", "circle": "cir", "apartment": "apt",
    "suite": "ste", "floor": "fl", "north": "n", "south": "s", "east": "e", "west": "w",
    "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
    "unit": "apt", "number": "", "no": "",
}  # fmt: skip


def normalize_street(value: str | None) -> str | None:
    """Lowercase ASCII street line with common words abbreviated (``123 Main Street, Apt. 4``
    -> ``123 main st apt 4``)."""
    text = _text(value)
    if text is None:
        return None
    text = _fold(text, keep_accents=False).replace("#", " apt ")
    tokens = re.sub(r"[^0-9a-z]+", " ", text).split()
    tokens = [_STREET_WORDS.get(t, t) for t in tokens]
    out = " ".join(t for t in tokens if t)
    return out or None


def normalize_city(value: str | None) -> str | None:
    """Lowercase ASCII city without punctuation (``St. Louis`` -> ``saint louis``)."""
    text = _text(value)
    if text is None:
        return None
    tokens = re.sub(r"[^0-9a-z]+", " ", _fold(text, keep_accents=False)).split()
    tokens = ["saint" if t in ("st", "ste") and i == 0 else t for i, t in enumerate(tokens)]
    return " ".join(tokens) or None


def normalize_region(value: str | None) -> str | None:
    """US states as their two-letter code (``California`` -> ``ca``); other regions as
    lowercase ASCII without punctuation or spaces."""
    from identity.places import US_STATES

    text = _text(value)
    if text is None:
        return None
    cleaned = " ".join(re.sub(r"[^0-9a-z]+", " ", _fold(text, keep_accents=False)).split())
    if not cleaned:
        return None
    return US_STATES.get(cleaned, cleaned.replace(" ", ""))


@lru_cache(maxsize=4096)
def normalize_country(value: str | None) -> str | None:
    """ISO 3166-1 alpha-2 in lower case (``United Kingdom``, ``GBR``, ``UK`` -> ``gb``), or
    None when the value is not a known country."""
    from identity.places import COUNTRIES

    text = _text(value)
    if text is None:
        return None
    cleaned = " ".join(re.sub(r"[^a-z]+", " ", _fold(text, keep_accents=False)).split())
    return COUNTRIES.get(cleaned)


_DATE_FORMATS = (
    "%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y",
    "%d/%m/%Y", "%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y",
)  # fmt: skip


def normalize_date_of_birth(value: object) -> date | None:
    """A plausible date of birth (year 1900 or later, not in the future), or None.

    Accepts dates, datetimes and text in ISO or common written forms; ``03/04/1985`` reads
    month first (US) unless the first part is over 12.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed: date | None = value.date()
    elif isinstance(value, date):
        parsed = value
    else:
        text = _text(value)
        if text is None:
            return None
        text = re.sub(r"[,]", " ", text.split("T")[0]).strip()
        text = " ".join(text.split())
        parsed = None
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
    if parsed is None or parsed.year < 1900 or parsed > date.today():
        return None
    return parsed
