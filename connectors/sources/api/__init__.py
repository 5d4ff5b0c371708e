"""Built-in API source connectors (Shopify, HubSpot, Mailchimp, Klaviyo, Facebook, WooCommerce).

Each family module exposes ``cdp_source_connectors`` through the ``cdp`` entry-point group; the
shared pieces (an HTTP client that turns auth failures into one clear line, Arrow batching,
SQL templates) live in :mod:`connectors.sources.api.http` and :mod:`connectors.sources.api.batch`.
"""
