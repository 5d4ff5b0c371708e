"""Ready mappings for the export files users actually have.

A preset names the columns a file must have (so a wrong file is caught before loading), how
its columns map to the canonical model, and how its typed columns are written. Column names
are as they appear in the file header; ``types`` are checked while reading, and a value that
does not parse sends its row to the rejected rows with the line and the reason.

The formats follow the vendors' exports:

* ``shopify_customers``: Shopify admin, Customers > Export (CSV).
* ``shopify_orders``: Shopify admin, Orders > Export (CSV; one row per line item, order-level
  columns filled on the first row of each order only).
* ``hubspot_contacts``: HubSpot, Contacts > Export (CSV, "Record ID" first).
* ``mailchimp_audience``: Mailchimp, Audience > Export (CSV per status: subscribed,
  unsubscribed, cleaned; the unsubscribed file carries ``UNSUB_TIME``, the cleaned
  ``CLEAN_TIME``).
* ``mailchimp_activity``: Mailchimp's email-activity report (``GET
  /reports/{campaign_id}/email-activity``) written as JSON Lines, one action per line:
  ``{"campaign_id", "email_address", "action", "timestamp", "url"}``.
* ``facebook_leads``: Meta Lead Ads, leads downloaded as CSV from Leads Center / Ads Manager.
* ``facebook_page_activity``: Graph API page post comments and reactions as JSON Lines:
  ``{"id", "type": "comment"|"reaction", "post_id", "created_time", "from": {"id", "name"},
  "message", "reaction_type"}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["PRESETS", "Preset"]

ColumnType = Literal["timestamp", "date", "number", "integer"]


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    entity: Literal["customers", "events", "orders"]
    format: Literal["csv", "jsonl"]
    required: tuple[str, ...]
    columns: dict[str, str]
    """Canonical field -> file column."""
    record_id: str | None = None
    """File column holding the source's own id of the record; None derives one."""
    external_ids: dict[str, str] = field(default_factory=dict)
    """External id name (e.g. ``shopify_customer_id``) -> file column."""
    types: dict[str, ColumnType] = field(default_factory=dict)
    timestamp_format: str | None = None
    date_format: str | None = None
    consent: dict[str, str] = field(default_factory=dict)
    """Canonical consent field -> file column holding yes/no (or a status)."""
    event: str | None = None
    """Constant event name, when the file has no event column."""
    event_names: dict[str, str] = field(default_factory=dict)
    """File value of the ``event`` column -> Segment Spec event name."""
    record_id_expr: str | None = None
    """For record ids derived from a column by a rule: ``md5_lower_email`` (Mailchimp's
    subscriber hash) is the only one."""


SHOPIFY_TIMESTAMP = "%Y-%m-%d %H:%M:%S %z"

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            name="shopify_customers",
            description="Shopify customers export (CSV)",
            entity="customers",
            format="csv",
            required=("Customer ID", "First Name", "Last Name", "Email", "Phone"),
            record_id="Customer ID",
            columns={
                "email": "Email",
                "phone": "Phone",
                "first_name": "First Name",
                "last_name": "Last Name",
                "street": "Default Address Address1",
                "city": "Default Address City",
                "postcode": "Default Address Zip",
                "region": "Default Address Province Code",
                "country": "Default Address Country Code",
            },
            external_ids={"shopify_customer_id": "Customer ID"},
            consent={
                "consent_email": "Accepts Email Marketing",
                "consent_sms": "Accepts SMS Marketing",
            },
            types={"Total Spent": "number", "Total Orders": "integer"},
        ),
        Preset(
            name="shopify_orders",
            description="Shopify orders export (CSV, one row per line item)",
            entity="orders",
            format="csv",
            required=("Name", "Email", "Created at", "Total", "Lineitem name"),
            record_id="Name",
            columns={
                "email": "Email",
                "phone": "Billing Phone",
                "billing_name": "Billing Name",
                "street": "Billing Address1",
                "city": "Billing City",
                "postcode": "Billing Zip",
                "region": "Billing Province",
                "country": "Billing Country",
                "timestamp": "Created at",
                "revenue": "Total",
                "currency": "Currency",
            },
            consent={"consent_email": "Accepts Marketing"},
            types={
                "Created at": "timestamp",
                "Paid at": "timestamp",
                "Subtotal": "number",
                "Total": "number",
                "Lineitem quantity": "integer",
                "Lineitem price": "number",
            },
            timestamp_format=SHOPIFY_TIMESTAMP,
            event="Order Completed",
        ),
        Preset(
            name="hubspot_contacts",
            description="HubSpot contacts export (CSV)",
            entity="customers",
            format="csv",
            required=("Record ID", "First Name", "Last Name", "Email"),
            record_id="Record ID",
            columns={
                "email": "Email",
                "phone": "Phone Number",
                "first_name": "First Name",
                "last_name": "Last Name",
                "street": "Street Address",
                "city": "City",
                "postcode": "Postal Code",
                "region": "State/Region",
                "country": "Country/Region",
                "date_of_birth": "Date of birth",
                "created_at": "Create Date",
                "updated_at": "Last Modified Date",
            },
            external_ids={"hubspot_contact_id": "Record ID"},
            types={
                "Create Date": "timestamp",
                "Last Modified Date": "timestamp",
                "Date of birth": "date",
            },
            timestamp_format="%Y-%m-%d %H:%M",
            date_format="%Y-%m-%d",
        ),
        Preset(
            name="mailchimp_audience",
            description="Mailchimp audience export (CSV: subscribed, unsubscribed or cleaned)",
            entity="customers",
            format="csv",
            required=("Email Address", "First Name", "Last Name"),
            record_id=None,
            record_id_expr="md5_lower_email",
            columns={
                "email": "Email Address",
                "phone": "Phone Number",
                "first_name": "First Name",
                "last_name": "Last Name",
                "created_at": "OPTIN_TIME",
                "updated_at": "LAST_CHANGED",
                "country": "CC",
            },
            external_ids={"mailchimp_leid": "LEID"},
            types={
                "OPTIN_TIME": "timestamp",
                "LAST_CHANGED": "timestamp",
                "UNSUB_TIME": "timestamp",
                "CLEAN_TIME": "timestamp",
            },
            timestamp_format="%Y-%m-%d %H:%M:%S",
        ),
        Preset(
            name="mailchimp_activity",
            description="Mailchimp email activity (JSON Lines, one action per line)",
            entity="events",
            format="jsonl",
            required=("email_address", "action", "timestamp"),
            record_id_expr="md5_lower_email",
            columns={"email": "email_address", "event": "action", "timestamp": "timestamp"},
            types={"timestamp": "timestamp"},
            event_names={
                "sent": "Email Delivered",
                "open": "Email Opened",
                "click": "Email Link Clicked",
                "bounce": "Email Bounced",
                "unsub": "Unsubscribed",
            },
        ),
        Preset(
            name="facebook_leads",
            description="Meta Lead Ads leads download (CSV)",
            entity="customers",
            format="csv",
            required=("id", "created_time", "form_id"),
            record_id="id",
            columns={
                "email": "email",
                "phone": "phone_number",
                "first_name": "first_name",
                "last_name": "last_name",
                "full_name": "full_name",
                "city": "city",
                "postcode": "zip_code",
                "country": "country",
                "created_at": "created_time",
            },
            external_ids={"facebook_lead_id": "id"},
            types={"created_time": "timestamp"},
        ),
        Preset(
            name="facebook_page_activity",
            description="Facebook page comments and reactions (JSON Lines from the Graph API)",
            entity="events",
            format="jsonl",
            required=("id", "type", "created_time", "from"),
            record_id="from.id",
            columns={
                "event_id": "id",
                "event": "type",
                "timestamp": "created_time",
                "name": "from.name",
            },
            types={"created_time": "timestamp"},
            event_names={"comment": "Social Comment", "reaction": "Social Reaction"},
        ),
    ]
}
