"""The ``identity:`` block of cdp.yml: match rules, limits, blocklist, survivorship.

Everything has a default, so a project needs no ``identity:`` block at all. Rules are a
discriminated union on ``kind``; they apply in the order written (earlier rules win when a
limit forces a choice).

.. code-block:: yaml

    identity:
      rules:
        - {kind: exact, name: external_id, identifiers: [shopify_customer_id, hubspot_contact_id]}
        - {kind: exact, name: email, identifiers: [email]}
        - {kind: exact, name: phone, identifiers: [phone]}
        - {kind: probabilistic, name: fuzzy_person, threshold: 0.9}
      limits: {shopify_customer_id: 1, date_of_birth: 1}
      blocklist: {email: [info@acme.com]}
      shared_identifier_max_people: 1
      survivorship:
        default: most_recent
        source_priority: [shop, crm]
        fields: {email: source_priority, first_name: {strategy: most_frequent}}
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "DEFAULT_RULES",
    "ExactRule",
    "FuzzyField",
    "FuzzyRule",
    "IdentityConfig",
    "ProbabilisticRule",
    "Rule",
    "Survivorship",
]

#: Identifiers an exact rule can use besides external ids (any key of ``external_ids``).
BUILTIN_IDENTIFIERS = ("email", "phone")
#: A field fuzzy and probabilistic rules compare and block on (cdp.yml naming another is
#: told the valid ones).
FuzzyField = Literal[
    "first_name",
    "last_name",
    "date_of_birth",
    "street",
    "postcode",
    "city",
    "email_local",
    "email",
    "phone",
]
FUZZY_FIELDS: tuple[FuzzyField, ...] = get_args(FuzzyField)


def _default_similarity() -> dict[FuzzyField, float]:
    return {"first_name": 0.9, "last_name": 0.9, "street": 0.85}


def _name_and_postcode() -> list[list[FuzzyField]]:
    return [["last_name", "postcode"]]


def _default_blocks() -> list[list[FuzzyField]]:
    return [
        ["last_name", "postcode"],
        ["first_name", "date_of_birth"],
        ["last_name", "date_of_birth"],
        ["first_name", "street"],
    ]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExactRule(_Model):
    """Records sharing a normalized identifier are one person (``email``, ``phone``, or any
    key of ``external_ids`` such as ``shopify_customer_id``)."""

    kind: Literal["exact"]
    name: str
    identifiers: list[str] = Field(min_length=1)
    require_compatible_names: bool = Field(
        default=True,
        description="Refuse the link when both records carry clearly different first names or "
        "dates of birth (a shared household email or family phone).",
    )


class FuzzyRule(_Model):
    """Hand-set thresholds: candidate pairs sharing a blocking key link when every listed
    field reaches its minimum similarity (0..1, Jaro-Winkler on names, token-set on streets)."""

    kind: Literal["fuzzy"]
    name: str
    block_on: list[list[FuzzyField]] = Field(default_factory=_name_and_postcode)
    min_similarity: dict[FuzzyField, float] = Field(default_factory=_default_similarity)


class ProbabilisticRule(_Model):
    """Fellegi-Sunter: m and u probabilities of each comparison level learned from the data by
    EM (as Splink does); a pair links when its match probability reaches ``threshold``."""

    kind: Literal["probabilistic"]
    name: str
    block_on: list[list[FuzzyField]] = Field(default_factory=_default_blocks)
    compare: list[FuzzyField] = Field(default_factory=lambda: list(FUZZY_FIELDS))
    threshold: float = Field(default=0.9, gt=0, lt=1)
    prior: float = Field(default=1e-4, gt=0, lt=1, description="Initial share of pairs that match")
    em_iterations: int = Field(default=25, ge=1, le=500)
    require_evidence: bool = Field(
        default=True,
        description="Link only pairs that agree on more than names and place: a date of birth, "
        "the email (or one slip of its local part), the phone, or the street with alike first "
        "names must match too, two of them when the last names clearly differ (namesakes in one "
        "postcode, or one first name and birthday, are common in large data sets; an email "
        "local part like john.smith says no more than the names).",
    )


Rule = Annotated[ExactRule | FuzzyRule | ProbabilisticRule, Field(discriminator="kind")]

DEFAULT_RULES: list[ExactRule | FuzzyRule | ProbabilisticRule] = [
    ExactRule(
        kind="exact", name="external_id", identifiers=["shopify_customer_id", "hubspot_contact_id"]
    ),
    ExactRule(kind="exact", name="email", identifiers=["email"]),
    ExactRule(kind="exact", name="phone", identifiers=["phone"]),
    ProbabilisticRule(kind="probabilistic", name="fuzzy_person"),
]


class FieldSurvivorship(_Model):
    strategy: Literal["source_priority", "most_recent", "most_frequent", "first_non_null"]
    sources: list[str] = Field(default_factory=list, description="For source_priority: best first")


Strategy = Literal["source_priority", "most_recent", "most_frequent", "first_non_null"]


class Survivorship(_Model):
    """How each golden-record field picks its value among a profile's records."""

    default: Strategy = "most_recent"
    source_priority: list[str] = Field(
        default_factory=list, description="Sources best first, for fields using source_priority"
    )
    fields: dict[str, Strategy | FieldSurvivorship] = Field(default_factory=dict)

    def for_field(self, name: str) -> FieldSurvivorship:
        spec = self.fields.get(name, self.default)
        if isinstance(spec, FieldSurvivorship):
            return spec
        return FieldSurvivorship(strategy=spec, sources=list(self.source_priority))


class IdentityConfig(_Model):
    rules: list[Rule] = Field(default_factory=lambda: list(DEFAULT_RULES))
    limits: dict[str, int] = Field(
        # No HubSpot limit: a CRM holds the same person twice (once with a work email, once
        # with a personal one) often enough, and merging those is what resolution is for.
        default_factory=lambda: {"shopify_customer_id": 1, "date_of_birth": 1},
        description="identifier -> most distinct values one profile may hold",
    )
    blocklist: dict[str, list[str]] = Field(
        default_factory=dict, description="identifier -> extra junk values that never link"
    )
    shared_identifier_max_people: int = Field(
        default=1,
        ge=1,
        description="An email or phone seen with more clearly different people than this is "
        "shared (household, office) and stops acting as identity.",
    )
    default_region: str = Field(
        default="US", description="Phone region when a record has no country"
    )
    survivorship: Survivorship = Field(default_factory=Survivorship)

    @field_validator("rules")
    @classmethod
    def _names_differ(cls, rules: list[Rule]) -> list[Rule]:
        # (A rule's learned parameters and kept links are filed under its name.)
        names = [rule.name for rule in rules]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"two rules are named {twice[0]!r}; give each rule its own name")
        return rules
