-- Shopify abandoned checkouts -> staging.events: Checkout Started
SELECT
    'checkout:' || CAST(k.id AS VARCHAR)          AS event_id,
    CAST(k.customer_id AS VARCHAR)                AS record_id,
    k.email                                       AS email,
    'Checkout Started'                            AS event,
    k.created_at                                  AS timestamp,
    to_json({'checkout_id': k.token, 'cart_id': k.cart_token, 'value': k.total_price,
             'recovery_url': k.abandoned_checkout_url,
             'products': json(k.line_items)})     AS properties,
    CAST(k.total_price AS DECIMAL(18, 2))         AS revenue,
    k.currency                                    AS currency
FROM {{schema}}.abandoned_checkouts AS k
